import Foundation
import Testing

@testable import Ledger

@Suite("Timestamps at the edges of what RFC 3339 can write")
struct TimestampRangeTests {
    @Test("a date past the years 1-9999 is written as the nearest bound, never a trap")
    func outOfRange() {
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: 1e20)) == "9999-12-31T23:59:59.000000Z")
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: -1e20)) == "0001-01-01T00:00:00.000000Z")
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: .infinity)) == "9999-12-31T23:59:59.000000Z")
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: .nan)) == "1970-01-01T00:00:00.000000Z")
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: 1_800_000_000.25)) == "2027-01-15T08:00:00.250000Z")
    }
}
