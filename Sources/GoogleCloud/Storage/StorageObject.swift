import Foundation

/// An object's metadata, as Cloud Storage returns it.
public struct StorageObject: Sendable, Equatable, Decodable {
    public var name: String
    public var bucket: String
    public var generation: Int64
    public var metageneration: Int64
    public var size: Int64
    public var contentType: String?
    /// Base64 of the big-endian CRC32C.
    public var crc32c: String?
    /// Base64 of the MD5 (absent for composite objects).
    public var md5Hash: String?
    public var updated: String?
    public var metadata: [String: String]?

    public init(
        name: String, bucket: String, generation: Int64, metageneration: Int64 = 1, size: Int64,
        contentType: String? = nil, crc32c: String? = nil, md5Hash: String? = nil, updated: String? = nil,
        metadata: [String: String]? = nil
    ) {
        self.name = name
        self.bucket = bucket
        self.generation = generation
        self.metageneration = metageneration
        self.size = size
        self.contentType = contentType
        self.crc32c = crc32c
        self.md5Hash = md5Hash
        self.updated = updated
        self.metadata = metadata
    }

    enum CodingKeys: String, CodingKey {
        case name, bucket, generation, metageneration, size, contentType, crc32c, md5Hash, updated, metadata
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        bucket = try container.decodeIfPresent(String.self, forKey: .bucket) ?? ""
        generation = try container.decodeInt64IfPresent(.generation) ?? 0
        metageneration = try container.decodeInt64IfPresent(.metageneration) ?? 1
        size = try container.decodeInt64IfPresent(.size) ?? 0
        contentType = try container.decodeIfPresent(String.self, forKey: .contentType)
        crc32c = try container.decodeIfPresent(String.self, forKey: .crc32c)
        md5Hash = try container.decodeIfPresent(String.self, forKey: .md5Hash)
        updated = try container.decodeIfPresent(String.self, forKey: .updated)
        metadata = try container.decodeIfPresent([String: String].self, forKey: .metadata)
    }
}

/// One page of a listing.
public struct ObjectListPage: Sendable, Equatable, Decodable {
    public var items: [StorageObject]
    /// Common prefixes, when listing with a delimiter.
    public var prefixes: [String]
    public var nextPageToken: String?

    enum CodingKeys: String, CodingKey {
        case items, prefixes, nextPageToken
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        items = try container.decodeIfPresent([StorageObject].self, forKey: .items) ?? []
        prefixes = try container.decodeIfPresent([String].self, forKey: .prefixes) ?? []
        nextPageToken = try container.decodeIfPresent(String.self, forKey: .nextPageToken).flatMap {
            $0.isEmpty ? nil : $0
        }
    }
}

/// A file that did not arrive intact.
public struct IntegrityError: Error, Sendable, Equatable, CustomStringConvertible {
    public var object: String
    public var detail: String

    public var description: String {
        "Cloud Storage \(object): \(detail); the transfer was corrupted, retry it"
    }
}
