import ArgumentParser
import Engine
import Foundation
import GoogleCloud
import Ledger
import LocalCloud
import Templates

/// What recover and resume share: secrets, the ledger, and how each execution is driven.
struct RecoveryOptions: ParsableArguments {
    @OptionGroup var ledgerOptions: LedgerOptions

    @Option(help: "A file of NAME=value lines with secrets (plain values; # comments).")
    var secretsFile: String?

    @Flag(help: "Print one JSON document at the end (everything else on standard error).")
    var json = false
}

/// Drives interrupted executions to their end.
enum Recovery {
    struct Entry: Encodable {
        var executionId: String
        /// finished, already-terminal, held, failed
        var outcome: String
        var state: String?
        var detail: String?
    }

    static func resume(_ ids: [String], options: RecoveryOptions) async throws -> [Entry] {
        let console = Console(json: options.json)
        let environment = ProcessInfo.processInfo.environment
        let secrets: SecretStore
        do {
            secrets = SecretStore(
                environment: environment, file: try options.secretsFile.map { try SecretsFile.load(from: $0) })
        } catch {
            console.error("\(error)")
            throw ExitCode(2)
        }
        let store: EventStore
        do {
            store = try EventStore(
                path: options.ledgerOptions.path,
                options: .init(projections: [ProjectionRegistration(ExecutionSummaryProjection.self)]))
        } catch {
            console.error("batchledger: \(error)")
            throw ExitCode(3)
        }
        let transport = URLSessionTransport()
        var entries: [Entry] = []
        for id in ids {
            guard let state = try store.executionState(id), let started = state.started else {
                entries.append(
                    Entry(executionId: id, outcome: "failed", state: nil, detail: "no such execution in the ledger"))
                console.error("\(id): no such execution in \(store.path)")
                continue
            }
            if state.isTerminal {
                entries.append(Entry(executionId: id, outcome: "already-terminal", state: state.state, detail: nil))
                continue
            }
            console.status("resuming execution \(id) · flow \(started.namespace)/\(started.flowId)")
            var cloud: LocalCloud?
            do {
                let (target, embedded) = try await CloudTargets.recorded(
                    started.backend, environment: environment, transport: transport)
                cloud = embedded
                let display = RunDisplay(console: console)
                let configuration = RunConfiguration(
                    target: target, secrets: secrets, environment: environment,
                    outputDirectory: URL(fileURLWithPath: started.outputDirectory).deletingLastPathComponent(),
                    namespaceFilesDirectory: nil, observer: { event, state in display.show(event, state) },
                    notice: { console.note($0) })
                let runner = ExecutionRunner(store: store, configuration: configuration)
                switch try await runner.resume(id) {
                case .finished(let final):
                    console.status("execution \(id) \(final.state)")
                    entries.append(Entry(executionId: id, outcome: "finished", state: final.state, detail: nil))
                case .alreadyTerminal(let final):
                    entries.append(Entry(executionId: id, outcome: "already-terminal", state: final.state, detail: nil))
                case .heldBy(let holder):
                    console.note("execution \(id) is being driven by \(holder); left to it")
                    entries.append(Entry(executionId: id, outcome: "held", state: "RUNNING", detail: "\(holder)"))
                }
            } catch {
                console.error("execution \(id): recovery failed: \(error)")
                entries.append(Entry(executionId: id, outcome: "failed", state: "RUNNING", detail: "\(error)"))
            }
            if let cloud { await cloud.shutdown() }
        }
        if options.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(["recovered": entries]), as: UTF8.self))
        }
        return entries
    }
}

/// `batchledger recover`: resume every interrupted execution.
struct RecoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Resume every execution a crash or a kill interrupted, reconciling each step with Batch and Storage.",
        discussion: """
            Everything comes from the ledger (flow, inputs, endpoint, output folder); secrets are read again from the
            environment and --secrets-file. Exit status 0 when every interrupted execution was driven to its end (or
            is being driven by another live process, or there was nothing to do), 3 when recovery failed for any.
            """)

    @OptionGroup var options: RecoveryOptions

    func run() async throws {
        let store = try openLedgerForReading(options.ledgerOptions)
        let interrupted = try store.cachedStates(ExecutionSummaryProjection.self).values
            .filter { $0.state == "RUNNING" }.sorted { ($0.startedAt ?? "") < ($1.startedAt ?? "") }.map(\.executionId)
        if interrupted.isEmpty && !options.json {
            print("nothing to recover: no interrupted execution in \(store.path)")
        }
        let entries = try await Recovery.resume(interrupted, options: options)
        if entries.contains(where: { $0.outcome == "failed" }) { throw ExitCode(3) }
    }
}

/// `batchledger resume EXECUTION`.
struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume", abstract: "Resume one interrupted execution.")

    @Argument(help: "The execution id.")
    var execution: String

    @OptionGroup var options: RecoveryOptions

    func run() async throws {
        let entries = try await Recovery.resume([execution], options: options)
        if entries.contains(where: { $0.outcome == "failed" }) { throw ExitCode(3) }
    }
}
