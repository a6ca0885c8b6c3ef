import ArgumentParser
import Engine
import Foundation
import Ledger
import PostgresLedger

/// `batchledger ledger`: work on whole ledgers, on SQLite or PostgreSQL.
struct LedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Copy and verify whole ledgers, as SQLite files or PostgreSQL databases.",
        subcommands: [LedgerCopyCommand.self, LedgerVerifyCommand.self])
}

/// A ledger named on the command line: an SQLite file path or a `postgres://` URL.
enum LedgerArgument {
    /// The engine's store of `text` (a file or a PostgreSQL ledger with its cache), created and migrated as needed:
    /// what a copy writes into, through the same writer as every other write.
    static func target(_ text: String) throws -> EventStore {
        try engine(text).store(.create)
    }

    /// `text` to read from: a file opened read-only, or a PostgreSQL ledger read in the database itself (no cache
    /// is made for it, and nothing is created there).
    static func source(_ text: String) throws -> LedgerSource {
        if PostgresURL.looksLikeURL(text) {
            return .record(try PostgresRecord.open(url: text, readOnly: true, create: false))
        }
        return .store(try engine(text).store(.readOnly))
    }

    private static func engine(_ text: String) -> Engine {
        Engine(
            ledgerPath: text, targets: CLITargets(environment: [:]), environment: ProcessInfo.processInfo.environment)
    }
}

/// `batchledger ledger copy FROM TO`.
struct LedgerCopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy a whole ledger to another backend, keeping both hash chains and the head.",
        discussion: """
            FROM and TO are each an SQLite ledger file or postgres://USER@HOST:PORT/DB (TLS as ?sslmode= says, \
            prefer by default; a password in the URL is never printed). Every row keeps its seq, time, payload and \
            hashes, so the head (SEQ:HASH) printed at the end is the source's, and batchledger ledger verify on \
            either side prints it. TO must be empty, or hold the start of FROM from an interrupted copy, which is \
            then completed. A PostgreSQL target is migrated first and written as every command writes it, through \
            the role batchledger_writer, which may only insert and read events; its local cache goes to \
            $BATCHLEDGER_CACHE_DIR (else ~/.cache/batchledger). A PostgreSQL source is read in the database, \
            without a cache. The secret-digest key goes along, so the copy checks the digests its events hold.

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

    func run() throws {
        try ExitCodes.run("ledger copy") {
            let source = try LedgerArgument.source(from)
            defer { if case .record(let record) = source { record.close() } }
            let target = try LedgerArgument.target(to)
            let report = try LedgerCopy.copy(from: source, to: target)
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
struct LedgerVerifyCommand: ParsableCommand {
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

    func run() throws {
        let anchor = expectHead.flatMap { ChainLink($0) }
        guard PostgresURL.looksLikeURL(ledger) else {
            var verify = try VerifyCommand.parse(
                ["--ledger", ledger] + (expectHead.map { ["--expect-head", $0] } ?? []))
            try verify.run()
            return
        }
        let (name, report) = try ExitCodes.run("ledger verify") {
            let record = try PostgresRecord.open(url: ledger, readOnly: true, create: false)
            defer { record.close() }
            return (record.description, try record.verify(expectingHead: anchor))
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
