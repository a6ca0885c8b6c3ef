import Foundation

/// Errors of the engine itself, each saying what failed and what to do.
public enum EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadableEvent(seq: Int64, type: String, detail: String)
    /// A recorded event whose type this version does not know (a newer writer's event, or a foreign row).
    case unknownEventType(seq: Int64, type: String)
    /// A recorded event whose payload schema is newer than the one this version knows for its type.
    case newerEventSchema(seq: Int64, type: String, recorded: Int, known: Int)
    case invalidFlow(String)
    case configuration(String)
    case noCredentials(String)
    case timedOut(task: String, after: String)
    case cancelled

    public var description: String {
        switch self {
        case .unreadableEvent(let seq, let type, let detail):
            return "ledger event seq \(seq) (\(type)) cannot be read: \(detail); run batchledger verify"
        case .unknownEventType(let seq, let type):
            return "ledger event seq \(seq) has type \(type), which this version of BatchLedger does not know; "
                + "read the ledger with the version that recorded it"
        case .newerEventSchema(let seq, let type, let recorded, let known):
            return "ledger event seq \(seq) (\(type)) has schema version \(recorded), newer than version \(known) "
                + "that this version of BatchLedger reads; read the ledger with the version that recorded it"
        case .invalidFlow(let message): return message
        case .configuration(let message): return message
        case .noCredentials(let message): return message
        case .timedOut(let task, let after): return "task \(task) timed out after \(after)"
        case .cancelled: return "cancelled"
        }
    }
}
