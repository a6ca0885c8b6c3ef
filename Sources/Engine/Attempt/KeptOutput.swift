import Foundation
import Primitives

/// Where an output file is kept in the bucket once the attempt's staging folder (`<wid>/`) is cleaned:
/// `kestra-outputs/<executionId>/<task run folder>/<attempt>/<name>`, in the bucket the task staged in. The
/// staging folder is named by the working-directory id alone; the kept copy is named by what the ledger knows the
/// file by (execution, task run, attempt, key), so that any host can find it from the ledger, and no attempt's
/// cleanup (which deletes `<wid>/` only) reaches it.
public enum KeptOutput {
    /// The folder every kept output file is under.
    public static let folder = "kestra-outputs"
    /// Cloud Storage's longest object name, in UTF-8 bytes.
    static let maximumNameBytes = 1024

    /// The kept object's name, or nil when the file cannot be kept under a valid object name (a key that is not a
    /// safe relative path, an id that is not a plain path segment, or a name longer than Cloud Storage takes).
    public static func objectName(executionId: String, taskRunId: String, attempt: Int, name: String) -> String? {
        let taskFolder = OutputPath.folderName(forTaskRun: taskRunId)
        guard OutputPath.problem(name) == nil, isSegment(executionId), isSegment(taskFolder) else { return nil }
        let object = "\(folder)/\(executionId)/\(taskFolder)/\(attempt)/\(name)"
        guard object.utf8.count <= maximumNameBytes else { return nil }
        return object
    }

    private static func isSegment(_ text: String) -> Bool {
        OutputPath.problem(text) == nil && !text.contains("/")
    }

    /// The CRC32C (base64) and size of a local file, or nil when it cannot be read.
    static func checksum(of file: URL) -> (crc32c: String, size: Int64)? {
        var crc = CRC32C()
        var size: Int64 = 0
        do {
            try FileChunks.read(file) { piece in
                crc.update(buffer: piece)
                size += Int64(piece.count)
            }
        } catch {
            return nil
        }
        return (crc.base64, size)
    }
}
