import Foundation

/// An output file kept in the bucket outside the attempt's staging folder (which the attempt's cleanup deletes),
/// so that any host sharing the ledger can serve it: a copy of the downloaded file, created only if absent (an
/// existing object with the same size and CRC32C, a retry whose answer was lost, is adopted).
///
/// Recorded after `OutputFileDownloaded` and before `StagingCleaned`. A downloaded file without this event was not
/// kept yet: a resumed attempt keeps it before cleaning its folder.
public struct OutputFileKept: Codable, Sendable, Equatable {
    public var taskRunId: String
    public var attempt: Int
    /// The key in `outputFiles`, as in `OutputFileDownloaded`.
    public var name: String
    /// The bucket as events record it (masked whole when a secret named it).
    public var bucket: String
    /// The kept object's full name (`KeptOutput.objectName`).
    public var object: String
    public var generation: Int64
    public var size: Int64
    /// Base64 of the big-endian CRC32C.
    public var crc32c: String

    public init(
        taskRunId: String, attempt: Int, name: String, bucket: String, object: String, generation: Int64,
        size: Int64, crc32c: String
    ) {
        self.taskRunId = taskRunId
        self.attempt = attempt
        self.name = name
        self.bucket = bucket
        self.object = object
        self.generation = generation
        self.size = size
        self.crc32c = crc32c
    }
}
