import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Server-sent events (`text/event-stream`) as Kestra's follow routes send them and its SDK (sseclient) reads
/// them: one `data:` message per document, and comment lines that keep an idle connection open and show early
/// that the client went away.
enum ServerSentEvents {
    /// The headers of a stream: its type, and no caching or buffering on the way.
    static let headers: HTTPFields = [
        .contentType: "text/event-stream", .cacheControl: "no-cache",
        HTTPField.Name("X-Accel-Buffering")!: "no",
    ]

    /// One message carrying `data` (a JSON document): `data: …` and a blank line. A line break inside the data
    /// (compact JSON has none) would start a new `data:` line, which the client joins back with line breaks.
    static func message(_ data: Data) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(data.count + 8)
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            buffer.writeString("data: ")
            buffer.writeBytes(line)
            buffer.writeString("\n")
        }
        buffer.writeString("\n")
        return buffer
    }

    /// A comment line, which clients ignore.
    static let heartbeat = ByteBuffer(string: ":\n\n")
}
