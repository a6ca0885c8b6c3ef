import Foundation
import Ledger

/// Names the engine gives to what it creates. All are decided before anything is created, and recorded.
public enum Naming {
    /// A new execution id: 26 lowercase characters (a ULID: time then randomness), so ids sort by start time
    /// and are valid label values.
    public static func executionID(now: Date = Date(), using generator: inout some RandomNumberGenerator) -> String {
        let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz")
        var time = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        var characters = [Character](repeating: "0", count: 26)
        for index in stride(from: 9, through: 0, by: -1) {
            characters[index] = alphabet[Int(time & 31)]
            time >>= 5
        }
        for index in 10..<26 {
            characters[index] = alphabet[Int(generator.next() & 31)]
        }
        return String(characters)
    }

    /// A working-directory id as Kestra makes them: 22 base62 characters.
    public static func workingDirID(using generator: inout some RandomNumberGenerator) -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        return String((0..<22).map { _ in alphabet[Int(generator.next() % 62)] })
    }

    /// The id of an attempt's output directory (`outputDirectory: true`), derived from its working-directory id
    /// so that a resumed or replayed attempt names the same folder: 22 base62 characters.
    public static func outputDirID(forWorkingDir workingDirId: String) -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        let hex = Array(SHA256Digest.of(Data("output-directory:\(workingDirId)".utf8)).hex)
        return String((0..<22).map { alphabet[Int(UInt8(String(hex[2 * $0...2 * $0 + 1]), radix: 16)!) % 62] })
    }

    /// Kestra's slug: NFD, drop every character that is not a word character or `-` (so dots vanish),
    /// `_` → `-`, collapse and trim dashes, lowercase.
    public static func slug(_ text: String) -> String {
        let decomposed = text.decomposedStringWithCanonicalMapping
        var out = ""
        for scalar in decomposed.unicodeScalars {
            if scalar.properties.isWhitespace {
                out.append("-")
            } else if scalar == "_" || scalar == "-" {
                out.append("-")
            } else if scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar)) {
                out.unicodeScalars.append(scalar)
            }
        }
        while out.contains("--") { out = out.replacingOccurrences(of: "--", with: "-") }
        return out.trimmingCharacters(in: CharacterSet(charactersIn: "-")).lowercased()
    }

    /// A deterministic Batch job id (≤ 63 characters, `^[a-z]([a-z0-9-]*[a-z0-9])?$`): Kestra's
    /// `namespace-flow-task` slug, then a digest of the execution and task run, then the attempt. The same
    /// execution, task run and attempt always give the same id; another attempt gives another id.
    public static func jobID(
        namespace: String, flowId: String, taskId: String, executionId: String, taskRunId: String,
        attempt: Int
    ) -> String {
        let digest = SHA256Digest.of(Data("\(executionId)/\(taskRunId)".utf8)).hex.prefix(8)
        let suffix = "-\(digest)-a\(attempt)"
        var base = slug("\(namespace)-\(flowId)-\(taskId)")
        if base.isEmpty { base = "task" }
        if let first = base.unicodeScalars.first, !("a"..."z").contains(first) { base = "j" + base }
        base = String(base.prefix(63 - suffix.count))
        while base.hasSuffix("-") { base.removeLast() }
        return base + suffix
    }

    /// A Google label value: lowercase, at most 63 characters of `[a-z0-9_-]`.
    public static func labelValue(_ text: String) -> String {
        var value = ""
        for scalar in text.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "-" {
                value.unicodeScalars.append(scalar)
            } else {
                value.append("-")
            }
        }
        value = String(value.prefix(63))
        while value.hasSuffix("-") || value.hasSuffix("_") { value.removeLast() }
        return value
    }

    /// The label every job of BatchLedger carries, for recovery's `jobs.list`.
    public static let managedLabel = "managed-by"
    public static let managedValue = "batchledger"

    /// Kestra's six labels, plus BatchLedger's own.
    public static func jobLabels(
        namespace: String, flowId: String, taskId: String, executionId: String, taskRunId: String, attempt: Int,
        extra: [String: String]
    ) -> [String: String] {
        var labels = extra.mapValues(labelValue)
        labels["kestra-namespace"] = labelValue(namespace)
        labels["kestra-flow-id"] = labelValue(flowId)
        labels["kestra-task-id"] = labelValue(taskId)
        labels["kestra-execution-id"] = labelValue(executionId)
        labels["kestra-taskrun-id"] = labelValue(taskRunId)
        labels["kestra-taskrun-attempt"] = String(attempt)
        labels[managedLabel] = managedValue
        labels["batchledger-execution"] = labelValue(executionId)
        return labels
    }
}
