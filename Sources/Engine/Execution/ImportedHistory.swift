import Foundation
import Ledger

/// An execution loaded with `batchledger import` is someone else's history: its flow, output folder, namespace
/// folder and endpoint are whatever the export says, and an export is easy to forge with valid hashes. Driving it
/// (recover, resume, fork) would run that flow here, with this machine's secrets and files, so the commands
/// refuse an imported execution unless the user names it with `--include-imported`.
public enum ImportedHistory {
    /// Where an imported execution came from.
    public struct Origin: Sendable, Equatable {
        /// The source ledger's identity, as the export's header named it.
        public var sourceLedger: String
    }

    /// The flag that lets a command drive an imported execution anyway.
    public static let overrideFlag = "--include-imported"

    /// Where `executionId` was imported from, or nil when it was recorded in this ledger.
    // At merge: the ledger's own `EventStore.importOrigin(of:)` answers this in one row; this reads the
    // public provenance rows instead.
    public static func origin(of executionId: String, in store: EventStore) throws -> Origin? {
        guard let first = try store.importProvenance(of: executionId).first else { return nil }
        return Origin(sourceLedger: first.sourceLedger)
    }

    /// Why `command` does not drive the imported `executionId`, and the command line (`override`) that does.
    public static func refusal(_ executionId: String, origin: Origin, command: String, override: String) -> String {
        "batchledger \(command): execution \(MessageQuote.quoted(executionId)) was imported from ledger "
            + "\(MessageQuote.quoted(origin.sourceLedger)), not recorded here; its flow, folders and endpoint are "
            + "whatever that export says, so it is not run on this machine with your secrets. If you trust the "
            + "export, run: \(override)"
    }
}
