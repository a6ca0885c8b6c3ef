import ArgumentParser
import Engine
import Foundation
import Ledger
import PostgresLedger

/// `batchledger ledger`: work on whole ledgers, on SQLite or PostgreSQL.
struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Copy and verify whole ledgers, as SQLite files or PostgreSQL databases.",
        subcommands: [LedgerCopyCommand.self, LedgerVerifyCommand.self])
}

/// A ledger named on the command line: an SQLite file path or a `postgres://` URL.
enum LedgerArgument {
    /// Opens `text` for reading (SQLite read-only) or for writing (created and migrated as needed).
    static func open(_ text: String, writing: Bool) async throws -> LedgerEndpoint {
        if PostgresURL.looksLikeURL(text) {
            return .postgres(try await PostgresEventStore.open(url: text, readOnly: !writing))
        }
        let engine = Engine(
            ledgerPath: text, targets: CLITargets(environment: [:]), environment: ProcessInfo.processInfo.environment)
        return .sqlite(try engine.store(writing ? .create : .readOnly))
    }

    static func close(_ endpoint: LedgerEndpoint) async {
        if case .postgres(let store) = endpoint { await store.close() }
    }
}

/// `batchledger ledger copy FROM TO`.
struct LedgerCopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy a whole ledger to another backend, keeping both hash chains and the head.",
        discussion: """
            FROM and TO are each an SQLite ledger file or postgres://USER@HOST:PORT/DB (TLS as ?sslmode= says, \
            prefer by default; a password in the URL is never printed). Every row keeps its seq, time, payload and \
            hashes, so the head (SEQ:HASH) printed at the end is the source's, and batchledger ledger verify on \
            either side prints it. TO must be empty, or hold the start of FROM from an interrupted copy, which is \
            then completed. A PostgreSQL target is migrated first and written through the role \
            batchledger_writer, which may only insert and read events. The secret-digest key goes along, so the \
            copy checks the digests its events hold.

            Exit status: 0 when copied, 3 when a ledger cannot be read or written, or TO holds other events.
            """)

    @Argument(help: "The ledger to copy: a file path or a postgres:// URL.")
    var from: String

    @Argument(help: "The ledger to copy into: a file path or a postgres:// URL.")
    var to: String

    func validate() throws {
        for text in [from, to] where PostgresURL.looksLikeURL(text) {
            do { _ = try PostgresURL(text) } catch { throw ValidationError("\(error)") }
        }
        if from == to { throw ValidationError("FROM and TO are the same ledger") }
    }

    func run() async throws {
        try await ExitCodes.run("ledger copy") {
            let source = try await LedgerArgument.open(from, writing: false)
            let target: LedgerEndpoint
            do { target = try await LedgerArgument.open(to, writing: true) } catch {
                await LedgerArgument.close(source)
                throw error
            }
            let outcome: Result<LedgerCopyReport, any Error>
            do { outcome = .success(try await LedgerCopy.copy(from: source, to: target)) } catch {
                outcome = .failure(error)
            }
            await LedgerArgument.close(source)
            await LedgerArgument.close(target)
            let report = try outcome.get()
            var message = "copied \(report.eventsCopied) events from \(source.name) to \(target.name)"
            if report.eventsAlreadyPresent > 0 {
                message += " (\(report.eventsAlreadyPresent) were already there from an interrupted copy)"
            }
            print(message)
            print("\(target.name): head seq \(report.head.seq) hash \(report.head.hash.hex)")
        }
    }
}

/// `batchledger ledger verify LEDGER`: the chain checks of `verify`, on a file or a PostgreSQL ledger.
struct LedgerVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a ledger's hash chains and immutability triggers, on SQLite or PostgreSQL.",
        discussion: """
            Prints the chain's head (SEQ:HASH), which is the same on both sides of a copy. For an SQLite file this \
            is batchledger verify. Exit status: 0 when everything checks out, 1 with the first bad seq otherwise, \
            3 when the ledger cannot be read.
            """)

    @Argument(help: "The ledger: a file path or a postgres:// URL.")
    var ledger: String

    @Option(
        name: .customLong("expect-head"),
        help: ArgumentHelp("Fail unless the chain passes through this link.", valueName: "seq:hash"))
    var expectHead: String?

    func validate() throws {
        if let expectHead, ChainLink(expectHead) == nil {
            throw ValidationError("--expect-head \(Excerpt.of(expectHead)): give SEQ:HASH as verify printed it")
        }
        if PostgresURL.looksLikeURL(ledger) {
            do { _ = try PostgresURL(ledger) } catch { throw ValidationError("\(error)") }
        }
    }

    func run() async throws {
        let anchor = expectHead.flatMap { ChainLink($0) }
        guard PostgresURL.looksLikeURL(ledger) else {
            var verify = try VerifyCommand.parse(
                ["--ledger", ledger] + (expectHead.map { ["--expect-head", $0] } ?? []))
            try verify.run()
            return
        }
        let (name, report) = try await ExitCodes.run("ledger verify") {
            let store = try await PostgresEventStore.open(url: ledger, readOnly: true)
            let report = try await store.verify(expectingHead: anchor)
            await store.close()
            return (store.url.description, report)
        }
        if report.isValid {
            print(
                "\(name): \(report.eventsChecked) events in \(report.streamsChecked) executions; hash chains intact, "
                    + "immutability triggers in place")
            if let expected = report.expectedHead {
                print("\(name): the chain passes through the expected link \(expected)")
            }
            print("\(name): head seq \(report.head.seq) hash \(report.head.hash.hex)")
            return
        }
        if let problem = report.anchorProblem { print(TerminalText.escaped("\(name): \(problem)")) }
        if let problem = report.firstProblem { print(TerminalText.escaped("\(name): \(problem)")) }
        if !report.immutabilityTriggersPresent {
            print("\(name): the triggers that refuse UPDATE, DELETE and TRUNCATE on events are missing or disabled")
        }
        throw ExitCode(ExitCodes.failed)
    }
}
