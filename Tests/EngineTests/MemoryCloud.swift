import Foundation
import GoogleCloud
import Templates

@testable import Engine

/// A bucket in memory, for flows whose Batch jobs never run (their script tasks sit in a branch not taken): Cloud
/// Storage keeps objects by bucket and name, Batch and Cloud Logging refuse every call.
final class MemoryCloud: CloudWorld, TargetResolver, @unchecked Sendable {
    private let lock = NSLock()
    private var objects: [String: (data: Data, generation: Int64)] = [:]
    private var nextGeneration: Int64 = 1
    /// Every storage call, in order ("object b/o", "create b/o", "download b/o").
    private(set) var calls: [String] = []

    struct Refused: Error, CustomStringConvertible {
        var call: String
        var description: String { "the memory cloud refuses \(call)" }
    }

    func put(_ bucket: String, _ name: String, _ data: Data) {
        lock.withLock {
            objects["\(bucket)/\(name)"] = (data, nextGeneration)
            nextGeneration += 1
        }
    }

    func data(_ bucket: String, _ name: String) -> Data? {
        lock.withLock { objects["\(bucket)/\(name)"]?.data }
    }

    fileprivate func note(_ call: String) { lock.withLock { calls.append(call) } }

    fileprivate func stored(_ key: String) -> StoredObject? {
        lock.withLock {
            objects[key].map {
                StoredObject(
                    name: key, generation: $0.generation, size: Int64($0.data.count),
                    crc32c: CRC32C.base64(CRC32C.checksum($0.data)))
            }
        }
    }

    func services(for identity: Identity) async throws -> WorldServices {
        WorldServices(
            key: "memory", jobs: NoJobs(), storage: MemoryStorage(cloud: self), logs: { _ in NoLogs() })
    }

    func target(for backend: Backend) async throws -> ResolvedTarget {
        ResolvedTarget(target: CloudTarget(backend: backend, world: self, timing: .standard))
    }

    static let backend = Backend(kind: .endpoint, endpoint: "http://memory.invalid")
}

private struct MemoryStorage: ObjectStorage {
    let cloud: MemoryCloud

    func object(bucket: String, name: String) async throws -> StoredObject? {
        cloud.note("object \(bucket)/\(name)")
        return cloud.stored("\(bucket)/\(name)")
    }

    func create(bucket: String, name: String, data: Data) async throws -> StoredObject {
        cloud.note("create \(bucket)/\(name)")
        guard cloud.stored("\(bucket)/\(name)") == nil else { throw MemoryCloud.Refused(call: "an overwrite") }
        cloud.put(bucket, name, data)
        return cloud.stored("\(bucket)/\(name)")!
    }

    func create(bucket: String, name: String, file: URL) async throws -> StoredObject {
        try await create(bucket: bucket, name: name, data: try Data(contentsOf: file))
    }

    func objects(bucket: String, prefix: String) async throws -> [StoredObject] { [] }

    func download(bucket: String, name: String, to file: URL) async throws -> DownloadedObject {
        cloud.note("download \(bucket)/\(name)")
        guard let data = cloud.data(bucket, name) else { throw MemoryCloud.Refused(call: "a missing object") }
        try data.write(to: file)
        return DownloadedObject(size: Int64(data.count), crc32c: CRC32C.checksum(data))
    }

    func deleteAll(bucket: String, prefix: String) async throws -> Int { 0 }
}

private struct NoJobs: BatchJobs {
    func create(_ job: BatchJob, in location: BatchLocation, jobID: String, requestID: String) async throws
        -> JobCreation
    { throw MemoryCloud.Refused(call: "jobs.create") }
    func job(_ name: String) async throws -> JobObservation? { throw MemoryCloud.Refused(call: "jobs.get") }
    func jobs(in location: BatchLocation, filter: String) async throws -> [JobObservation] { [] }
    func exitCode(ofJob name: String) async throws -> Int? { nil }
    func delete(_ name: String, requestID: String, reason: String, deadline: Duration) async throws -> Bool { false }
}

private struct NoLogs: TaskLogSource {
    func follow(_ uid: String, after cursor: LogCursor) async {}
    func forget(_ uid: String) async {}
    func next(_ uid: String, masker: SecretMasker) async throws -> JobSaid? { nil }
}
