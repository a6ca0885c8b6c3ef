import Foundation
import ArgumentParser
import Ledger

/// The `--ledger` option every command that reads or writes the ledger shares.
struct LedgerOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The ledger file.",
            discussion: "Default: $BATCHLEDGER_LEDGER, else ~/.local/share/batchledger/ledger.sqlite.",
            valueName: "path"))
    var ledger: String?

    var path: String {
        ledger ?? LedgerLocation.defaultPath()
    }

    /// Opens the ledger read-only for a command that only reads (`SQLITE_OPEN_READONLY`, immutable on read-only
    /// media): nothing is created, migrated or written. Exits 3 with the reason when there is no ledger at the
    /// path or it cannot be read.
    /// Exits 3 naming the path when no ledger is there: commands that act on recorded executions never create one.
    func requireExisting(command: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            printError("batchledger \(command): \(LedgerError.noLedger(path: path))")
            throw ExitCode(3)
        }
    }

    func openReadOnly(command: String) throws -> EventStore {
        do {
            return try EventStore(path: path, options: .init(readOnly: true))
        } catch {
            printError("batchledger \(command): \(error)")
            throw ExitCode(3)
        }
    }
}
