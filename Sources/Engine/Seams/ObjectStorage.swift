import Foundation

/// What the engine needs from Cloud Storage: stage inputs (create-only), see what a job wrote, download it with
/// its checksum verified, and clean the attempt's folder. `GoogleObjectStorage` answers over the JSON API.
public protocol ObjectStorage: Sendable {
    /// The object's metadata, or nil when there is none.
    func object(bucket: String, name: String) async throws -> StoredObject?
    /// Stores `data` as a new object (never overwriting one).
    func create(bucket: String, name: String, data: Data) async throws -> StoredObject
    /// Stores the file's content as a new object (never overwriting one), streamed.
    func create(bucket: String, name: String, file: URL) async throws -> StoredObject
    /// Every object whose name starts with `prefix`, in name order.
    func objects(bucket: String, prefix: String) async throws -> [StoredObject]
    /// Downloads the object into `file`, checking its CRC32C.
    func download(bucket: String, name: String, to file: URL) async throws -> DownloadedObject
    /// Deletes every object under `prefix`; the number deleted.
    func deleteAll(bucket: String, prefix: String) async throws -> Int
    /// Whether downloaded output files are also kept in the bucket (`OutputFileKept`): a store that acts, yes; a
    /// recorded history (decision replay), no, since keeping decides nothing and its files may not be here.
    var keepsOutputFiles: Bool { get }
}

extension ObjectStorage {
    public var keepsOutputFiles: Bool { true }
}

/// An object's metadata.
public struct StoredObject: Sendable, Equatable {
    public var name: String
    public var generation: Int64
    public var size: Int64
    /// Base64 of the big-endian CRC32C, when the store gives it.
    public var crc32c: String?

    public init(name: String, generation: Int64, size: Int64, crc32c: String?) {
        self.name = name
        self.generation = generation
        self.size = size
        self.crc32c = crc32c
    }
}

/// What a download delivered.
public struct DownloadedObject: Sendable, Equatable {
    public var size: Int64
    public var crc32c: UInt32

    public init(size: Int64, crc32c: UInt32) {
        self.size = size
        self.crc32c = crc32c
    }
}
