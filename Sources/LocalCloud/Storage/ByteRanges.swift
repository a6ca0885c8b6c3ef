import Foundation

/// The byte-range headers of Storage requests, parsed strictly: decimal digits only, every sum checked for
/// overflow, so that no header value can trap the emulator (a bad one is a 400 or 416 in Google's shape).
enum ByteRanges {
    /// A non-negative decimal byte position up to 2^63-1, or nil (no sign, no spaces; Int64 refuses larger values).
    static func position(_ text: Substring) -> Int64? {
        guard !text.isEmpty, text.utf8.count <= 19, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int64(text)
    }

    /// A header value quoted in a message: at most 100 characters.
    static func quoted(_ header: String) -> String {
        header.count <= 100 ? "'\(header)'" : "'\(header.prefix(100))…'"
    }

    /// A resumable chunk's `Content-Range`: `bytes A-B/N`, `bytes A-B/*`, `bytes */N` or `bytes */*`.
    struct ContentRange: Equatable, Sendable {
        /// The chunk's first byte, or nil for a status query (`*/…`).
        var first: Int64?
        /// The upload's total size, or nil when not yet known (`…/*`).
        var total: Int64?
    }

    /// Parses `Content-Range` and checks it against the `count` bytes of the chunk sent with it.
    static func contentRange(_ header: String, chunkSize count: Int64) throws(APIError) -> ContentRange {
        func malformed(_ why: String) -> APIError {
            APIError.invalidArgument(
                "Malformed Content-Range \(quoted(header)): \(why). Send 'bytes FIRST-LAST/TOTAL', "
                    + "'bytes FIRST-LAST/*' or 'bytes */TOTAL' with positions below 2^63 - 1.", shape: .storage)
        }
        var text = Substring(header).drop(while: { $0 == " " })
        guard text.hasPrefix("bytes") else { throw malformed("it does not start with 'bytes'") }
        text = text.dropFirst(5).drop(while: { $0 == " " || $0 == "=" })
        let halves = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard halves.count == 2 else { throw malformed("it has no '/'") }
        var result = ContentRange()
        if halves[1] != "*" {
            guard let total = position(halves[1]) else { throw malformed("the total is not a byte count") }
            result.total = total
        }
        if halves[0] == "*" {
            guard count == 0 else { throw malformed("a chunk with bytes needs its FIRST-LAST positions") }
            return result
        }
        let bounds = halves[0].split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard bounds.count == 2, let first = position(bounds[0]), let last = position(bounds[1]), first <= last else {
            throw malformed("FIRST-LAST must be two byte positions with FIRST <= LAST")
        }
        // last < 2^63 and first >= 0, so last - first cannot overflow; + 1 can (last - first == Int64.max).
        let (length, overflow) = (last - first).addingReportingOverflow(1)
        guard !overflow, length == count else {
            throw APIError.invalidArgument(
                "Content-Range \(quoted(header)) does not match the \(count) bytes sent.", shape: .storage)
        }
        if let total = result.total, last >= total {
            throw APIError.invalidArgument(
                "Content-Range \(quoted(header)) ends at or past the total size it gives.", shape: .storage)
        }
        result.first = first
        return result
    }

    /// A download's `Range: bytes=A-B`, `bytes=A-` or `bytes=-N` against an object of `size` bytes: the bytes to
    /// send, nil for the whole object (no header, or a form this emulator ignores as Google does, such as several
    /// ranges), or a 416 when the range lies outside the object.
    static func range(_ header: String?, size: Int64) throws(APIError) -> ClosedRange<Int64>? {
        guard let header, header.hasPrefix("bytes="), size > 0 else { return nil }
        let spec = header.dropFirst(6)
        guard !spec.contains(",") else { return nil }
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        func unsatisfiable(_ why: String) -> APIError {
            APIError(
                httpStatus: 416, status: "OUT_OF_RANGE",
                message: "Requested range \(quoted(header)) is not satisfiable: \(why)",
                reason: "requestedRangeNotSatisfiable", shape: .storage)
        }
        if parts[0].isEmpty {
            guard let suffix = position(parts[1]), suffix > 0 else {
                throw unsatisfiable("a suffix must be a byte count of at least 1")
            }
            return max(0, size - suffix)...(size - 1)
        }
        guard let start = position(parts[0]) else { return nil }
        var end = size - 1
        if !parts[1].isEmpty {
            guard let last = position(parts[1]) else { return nil }
            end = min(last, size - 1)
        }
        guard start < size, start <= end else {
            throw unsatisfiable("the object has \(size) bytes")
        }
        return start...end
    }
}
