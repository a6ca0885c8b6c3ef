import Foundation
import Templates

/// A file given for a FILE input, as the execution keeps it: a copy under the execution's folder, its digests,
/// and the `kestra:///` URI templates read as the input's value.
public struct InputFileRecord: Codable, Sendable, Equatable {
    /// The file's name as given (checked: one path segment).
    public var filename: String
    /// `kestra:///<namespace path>/<flow>/executions/<id>/inputs/<input>/<filename>`.
    public var uri: String
    /// The execution's own copy (absolute).
    public var localPath: String
    public var size: Int64
    /// Lower-case hex.
    public var sha256: String
    /// Base64 of the big-endian CRC32C, as Cloud Storage gives it.
    public var crc32c: String
    /// The host that received the file and holds `localPath` (nil in executions recorded before hosts were).
    public var host: String?

    public init(
        filename: String, uri: String, localPath: String, size: Int64, sha256: String, crc32c: String,
        host: String? = nil
    ) {
        self.filename = filename
        self.uri = uri
        self.localPath = localPath
        self.size = size
        self.sha256 = sha256
        self.crc32c = crc32c
        self.host = host
    }
}

/// A FILE input's file is about to be stored in the bucket, under the execution: which object, and what it must
/// hold (so that recovery can tell a finished upload from a missing one).
public struct InputFileUploadRequested: Codable, Sendable, Equatable {
    public var input: String
    /// The bucket as events record it (masked whole when a secret named it).
    public var bucket: String
    public var object: String
    public var size: Int64
    public var crc32c: String
    public var sha256: String
}

/// A FILE input's file is stored (or was found stored already, with the same size and CRC32C: `adopted`).
public struct InputFileUploaded: Codable, Sendable, Equatable {
    public var input: String
    public var object: String
    public var generation: Int64
    public var size: Int64
    public var crc32c: String
    /// True when the object existed already (an upload whose outcome a crash kept from being recorded).
    public var adopted: Bool
}

extension InputFileUploadRequested: SecretMaskedPayload {
    public func masked(by masker: SecretMasker) -> InputFileUploadRequested { self }
}

extension InputFileUploaded: SecretMaskedPayload {
    public func masked(by masker: SecretMasker) -> InputFileUploaded { self }
}
