import Foundation
import Ledger

/// An execution loaded with `batchledger import` is someone else's history: its flow, output folder, namespace
/// folder and endpoint are whatever the export says, and an export is easy to forge with valid hashes. Driving it
/// (recover, resume, fork) would run that flow here, with this machine's secrets and files, so the commands
/// refuse an imported execution unless the user names it with `--include-imported`.
public enum ImportedHistory {
    /// Where an imported execution came from (the ledger's own record of the import).
    public typealias Origin = ImportOrigin

    /// The flag that lets a command drive an imported execution anyway.
    public static let overrideFlag = "--include-imported"

    /// Where `executionId` was imported from, or nil when it was recorded in this ledger.
    public static func origin(of executionId: String, in store: EventStore) throws -> Origin? {
        try store.importOrigin(of: executionId)
    }

    /// Why `command` does not drive the imported `executionId`, and the command line (`override`) that does.
    public static func refusal(_ executionId: String, origin: Origin, command: String, override: String) -> String {
        "batchledger \(command): execution \(MessageQuote.quoted(executionId)) was imported from ledger "
            + "\(MessageQuote.quoted(origin.sourceLedger)) on \(MessageQuote.quoted(origin.importedAt)), "
            + "not recorded here; its flow, folders and endpoint are whatever that export says, so it is not run "
            + "on this machine with your secrets. If you trust the export, run: \(override)"
    }
}
