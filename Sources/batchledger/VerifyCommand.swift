import ArgumentParser
import Foundation
import Ledger

/// `batchledger verify`: recompute the hash chains and check the file's structure.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the ledger's hash chains, its immutability triggers and its file structure.",
        discussion: "Exit status 0 when everything checks out, 1 with the first bad seq otherwise, 3 when the ledger "
            + "cannot be read.")

    @OptionGroup var ledgerOptions: LedgerOptions

    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        let path = ledgerOptions.path
        let report: VerificationReport
        do {
            let store = try EventStore(path: path, options: .init(readOnly: true))
            report = try store.verify()
        } catch {
            printError("batchledger verify: \(error)")
            throw ExitCode(3)
        }
        if json {
            var object: [String: Any] = [
                "ledger": path, "valid": report.isValid, "eventsChecked": report.eventsChecked,
                "streamsChecked": report.streamsChecked,
                "immutabilityTriggersPresent": report.immutabilityTriggersPresent,
                "storageCheck": report.storageCheck,
            ]
            if let problem = report.firstProblem {
                object["firstBadSeq"] = problem.seq
                object["problem"] = problem.description
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else if report.isValid {
            print(
                "\(path): \(report.eventsChecked) events in \(report.streamsChecked) executions; hash chains intact, "
                    + "immutability triggers in place, storage ok")
        } else {
            if let problem = report.firstProblem {
                print("\(path): \(problem)")
            }
            if !report.immutabilityTriggersPresent {
                print("\(path): the triggers that refuse UPDATE and DELETE on events are missing")
            }
            if report.storageCheck != "ok" {
                print("\(path): SQLite structure check: \(report.storageCheck)")
            }
        }
        if !report.isValid { throw ExitCode(1) }
    }
}

/// Writes a line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
