import Engine
import Foundation
import Ledger

/// The folded records of the executions read lately, each with the stream version it covers, so that a read
/// folds only the events recorded since (a search page of 25 running executions reads 25 short tails, not 25
/// whole streams). Bounded by count and by the log bytes the records hold; the oldest entries go first.
final class RecordCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: ExecutionRecord] = [:]
    private var order: [String] = []
    private var logBytes = 0
    let maximumEntries: Int
    let maximumLogBytes: Int

    init(maximumEntries: Int = 128, maximumLogBytes: Int = 8 << 20) {
        self.maximumEntries = maximumEntries
        self.maximumLogBytes = maximumLogBytes
    }

    /// The record of `id` brought up to the end of its stream; nil when the stream has no events.
    func record(_ id: String, in store: EventStore) throws -> ExecutionRecord? {
        var record = lock.withLock { entries[id] } ?? ExecutionRecord()
        let known = record.state.version
        try store.readStream(id, fromVersion: known + 1) { try record.apply($0) }
        guard record.state.version > 0 else { return nil }
        if record.state.version != known { keep(id, record) }
        return record
    }

    private func keep(_ id: String, _ record: ExecutionRecord) {
        let size = record.state.storedLogBytes
        guard size <= maximumLogBytes / 4 else { return }
        lock.withLock {
            if let old = entries.updateValue(record, forKey: id) {
                logBytes -= old.state.storedLogBytes
            } else {
                order.append(id)
            }
            logBytes += size
            while entries.count > maximumEntries || logBytes > maximumLogBytes, !order.isEmpty {
                let evicted = order.removeFirst()
                if let gone = entries.removeValue(forKey: evicted) { logBytes -= gone.state.storedLogBytes }
            }
        }
    }
}
