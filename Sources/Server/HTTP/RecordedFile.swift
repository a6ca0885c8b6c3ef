import Engine
import Foundation
import Ledger

/// A file the ledger lists for an execution: an output file, with its `kestra:///` URI (`OutputsView.uri`), the
/// task run's output folder on this machine and the file's name under it, and the size and CRC32C recorded when it
/// was downloaded (`OutputFileDownloaded`); or a FILE input's file, with its URI, the execution's folder and
/// `_inputs/<input>/<name>` under it, and the size and CRC32C recorded when it was received (`ExecutionStarted`).
///
/// Only what the ledger lists is ever served: a request names a URI, and the URI is looked up among these; the
/// path a file is read from is built from the recorded folder and name, never from the request.
struct RecordedFile: Sendable, Equatable {
    var uri: String
    /// The task run that downloaded an output file; empty for an input file.
    var taskRunId: String
    /// The FILE input an input file was given for; nil for an output file.
    var input: String? = nil
    /// The path under the task run's folder (`out/result.json`), the key in the task run's `outputFiles`.
    var name: String
    /// The task run's output folder: `<outputDirectory>/<task run folder>` of the execution that downloaded it.
    var folder: String
    var size: Int64?
    /// Base64, as Cloud Storage gives it.
    var crc32c: String?
    /// Where the file is kept in the bucket: for an output file, when the attempt that downloaded it kept it
    /// (`OutputFileKept`); for an input file, once the execution stored it (`InputFileUploaded`).
    var kept: Kept?

    /// A file kept in the bucket by execution `executionId` (a fork's adopted file is its parent's); `attempt` is 0
    /// for an input file.
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

    /// Every output and input file execution `id` lists; `notFound` when it has no event.
    static func files(of id: String, in store: EventStore) throws -> [RecordedFile] {
        try files(of: id, in: store, depth: 0)
    }

    /// How a message names the file: "the output file 'x' of task run 't'", "the file 'x' of input 'i'".
    var described: String {
        if let input {
            let filename = name.split(separator: "/").last.map(String.init) ?? name
            return "the file \(MessageQuote.quoted(filename)) of input \(MessageQuote.quoted(input))"
        }
        return "the output file \(MessageQuote.quoted(name)) of task run \(MessageQuote.quoted(taskRunId))"
    }

    private static func files(of id: String, in store: EventStore, depth: Int) throws -> [RecordedFile] {
        var state = ExecutionState()
        var downloads: [String: OutputFileDownloaded] = [:]
        var kept: [String: OutputFileKept] = [:]
        var inputRequests: [String: InputFileUploadRequested] = [:]
        var inputUploads: [String: InputFileUploaded] = [:]
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
            if case .inputFileUploadRequested(let request) = event { inputRequests[request.input] = request }
            if case .inputFileUploaded(let uploaded) = event { inputUploads[uploaded.input] = uploaded }
        }
        guard any else { throw APIError.notFound("no execution \(MessageQuote.quoted(id))") }
        var files: [RecordedFile] = []
        var parents: [String: [RecordedFile]] = [:]
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
                    RecordedFile(
                        uri: uri, taskRunId: run.taskRunId, name: name, folder: folder.standardizedFileURL.path,
                        size: download?.size, crc32c: download?.crc32c, kept: keptCopy))
            }
        }
        for (input, record) in (state.started?.inputFiles ?? [:]).sorted(by: { $0.key < $1.key }) {
            // The recorded path must be the one the engine builds: `<execution folder>/_inputs/<input>/<name>`.
            let name = "_inputs/\(input)/\(record.filename)"
            let folder = URL(fileURLWithPath: record.localPath).deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().path
            guard OutputPath.problem(name) == nil, !input.contains("/"),
                InputFileSource.filenameProblem(record.filename) == nil,
                URL(fileURLWithPath: folder).appendingPathComponent(name).path == record.localPath
            else { continue }
            // Only the object stored with the bytes the execution received.
            let stored = inputUploads[input].flatMap { uploaded -> Kept? in
                guard let request = inputRequests[input], request.object == uploaded.object,
                    uploaded.size == record.size, uploaded.crc32c == record.crc32c
                else { return nil }
                return Kept(
                    executionId: id, attempt: 0, bucket: request.bucket, object: uploaded.object, size: record.size,
                    crc32c: record.crc32c)
            }
            files.append(
                RecordedFile(
                    uri: record.uri, taskRunId: "", input: input, name: name, folder: folder,
                    size: record.size, crc32c: record.crc32c, kept: stored))
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
