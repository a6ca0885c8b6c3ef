import ArgumentParser
import Engine
import Foundation
import GoogleCloud
import Ledger
import LocalCloud
import Templates

/// `batchledger replay EXECUTION`: step through an execution event by event, or check that the engine still
/// makes the recorded decisions.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Step through an execution, event by event, with the state change each one made.",
        discussion: """
            Use show --at SEQ for the whole state right after one event. With --check, the engine runs again over
            the recorded history, every Google call answered from the ledger, and the command fails (exit 1),
            naming the first differing step, if the engine would now decide differently.
            """)

    @Argument(help: "The execution id.")
    var execution: String

    @OptionGroup var ledgerOptions: LedgerOptions

    @Flag(help: "Decision replay: run the engine against the recorded history and compare its decisions.")
    var check = false

    @Option(help: "A file of NAME=value lines with the secrets the execution used (for --check).")
    var secretsFile: String?

    func run() async throws {
        // Read-only: a missing ledger is an error, never created. --check may need to create the ledger's secret
        // digest key (a ledger from before keyed digests), so it opens for writing once the file is known to exist.
        let readOnly = try ledgerOptions.openReadOnly(command: "replay")
        let store = check ? try openLedgerForReading(ledgerOptions, command: "replay") : readOnly
        _ = try loadExecution(store, execution)
        guard check else {
            for step in try Timeline.steps(of: execution, in: store) {
                print(TerminalText.escaped("\(step.seq)  \(step.time)  \(step.type)  \(step.summary)"))
                for change in step.changes { print(TerminalText.escaped("      → \(change)")) }
            }
            return
        }
        let environment = ProcessInfo.processInfo.environment
        let secrets: SecretStore
        do {
            secrets = SecretStore(
                environment: environment, file: try secretsFile.map { try SecretsFile.load(from: $0) })
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        do {
            let report = try await DecisionReplay.check(
                execution, in: store, secrets: secrets, environment: environment)
            print(
                "decision replay of \(execution): \(report.taskRuns) task run(s), \(report.decisions) decisions, "
                    + "all as recorded")
        } catch let divergence as DecisionReplay.Divergence {
            print(divergence.description.split(separator: "\n", omittingEmptySubsequences: false)
                .map { TerminalText.escaped(String($0)) }.joined(separator: "\n"))
            throw ExitCode(1)
        } catch {
            printError("batchledger replay --check: \(error)")
            throw ExitCode(3)
        }
    }
}

/// `batchledger fork EXECUTION --from TASK`.
struct ForkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fork",
        abstract: "Start a new execution that takes the parent's outcomes before TASK and runs TASK and what follows.",
        discussion: "The parent is left as it is; the ledger links both ways. Where the parent ran (local emulator, "
            + "endpoint, Google) is where the fork runs; --local or --endpoint choose otherwise. A parent loaded "
            + "with batchledger import is refused (exit 2) unless --include-imported.")

    @Argument(help: "The parent execution id.")
    var execution: String

    @Option(help: "The top-level task to run again, with everything after it.")
    var from: String

    @Flag(help: "Run on the embedded LocalCloud emulator.")
    var local = false

    @Option(help: "Send every Google API call to this base URL.")
    var endpoint: String?

    @OptionGroup var recovery: RecoveryOptions

    func run() async throws {
        let console = Console(json: recovery.json)
        let store = try openLedgerForReading(recovery.ledgerOptions, command: "fork")
        let parent = try loadExecution(store, execution)
        guard let started = parent.started else { throw ExitCode(2) }
        do {
            if let origin = try ImportedHistory.origin(of: execution, in: store) {
                guard recovery.includeImported else {
                    console.error(
                        ImportedHistory.refusal(
                            execution, origin: origin, command: "fork",
                            override: "batchledger fork \(execution) --from \(from) \(ImportedHistory.overrideFlag)"))
                    throw ExitCode(2)
                }
                console.note(
                    "execution \(execution) was imported from ledger \(MessageQuote.quoted(origin.sourceLedger)); "
                        + "forking it as \(ImportedHistory.overrideFlag) asks")
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            console.error("batchledger fork: \(error)")
            throw ExitCode(3)
        }
        let environment = ProcessInfo.processInfo.environment
        let transport = CurlTransport()
        var embedded: LocalCloud?
        let target: CloudTarget
        do {
            if local {
                let (localTarget, cloud) = try await CloudTargets.local(transport: transport, environment: environment)
                target = localTarget
                embedded = cloud
            } else if let endpoint, let url = URL(string: endpoint) {
                target = try CloudTargets.endpoint(
                    GoogleEndpoints(base: url), transport: transport, environment: environment)
            } else {
                let (recorded, cloud) = try await CloudTargets.recorded(
                    started.backend, environment: environment, transport: transport)
                target = recorded
                embedded = cloud
            }
        } catch {
            console.error("batchledger fork: \(error)")
            throw ExitCode(3)
        }
        defer { if let embedded { Task { await embedded.shutdown() } } }
        let secrets: SecretStore
        do {
            secrets = SecretStore(
                environment: environment, file: try recovery.secretsFile.map { try SecretsFile.load(from: $0) })
        } catch {
            console.error("\(error)")
            throw ExitCode(2)
        }
        let display = RunDisplay(console: console)
        let runner = ExecutionRunner(
            store: store,
            configuration: RunConfiguration(
                target: target, secrets: secrets, environment: environment,
                outputDirectory: URL(fileURLWithPath: started.outputDirectory).deletingLastPathComponent(),
                namespaceFilesDirectory: started.namespaceFilesDirectory.map { URL(fileURLWithPath: $0) },
                observer: { event, state in display.show(event, state) }, notice: { console.note($0) }))
        var generator = SystemRandomNumberGenerator()
        let child = Naming.executionID(using: &generator)
        console.status("execution \(child) · forked from \(execution) at task \(from) · \(target.summary)")
        let state: ExecutionState
        do {
            state = try await runner.fork(execution, fromTask: from, executionId: child)
        } catch let problems as FlowProblems {
            for line in problems.problems { console.error(line) }
            throw ExitCode(2)
        } catch {
            console.error("batchledger fork: \(error)")
            throw ExitCode(3)
        }
        if recovery.json {
            print(try ExecutionReport(state).json())
        } else {
            console.status("execution \(child) \(state.state)")
        }
        switch state.state {
        case "SUCCEEDED", "WARNING": return
        case "CANCELLED": throw ExitCode(130)
        default: throw ExitCode(1)
        }
    }
}
