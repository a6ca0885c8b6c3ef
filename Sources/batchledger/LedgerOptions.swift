import ArgumentParser
import Engine
import Foundation
import Ledger
import PostgresLedger
import Templates

/// The `--ledger` option every command that reads or writes the ledger shares.
struct LedgerOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The ledger: a file, or postgres://USER@HOST:PORT/DB (default: $BATCHLEDGER_LEDGER, else "
                + "~/.local/share/batchledger/ledger.sqlite).",
            valueName: "path"))
    var ledger: String?

    var path: String {
        ledger ?? LedgerLocation.defaultPath()
    }

    /// The ledger as messages name it: the path, or a PostgreSQL URL without its password.
    var shownName: String { Self.shown(path) }

    /// `path` as messages name it: a PostgreSQL URL loses its password.
    static func shown(_ path: String) -> String {
        guard PostgresURL.looksLikeURL(path) else { return path }
        return (try? PostgresURL(path).description) ?? "the PostgreSQL ledger (its URL is malformed)"
    }

    /// The engine over this ledger, which opens it when an operation first needs it (only `run` creates it).
    func engine() -> Engine {
        let environment = ProcessInfo.processInfo.environment
        return Engine(ledgerPath: path, targets: CLITargets(environment: environment), environment: environment)
    }

    /// Opens the ledger read-only for a command that only reads (`SQLITE_OPEN_READONLY`, immutable on read-only
    /// media): nothing is created, migrated or written. `EngineFailure.noLedger` when there is none.
    func openReadOnly() throws(EngineFailure) -> EventStore {
        try engine().store(.readOnly)
    }
}

/// The secrets a command gives the engine: the `SECRET_` variables of the environment and `--secrets-file`.
enum Secrets {
    /// Throws `SecretError` when the file cannot be read or has a malformed line.
    static func load(_ secretsFile: String?) throws -> SecretStore {
        SecretStore(
            environment: ProcessInfo.processInfo.environment,
            file: try secretsFile.map { try SecretsFile.load(from: $0) })
    }
}
