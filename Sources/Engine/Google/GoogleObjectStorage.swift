import Foundation
import GoogleCloud

/// `ObjectStorage` over Cloud Storage's JSON API.
struct GoogleObjectStorage: ObjectStorage {
    let client: StorageClient

    func object(bucket: String, name: String) async throws -> StoredObject? {
        try await client.metadata(bucket: bucket, name: name).map(Self.stored)
    }

    func create(bucket: String, name: String, data: Data) async throws -> StoredObject {
        Self.stored(try await client.upload(data: data, bucket: bucket, name: name, ifGenerationMatch: 0))
    }

    func create(bucket: String, name: String, file: URL) async throws -> StoredObject {
        Self.stored(try await client.upload(file: file, bucket: bucket, name: name, ifGenerationMatch: 0))
    }

    func objects(bucket: String, prefix: String) async throws -> [StoredObject] {
        try await client.listAll(bucket: bucket, prefix: prefix).map(Self.stored)
    }

    func download(bucket: String, name: String, to file: URL) async throws -> DownloadedObject {
        let download = try await client.download(bucket: bucket, name: name, to: file)
        return DownloadedObject(size: download.size, crc32c: download.crc32c)
    }

    func deleteAll(bucket: String, prefix: String) async throws -> Int {
        try await client.deleteAll(bucket: bucket, prefix: prefix)
    }

    static func stored(_ object: StorageObject) -> StoredObject {
        StoredObject(name: object.name, generation: object.generation, size: object.size, crc32c: object.crc32c)
    }
}
