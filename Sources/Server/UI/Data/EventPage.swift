import Engine
import Foundation
import Ledger

/// A page of one execution's events for the event trail, in the shape of `GET /api/v1/main/executions/{id}/events`
/// (`{"results": [{seq, execution, version, type, schema_version, recorded_at, payload}], "total": N}`, `total`
/// counting the events after `after`), read from the ledger: the execution page uses it where the server does not
/// answer that path.
struct EventPage {
    /// The largest page.
    static let maximumSize = 500

    /// The events of `id` after `seq` `after`, at most `size`; `notFound` for an unknown execution.
    static func read(_ id: String, from store: EventStore, after: Int64, size: Int) throws -> Data {
        guard !id.isEmpty, id.count <= 128 else { throw APIError.notFound("no execution \(MessageQuote.quoted(id))") }
        var results: [[String: Any]] = []
        var total = 0
        var exists = false
        try store.readStream(id) { event in
            exists = true
            guard event.seq > after else { return }
            total += 1
            guard results.count < size else { return }
            let payload = (try? JSONSerialization.jsonObject(with: event.payload, options: [.fragmentsAllowed]))
            results.append([
                "seq": event.seq, "execution": event.stream, "version": event.version, "type": event.type,
                "schema_version": event.schemaVersion, "recorded_at": event.recordedAt, "payload": payload ?? NSNull(),
            ])
        }
        guard exists else { throw APIError.notFound("no execution \(MessageQuote.quoted(id))") }
        return try JSONSerialization.data(
            withJSONObject: ["results": results, "total": total], options: [.sortedKeys, .withoutEscapingSlashes])
    }
}
