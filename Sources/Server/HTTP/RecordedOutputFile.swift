import Engine
import Foundation
import Ledger

/// An output file the ledger lists for an execution: its `kestra:///` URI (`OutputsView.uri`), the task run's
/// output folder on this machine and the file's name under it, and the size and CRC32C recorded when it was
/// downloaded (`OutputFileDownloaded`).
///
/// Only what the ledger lists is ever served: a request names a URI, and the URI is looked up among these; the
/// path a file is read from is built from the recorded folder and name, never from the request.
struct RecordedOutputFile: Sendable, Equatable {
    var uri: String
    var taskRunId: String
    /// The path under the task run's folder (`out/result.json`), the key in the task run's `outputFiles`.
    var name: String
    /// The task run's output folder: `<outputDirectory>/<task run folder>` of the execution that downloaded it.
    var folder: String
    var size: Int64?
    /// Base64, as Cloud Storage gives it.
    var crc32c: String?
    /// Where the file is kept in the bucket (`OutputFileKept`), when the attempt that downloaded it kept it.
    var kept: Kept?

    /// An output file kept in the bucket by execution `executionId` (a fork's adopted file is its parent's).
    struct Kept: Sendable, Equatable {
        var executionId: String
        var attempt: Int
        var bucket: String
        var object: String
        var size: Int64
        var crc32c: String
    }

    /// How many forks deep an adopted file is looked up in the executions it came from.
    static let maximumForkDepth = 16

    /// Every output file execution `id` lists; `notFound` when it has no event.
    static func files(of id: String, in store: EventStore) throws -> [RecordedOutputFile] {
        try files(of: id, in: store, depth: 0)
    }

    private static func files(of id: String, in store: EventStore, depth: Int) throws -> [RecordedOutputFile] {
        var state = ExecutionState()
        var downloads: [String: OutputFileDownloaded] = [:]
        var kept: [String: OutputFileKept] = [:]
        var any = false
        try store.readStream(id) { recorded in
            any = true
            let event = try ExecutionEvent.decode(recorded)
            state.apply(recorded, decoded: event)
            if case .outputFileDownloaded(let file) = event {
                // A later attempt's download replaces the file at the same path.
                downloads[key(file.taskRunId, file.name)] = file
            }
            if case .outputFileKept(let file) = event {
                kept[key(file.taskRunId, file.name)] = file
            }
        }
        guard any else { throw APIError.notFound("no execution \(MessageQuote.quoted(id))") }
        var files: [RecordedOutputFile] = []
        var parents: [String: [RecordedOutputFile]] = [:]
        for run in state.taskRuns {
            for (name, localPath) in run.outputFiles.sorted(by: { $0.key < $1.key }) {
                let uri = OutputsView.uri(state: state, run: run, name: name)
                if let parent = run.adoptedFrom {
                    // A fork's task run took its parent's outcome: the file is the parent's.
                    guard depth < maximumForkDepth else { continue }
                    if parents[parent] == nil {
                        parents[parent] = (try? Self.files(of: parent, in: store, depth: depth + 1)) ?? []
                    }
                    if var file = parents[parent]?.first(where: { $0.taskRunId == run.taskRunId && $0.name == name }) {
                        file.uri = uri
                        files.append(file)
                    }
                    continue
                }
                guard let started = state.started else { continue }
                let folder = URL(fileURLWithPath: started.outputDirectory)
                    .appendingPathComponent(OutputPath.folderName(forTaskRun: run.taskRunId))
                // The recorded path must be the one the engine builds, under the execution's output folder.
                guard OutputPath.problem(name) == nil,
                    folder.appendingPathComponent(name).standardizedFileURL.path == localPath
                else { continue }
                let download = downloads[key(run.taskRunId, name)]
                // Only the copy of the download the ledger lists: the same attempt, the same bytes.
                let keptCopy = kept[key(run.taskRunId, name)].flatMap { copy -> Kept? in
                    guard let download, copy.attempt == download.attempt, copy.size == download.size,
                        copy.crc32c == download.crc32c
                    else { return nil }
                    return Kept(
                        executionId: id, attempt: copy.attempt, bucket: copy.bucket, object: copy.object,
                        size: copy.size, crc32c: copy.crc32c)
                }
                files.append(
                    RecordedOutputFile(
                        uri: uri, taskRunId: run.taskRunId, name: name, folder: folder.standardizedFileURL.path,
                        size: download?.size, crc32c: download?.crc32c, kept: keptCopy))
            }
        }
        return files
    }

    private static func key(_ taskRunId: String, _ name: String) -> String { taskRunId + "\u{0}" + name }

    /// A name for `Content-Disposition`: the last part of `name`, with anything but letters, digits, `.`, `_`
    /// and `-` replaced by `_`, never starting with a dot, at most 128 characters.
    var downloadName: String {
        let last = name.split(separator: "/").last.map(String.init) ?? name
        var safe = String(
            last.unicodeScalars.prefix(128).map { scalar -> Character in
                let allowed =
                    scalar.isASCII
                    && (CharacterSet.alphanumerics.contains(scalar) || "._-".unicodeScalars.contains(scalar))
                return allowed ? Character(scalar) : "_"
            })
        if safe.hasPrefix(".") { safe = "_" + safe.dropFirst() }
        return safe.isEmpty ? "file" : safe
    }
}
