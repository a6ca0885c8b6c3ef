import Foundation

/// Errors of the engine itself, each saying what failed and what to do.
public enum EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadableEvent(seq: Int64, type: String, detail: String)
    case invalidFlow(String)
    case configuration(String)
    case noCredentials(String)
    case timedOut(task: String, after: String)
    case cancelled

    public var description: String {
        switch self {
        case .unreadableEvent(let seq, let type, let detail):
            return "ledger event seq \(seq) (\(type)) cannot be read: \(detail); run batchledger verify"
        case .invalidFlow(let message): return message
        case .configuration(let message): return message
        case .noCredentials(let message): return message
        case .timedOut(let task, let after): return "task \(task) timed out after \(after)"
        case .cancelled: return "cancelled"
        }
    }
}
