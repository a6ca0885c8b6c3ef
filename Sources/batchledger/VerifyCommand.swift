import ArgumentParser
import Engine
import Foundation
import Ledger

/// `batchledger verify`: recompute the hash chains and check the file's structure.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the ledger's hash chains, its immutability triggers and its file structure.",
        usage: "batchledger verify [<options>]",
        discussion: """
            The execution-summary projection is rebuilt from the log and compared with its cache. The ledger is \
            opened read-only. Prints the chain's head (SEQ:HASH): whoever can write the file can rewrite it with \
            recomputed chains, or cut its last events, and it still verifies on its own; keep the head somewhere \
            else, and a later verify --expect-head SEQ:HASH proves the ledger still passes through it.

            With --export FILE, checks an NDJSON export offline instead (no ledger needed): exit 1 names the \
            first bad line and seq. That proves the file's chains are consistent, not where it came from.

            Exit status: 0 when everything checks out, 1 with the first bad seq otherwise, 3 when the ledger \
            cannot be read.
            """)

    @Option(name: .long, help: ArgumentHelp("Verify this NDJSON export instead of the ledger.", valueName: "file"))
    var export: String?

    @Option(
        name: .customLong("expect-head"),
        help: ArgumentHelp(
            "Fail unless the chain passes through this link, as an earlier verify printed it.",
            valueName: "seq:hash"))
    var expectHead: String?

    @OptionGroup var ledgerOptions: LedgerOptions

    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        if let expectHead {
            if ChainLink(expectHead) == nil {
                throw ValidationError(
                    "--expect-head \(Excerpt.of(expectHead)): give SEQ:HASH as verify printed it, a seq of 1 or "
                        + "more and 64 hex digits, e.g. 42:\(String(repeating: "0", count: 64))")
            }
            if export != nil {
                throw ValidationError("--expect-head checks the ledger; it does not apply to --export")
            }
        }
    }

    func run() throws {
        if let export {
            try verifyExport(export)
            return
        }
        let path = ledgerOptions.shownName
        let anchor = expectHead.flatMap { ChainLink($0) }
        let verification = try ExitCodes.run("verify") {
            try LedgerVerification(try ledgerOptions.openReadOnly(), expectingHead: anchor)
        }
        let (report, projection) = (verification.report, verification.projection)
        if json {
            print(String(decoding: try verification.json(ledger: path), as: UTF8.self))
        } else if report.isValid && projection.isValid {
            print(
                "\(path): \(report.eventsChecked) events in \(report.streamsChecked) executions; hash chains intact, "
                    + "immutability triggers in place, storage ok; projection \(projection.projection) rebuilt "
                    + "from the log equals its cache (\(projection.keysCompared) executions)")
            if let expected = report.expectedHead {
                print("\(path): the chain passes through the expected link \(expected)")
            }
            print(
                "\(path): head seq \(report.head.seq) hash \(report.head.hash.hex); keep it elsewhere and check "
                    + "later with batchledger verify --expect-head \(report.head)")
        } else {
            if let problem = report.anchorProblem {
                print(TerminalText.escaped("\(path): \(problem)"))
            }
            if !projection.isValid {
                print(
                    TerminalText.escaped(
                        "\(path): projection \(projection.projection): the cache differs from a fold of the log for "
                            + projection.mismatchedKeys.joined(separator: ", ")
                            + " (through seq \(projection.checkpointSeq ?? 0)); the log is the truth: the cache was "
                            + "changed outside batchledger"))
            }
            if let problem = report.firstProblem {
                print(TerminalText.escaped("\(path): \(problem)"))
            }
            if !report.immutabilityTriggersPresent {
                print("\(path): the triggers that refuse UPDATE and DELETE on events are missing")
            }
            if report.storageCheck != "ok" {
                print("\(path): SQLite structure check: \(report.storageCheck)")
            }
        }
        if !report.isValid || !projection.isValid { throw ExitCode(ExitCodes.failed) }
    }

    private func verifyExport(_ file: String) throws {
        let report = try ExitCodes.run("verify") { try ExportVerifier.verify(path: file) }
        if json {
            var object: [String: Any] = [
                "export": file, "valid": report.isValid, "eventsChecked": report.eventsChecked,
                "executionsChecked": report.executionsChecked, "globalChainChecked": report.globalChainChecked,
            ]
            if let problem = report.firstProblem {
                object["firstBadLine"] = problem.line
                if let seq = problem.seq { object["firstBadSeq"] = seq }
                object["problem"] = problem.description
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else if let problem = report.firstProblem {
            print(TerminalText.escaped("\(file): \(problem)"))
        } else {
            print(
                "\(file): \(report.eventsChecked) events of \(report.executionsChecked) executions; every execution's "
                    + "hash chain intact"
                    + (report.globalChainChecked
                        ? ", global chain intact"
                        : " (global chain not checked: the export "
                            + "holds some executions only)"))
        }
        if !report.isValid { throw ExitCode(ExitCodes.failed) }
    }
}

/// Writes a line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
