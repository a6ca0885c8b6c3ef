import Foundation

/// The one check of bucket and object names, for every Storage route. LocalCloud keeps each object as a file at
/// `buckets/<bucket>/<name>`, so a name must also be a safe relative path: Cloud Storage itself accepts names
/// such as `a/../b`, which LocalCloud refuses with a 400 that names the rule.
///
/// The only way to reach an object's file is an `ObjectKey`, which can only be made by this check.
enum StorageNames {
    /// Google's limit on an object name, in bytes of UTF-8.
    static let maxObjectNameBytes = 1024
    /// Longest `/`-separated segment: the file name limit (255) less room for the sidecar's `.__meta.json`.
    static let maxSegmentBytes = 240
    /// Suffix of the metadata sidecars, which no segment may end with.
    static let sidecarSuffix = ".__meta.json"

    /// A name quoted in a message: at most 200 characters, so that a huge name does not make a huge answer.
    static func quoted(_ name: String) -> String {
        let limit = 200
        return name.count <= limit ? "'\(name)'" : "'\(name.prefix(limit))…' (\(name.utf8.count) bytes)"
    }

    /// Checks a bucket name: 3-222 characters of lowercase letters, digits, `-`, `_` and `.`, starting and ending
    /// with a letter or digit, with no dot-separated part over 63 characters (Google's rules; none can be `..`).
    static func checkBucket(_ name: String) throws(APIError) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-_.")
        let alphanumeric = Set("abcdefghijklmnopqrstuvwxyz0123456789")
        guard (3...222).contains(name.count), name.allSatisfy({ allowed.contains($0) }),
            let first = name.first, alphanumeric.contains(first), let last = name.last, alphanumeric.contains(last),
            name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({ $0.count <= 63 }),
            name.count <= 63 || name.contains(".")
        else {
            throw APIError.invalidArgument(
                "Invalid bucket name: \(quoted(name)). Bucket names use 3-63 lowercase letters, digits, '-', '_' and "
                    + "'.' (up to 222 with dots), and start and end with a letter or digit.", shape: .storage)
        }
    }

    /// Checks an object name and splits it into the path segments of its file. A name ending in `/` is a
    /// folder marker (kept as a folder).
    static func objectSegments(_ name: String) throws(APIError) -> [String] {
        func refuse(_ rule: String) -> APIError {
            APIError.invalidArgument(
                "Object name \(quoted(name)) cannot be stored by LocalCloud, which keeps objects as files: \(rule).",
                shape: .storage)
        }
        guard !name.isEmpty else { throw APIError.invalidArgument("Object name is required.", shape: .storage) }
        guard name.utf8.count <= maxObjectNameBytes else {
            throw refuse("a name is at most \(maxObjectNameBytes) bytes of UTF-8")
        }
        guard !name.utf8.contains(where: { $0 == 0 || $0 == 10 || $0 == 13 }) else {
            throw refuse("a name must not contain NUL, carriage return or line feed characters")
        }
        guard !name.hasPrefix("/") else { throw refuse("a name must not start with '/'") }
        let body = name.hasSuffix("/") ? String(name.dropLast()) : name
        let segments = body.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        for segment in segments {
            if segment.isEmpty { throw refuse("a name must not contain '//' or be only '/'") }
            if segment == "." || segment == ".." { throw refuse("a name must not have '.' or '..' segments") }
            if segment.utf8.count > maxSegmentBytes {
                throw refuse("each '/'-separated segment is at most \(maxSegmentBytes) bytes")
            }
            if segment.hasSuffix(sidecarSuffix) {
                throw refuse("a segment must not end in '\(sidecarSuffix)' (LocalCloud's metadata files)")
            }
        }
        return segments
    }
}

/// A checked bucket and object name: the only way to a file under the state folder.
struct ObjectKey: Sendable, Hashable {
    let bucket: String
    let name: String
    /// The path segments of the object's file below its bucket folder.
    let segments: [String]

    /// Checks both names (400 naming the rule when one cannot be stored).
    init(bucket: String, name: String) throws(APIError) {
        try StorageNames.checkBucket(bucket)
        self.bucket = bucket
        self.name = name
        segments = try StorageNames.objectSegments(name)
    }

    /// A folder marker (`name/`): kept as a folder, not a file.
    var isFolderMarker: Bool { name.hasSuffix("/") }

    /// The object's file (or folder) below the objects folder.
    var fileComponents: [String] { [bucket] + segments }

    /// Its metadata sidecar below the metadata folder (`name.__meta.json`; a marker's is inside its folder).
    var sidecarComponents: [String] {
        isFolderMarker
            ? [bucket] + segments + [StorageNames.sidecarSuffix]
            : [bucket] + segments.dropLast()
                + [segments[segments.count - 1] + StorageNames.sidecarSuffix]
    }
}
