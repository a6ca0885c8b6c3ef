import Foundation
import Primitives
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The one RFC 3339 timestamp: the ledger's six-digit `recorded_at`, Cloud Logging's nine-digit filter times, and
/// parsing what Google and users write.
struct TimestampTests {
    @Test func theLedgerWritesSixDigitsAtAFixedWidth() {
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: 1_800_000_000.25)) == "2027-01-15T08:00:00.250000Z")
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000000Z")
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500000Z")
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00.000000Z")
        // Years four digits cannot write are written as the nearest bound; NaN as 1970.
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: 1e20)) == "9999-12-31T23:59:59.000000Z")
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: -1e20)) == "0001-01-01T00:00:00.000000Z")
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: .nan)) == "1970-01-01T00:00:00.000000Z")
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: 1_800_000_000.123456)).count == 27)
    }

    @Test func cloudLoggingFiltersGetNineDigits() throws {
        let fine = try #require(Timestamp("2026-01-01T00:00:00.123456789Z"))
        #expect("\(fine)" == "2026-01-01T00:00:00.123456789Z")
        #expect(fine.rfc3339(fractionDigits: 3) == "2026-01-01T00:00:00.123Z", "cut, never rounded up")
        #expect(fine.rfc3339(fractionDigits: 0) == "2026-01-01T00:00:00Z")
        #expect("\(Timestamp(seconds: 0, nanos: 5))" == "1970-01-01T00:00:00.000000005Z")
    }

    @Test func microsecondTimesSurviveADate() throws {
        // The ledger's `--since` goes text → Date → text: the microseconds come back as written.
        for text in ["2026-11-22T08:00:00.123456Z", "2026-11-22T08:00:00.999999Z", "2026-11-22T08:00:00.000001Z"] {
            let date = try #require(Timestamp.parse(text))
            #expect(Timestamp.rfc3339(date) == text)
        }
    }

    @Test func parsesOffsetsAndFractions() throws {
        let z = try #require(Timestamp("2026-01-01T00:00:00Z"))
        #expect(z == Timestamp(seconds: 1_767_225_600, nanos: 0))
        #expect(Timestamp("2026-01-01T01:00:00+01:00") == z)
        #expect(Timestamp("2026-01-01T01:00:00+0100") == z)
        #expect(Timestamp("2025-12-31T23:30:00-00:30") == z)
        #expect(Timestamp("2026-01-01t00:00:00z") == z)
        #expect(Timestamp("2026-01-01 00:00:00Z") == z)
        #expect(Timestamp("2026-01-01T00:00:00.5Z")?.nanos == 500_000_000)
        #expect(Timestamp("2026-01-01T00:00:00.1234567891234Z")?.nanos == 123_456_789, "digits past nine are cut")
        #expect(Timestamp.parse("2026-01-01T00:00:00.25Z")?.timeIntervalSince1970 == 1_767_225_600.25)
    }

    @Test(arguments: [
        "", "yesterday", "2026-01-01T00:00:00", "2026-01-01", "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00+01",
        "2026-01-01T00:00:00Z trailing", "2026/01/01T00:00:00Z", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
        "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z", "2026-01-01T00:00:00+24:00",
    ])
    func refusesWhatIsNotRFC3339(_ text: String) {
        #expect(Timestamp(text) == nil)
        #expect(Timestamp.parse(text) == nil)
    }

    @Test func ordersByInstant() throws {
        let earlier = try #require(Timestamp("2026-01-01T00:00:00.999999999Z"))
        let later = try #require(Timestamp("2026-01-01T00:00:01Z"))
        #expect(earlier < later)
        #expect(Timestamp.distantPast < earlier)
        #expect(try #require(Timestamp("2026-01-01T02:00:00+02:00")) < later)
    }

    /// Every day from 1 to 9999 (stepping by 97 days and 4,021 seconds), against the C library's calendar.
    @Test func calendarMatchesTheCLibrary() {
        var seconds: Int64 = -62_135_596_800
        while seconds <= 253_402_300_799 {
            var time = time_t(seconds)
            var parts = tm()
            gmtime_r(&time, &parts)
            let expected = String(
                format: "%04d-%02d-%02dT%02d:%02d:%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
            let stamp = Timestamp(seconds: seconds, nanos: 0)
            #expect(stamp.rfc3339(fractionDigits: 0) == expected)
            #expect(Timestamp(expected) == stamp)
            if stamp.rfc3339(fractionDigits: 0) != expected { break }
            seconds += 97 * 86_400 + 4_021
        }
    }

    @Test func codesAsSecondsAndNanos() throws {
        let stamp = Timestamp(seconds: 1_767_225_600, nanos: 42)
        let json = try JSONEncoder().encode(stamp)
        let object = try JSONSerialization.jsonObject(with: json) as? [String: Int]
        #expect(object == ["seconds": 1_767_225_600, "nanos": 42])
        #expect(try JSONDecoder().decode(Timestamp.self, from: json) == stamp)
    }
}

/// CRC-32C against RFC 3720's and Cloud Storage's answers.
struct CRC32CTests {
    @Test func knownAnswers() {
        #expect(CRC32C.checksum(Data("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum(Data(repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.base64(CRC32C.checksum(Data("hello world\n".utf8))) == "8P9ykg==")
        #expect(CRC32C.parse(base64: "8P9ykg==") == CRC32C.checksum(Data("hello world\n".utf8)))
        var pieces = CRC32C()
        pieces.update(Data("12345".utf8))
        pieces.update(Data("6789".utf8))
        #expect(pieces.value == 0xE306_9283)
    }
}
