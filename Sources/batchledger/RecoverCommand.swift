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

    @Flag(
        help: """
            Also drive executions loaded with batchledger import. Their flow, folders and endpoint come from the \
            export, so without this flag they are refused (exit 2): use it only for an export you trust.
            """)
    var includeImported = false
}

/// Drives interrupted executions to their end.
enum Recovery {
    struct Entry: Encodable {
        var executionId: String
        /// finished, already-terminal, held, failed, imported (refused: loaded by import)
        var outcome: String
        var state: String?
        var detail: String?
    }

    struct Summary: Encodable {
        var recovered: [Entry]
        /// Batch calls made to reconcile (not to watch afterwards).
        var jobsListCalls: Int
        var jobsGetCalls: Int
    }

    /// Resumes one execution; never throws (a failure is an entry).
    static func resumeOne(
        _ id: String, store: EventStore, secrets: SecretStore, environment: [String: String],
        transport: CurlTransport, directory: JobDirectory, shared: SharedRegistries, console: Console
    ) async -> Entry {
        do {
            guard let state = try store.executionState(id), let started = state.started else {
                console.error("\(id): no such execution in \(store.path)")
                return Entry(executionId: id, outcome: "failed", state: nil, detail: "no such execution in the ledger")
            }
            if state.isTerminal {
                return Entry(executionId: id, outcome: "already-terminal", state: state.state, detail: nil)
            }
            console.status("resuming execution \(id) · flow \(started.namespace)/\(started.flowId)")
            let (target, embedded) = try await CloudTargets.recorded(
                started.backend, environment: environment, transport: transport)
            // An embedded emulator is stopped, and its folder removed, before this returns, however it ends.
            let result: Result<Entry, any Error>
            do {
                result = .success(
                    try await resumeOn(
                        id, started: started, target: target, store: store, secrets: secrets,
                        environment: environment, directory: directory, shared: shared, console: console))
            } catch {
                result = .failure(error)
            }
            if let embedded { await embedded.shutdown() }
            return try result.get()
        } catch {
            console.error("execution \(id): recovery failed: \(error)")
            return Entry(executionId: id, outcome: "failed", state: "RUNNING", detail: "\(error)")
        }
    }

    /// Resumes one execution on its target (the embedded emulator's shutdown is the caller's).
    private static func resumeOn(
        _ id: String, started: ExecutionStarted, target: CloudTarget, store: EventStore, secrets: SecretStore,
        environment: [String: String], directory: JobDirectory, shared: SharedRegistries, console: Console
    ) async throws -> Entry {
        let display = RunDisplay(console: console)
        var configuration = RunConfiguration(
            target: target, secrets: secrets, environment: environment,
            outputDirectory: URL(fileURLWithPath: started.outputDirectory).deletingLastPathComponent(),
            namespaceFilesDirectory: nil, observer: { event, state in display.show(event, state) },
            notice: { console.note($0) })
        configuration.jobDirectory = directory
        configuration.sharedServices = await shared.registry(for: target)
        let runner = ExecutionRunner(store: store, configuration: configuration)
        switch try await runner.resume(id) {
        case .finished(let final):
            console.status("execution \(id) \(final.state)")
            return Entry(executionId: id, outcome: "finished", state: final.state, detail: nil)
        case .alreadyTerminal(let final):
            return Entry(executionId: id, outcome: "already-terminal", state: final.state, detail: nil)
        case .heldBy(let holder):
            console.note("execution \(id) is being driven by \(holder); left to it")
            return Entry(executionId: id, outcome: "held", state: "RUNNING", detail: "\(holder)")
        }
    }

