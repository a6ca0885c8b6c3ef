import Foundation

/// What the emulator keeps beside each object file (its sidecar), and how it is written on the wire.
struct ObjectMetadata: Sendable, Codable, Equatable {
    var bucket: String
    var name: String
    var generation: Int64
    var metageneration: Int64
    var contentType: String
    var size: Int64
    var crc32c: String
    var md5Hash: String
    var timeCreated: Date
    var updated: Date
    var metadata: [String: String]?
    /// The file's size and modification time when the sidecar was written; a mismatch means the file was
    /// changed behind the API (by a job through its mounted volume), so the object gets a new generation.
    var fileSize: Int64
    var fileModificationNanos: Int64

    /// The `storage#object` resource.
    func json(baseURL: String) -> JSONValue {
        let encodedName = Query.encodeSegment(name)
        var object: [String: JSONValue] = [
            "kind": .string("storage#object"), "id": .string("\(bucket)/\(name)/\(generation)"),
            "selfLink": .string("\(baseURL)/storage/v1/b/\(bucket)/o/\(encodedName)"),
            "mediaLink": .string(
                "\(baseURL)/download/storage/v1/b/\(bucket)/o/\(encodedName)?generation=\(generation)&alt=media"),
            "name": .string(name), "bucket": .string(bucket), "generation": .string(String(generation)),
            "metageneration": .string(String(metageneration)), "contentType": .string(contentType),
            "storageClass": .string("STANDARD"), "size": .string(String(size)), "md5Hash": .string(md5Hash),
            "crc32c": .string(crc32c), "etag": .string(etag), "timeCreated": .string(RFC3339.format(timeCreated)),
            "updated": .string(RFC3339.format(updated)),
            "timeStorageClassUpdated": .string(RFC3339.format(timeCreated)),
        ]
        if let metadata, !metadata.isEmpty { object["metadata"] = .object(metadata.mapValues { .string($0) }) }
        return .object(object)
    }

    var etag: String {
        var value = generation
        let bytes = withUnsafeBytes(of: &value) { Data($0) }
        return bytes.base64EncodedString().replacingOccurrences(of: "=", with: "")
    }
}

/// An in-progress resumable upload session, persisted beside its data file.
struct UploadSession: Sendable, Codable {
    var id: String
    var bucket: String
    var name: String
    var contentType: String
    var metadata: [String: String]?
    var expectedCRC32C: String?
    var expectedMD5: String?
    var ifGenerationMatch: Int64?
    var ifGenerationNotMatch: Int64?
    var received: Int64
    var finalGeneration: Int64?
}
