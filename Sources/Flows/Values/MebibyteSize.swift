/// A memory or disk size as Google Batch takes it: a whole number of MiB.
///
/// Accepted forms (case-insensitive units):
/// - a bare number, `"1024"` or `1024`: already MiB, as Batch's `memoryMib` and `bootDiskMib`
///   (and as Kestra's documentation tells users to write);
/// - IEC units `KiB`, `MiB`, `GiB`, `TiB`: powers of 1024, so `20GiB` is 20480 MiB;
/// - `KB`, `MB`, `GB`, `TB` (and `K`, `M`, `G`, `T`): also powers of 1024, the way Micronaut's
///   readable-bytes converter (which Kestra uses) and Compute Engine's disk sizes count them, so
///   `2GB` is 2048 MiB;
/// - `B`: bytes.
///
/// Decimals are allowed when the result is a whole number of MiB (`1.5GiB` is 1536 MiB); anything that
/// is not a whole number of MiB is refused rather than rounded.
public enum MebibyteSize {
    /// The result of reading a size.
    public enum ParseResult: Sendable, Equatable {
        /// A whole number of MiB.
        case mebibytes(Int)
        /// The text is not a size.
        case invalid
        /// The text is a size but not a whole number of MiB.
        case notWholeMebibytes
    }

    /// Reads a size; see the type's documentation for the accepted forms.
    public static func parse(_ text: String) -> ParseResult {
        let trimmed = text.trimmingWhitespace
        var numberEnd = trimmed.startIndex
        while numberEnd < trimmed.endIndex, trimmed[numberEnd].isASCII,
            trimmed[numberEnd].isNumber || trimmed[numberEnd] == "."
        {
            numberEnd = trimmed.index(after: numberEnd)
        }
        let numberText = trimmed[..<numberEnd]
        let unit = String(trimmed[numberEnd...]).trimmingWhitespace.lowercased()
        guard !numberText.isEmpty, numberText.filter({ $0 == "." }).count <= 1, let number = Double(numberText),
            number.isFinite
        else { return .invalid }
        let bytesPerUnit: Double
        switch unit {
        case "": bytesPerUnit = 1_048_576
        case "b": bytesPerUnit = 1
        case "k", "kb", "kib": bytesPerUnit = 1_024
        case "m", "mb", "mib": bytesPerUnit = 1_048_576
        case "g", "gb", "gib": bytesPerUnit = 1_073_741_824
        case "t", "tb", "tib": bytesPerUnit = 1_099_511_627_776
        default: return .invalid
        }
        let mebibytes = number * bytesPerUnit / 1_048_576
        guard mebibytes < Double(Int32.max) else { return .invalid }
        guard mebibytes == mebibytes.rounded() else { return .notWholeMebibytes }
        return .mebibytes(Int(mebibytes))
    }
}