    /// Resumes `ids`; an imported execution is refused (an `imported` entry) unless `--include-imported`.
    /// `command` is what the user ran (`recover` or `resume`), for the messages.
    static func resume(_ ids: [String], options: RecoveryOptions, command: String) async throws -> [Entry] {
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
        try options.ledgerOptions.requireExisting(command: command)
        let store: EventStore
        do {
            store = try EventStore(
                path: options.ledgerOptions.path,
                options: .init(projections: [ProjectionRegistration(ExecutionSummaryProjection.self)]))
        } catch {
            console.error("batchledger: \(error)")
            throw ExitCode(3)
        }
        var refused: [Entry] = []
        var ids = ids
        do {
            (ids, refused) = try screenImported(ids, store: store, options: options, command: command, console: console)
        } catch {
            console.error("batchledger \(command): \(error)")
            throw ExitCode(3)
        }
        let transport = CurlTransport()
        let directory = JobDirectory()
        let shared = SharedRegistries()
        let started = ContinuousClock.now
        // Executions are independent: resume several at once, sharing one view of Batch's jobs.
        let entries = try await withThrowingTaskGroup(of: Entry.self) { group in
            var results: [Entry] = []
            var next = 0
            func add() {
                let id = ids[next]
                next += 1
                group.addTask {
                    await resumeOne(
                        id, store: store, secrets: secrets, environment: environment, transport: transport,
                        directory: directory, shared: shared, console: console)
                }
            }
            while next < min(ids.count, 512) { add() }
            while let entry = try await group.next() {
                results.append(entry)
                if next < ids.count { add() }
            }
            return (results + refused).sorted { $0.executionId < $1.executionId }
        }
        let elapsed = ContinuousClock.now - started
        let lists = await directory.listCalls
        let gets = await directory.getCalls
        if !ids.isEmpty {
            console.note(
                "reconciled \(ids.count) execution(s) with \(lists) jobs.list and \(gets) jobs.get call(s) in "
                    + String(format: "%.1f s", elapsed.seconds))
        }
        if options.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(
                String(
                    decoding: try encoder.encode(Summary(recovered: entries, jobsListCalls: lists, jobsGetCalls: gets)),
                    as: UTF8.self))
        }
        return entries
    }

    /// Splits `ids` into those to drive and the imported ones refused (each said on standard error). With
    /// `--include-imported` every id is driven, each imported one noted.
    static func screenImported(
        _ ids: [String], store: EventStore, options: RecoveryOptions, command: String, console: Console
    ) throws -> (drive: [String], refused: [Entry]) {
        var drive: [String] = []
        var refused: [Entry] = []
        for id in ids {
            guard let origin = try ImportedHistory.origin(of: id, in: store) else {
                drive.append(id)
                continue
            }
            if options.includeImported {
                console.note(
                    "execution \(id) was imported from ledger \(MessageQuote.quoted(origin.sourceLedger)); driving "
                        + "it as \(ImportedHistory.overrideFlag) asks")
                drive.append(id)
                continue
            }
            let override =
                command == "recover"
                ? "batchledger recover \(ImportedHistory.overrideFlag) (or batchledger resume \(id) "
                    + "\(ImportedHistory.overrideFlag))"
                : "batchledger \(command) \(id) \(ImportedHistory.overrideFlag)"
            let message = ImportedHistory.refusal(id, origin: origin, command: command, override: override)
            console.error(message)
            refused.append(Entry(executionId: id, outcome: "imported", state: nil, detail: message))
        }
        return (drive, refused)
    }

    /// The exit status of recover and resume: 3 when recovery failed for any, 2 when an imported execution was
    /// refused, else 0.
    static func exitCode(_ entries: [Entry]) -> ExitCode? {
        if entries.contains(where: { $0.outcome == "failed" }) { return ExitCode(3) }
        if entries.contains(where: { $0.outcome == "imported" }) { return ExitCode(2) }
        return nil
    }
}

/// `batchledger recover`: resume every interrupted execution.
struct RecoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Resume every execution a crash or a kill interrupted, reconciling each step with Batch and Storage.",
        discussion: """
            Everything comes from the ledger (flow, inputs, endpoint, output folder); secrets are read again from the \
            environment and --secrets-file. Executions loaded with batchledger import are left alone (said on \
            standard error) unless --include-imported. Exit status 0 when every interrupted execution was driven to \
            its end (or is being driven by another live process, or there was nothing to do), 2 when an imported \
            execution was left alone, 3 when recovery failed for any.
            """)

    @OptionGroup var options: RecoveryOptions

    func run() async throws {
        guard FileManager.default.fileExists(atPath: options.ledgerOptions.path) else {
            if options.json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                let empty = Recovery.Summary(recovered: [], jobsListCalls: 0, jobsGetCalls: 0)
                print(String(decoding: try encoder.encode(empty), as: UTF8.self))
            } else {
                print("nothing to recover: no ledger at \(options.ledgerOptions.path)")
            }
            return
        }
        let store = try openLedgerForReading(options.ledgerOptions, command: "recover")
        let interrupted = try store.cachedStates(ExecutionSummaryProjection.self).values
            .filter { $0.state == "RUNNING" }.sorted { ($0.startedAt ?? "") < ($1.startedAt ?? "") }.map(\.executionId)
        if interrupted.isEmpty && !options.json {
            print("nothing to recover: no interrupted execution in \(store.path)")
        }
        let entries = try await Recovery.resume(interrupted, options: options, command: "recover")
        if let code = Recovery.exitCode(entries) { throw code }
    }
}

/// `batchledger resume EXECUTION`.
struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume", abstract: "Resume one interrupted execution.",
        discussion: """
            An execution loaded with batchledger import is refused (exit 2) unless --include-imported. Exit status 0 \
            when it was driven to its end (or another live process drives it), 3 when recovery failed.
            """)

    @Argument(help: "The execution id.")
    var execution: String

    @OptionGroup var options: RecoveryOptions

    func run() async throws {
        let entries = try await Recovery.resume([execution], options: options, command: "resume")
        if let code = Recovery.exitCode(entries) { throw code }
    }
}

/// One service registry per recorded endpoint, shared by the executions a recover resumes there (a --local
/// execution gets its own emulator, so it is not shared).
actor SharedRegistries {
    private var registries: [String: ServiceRegistry] = [:]

    func registry(for target: CloudTarget) -> ServiceRegistry? {
        guard target.backend.kind != "local" else { return nil }
        let key = target.backend.kind + "|" + (target.backend.endpoint ?? "")
        if let existing = registries[key] { return existing }
        let registry = ServiceRegistry(sharedBy: target.world, timing: target.timing)
        registries[key] = registry
        return registry
    }
}
