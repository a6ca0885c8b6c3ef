import Flows
import Foundation
import GoogleCloud
import Ledger
import Templates

/// A file given for a FILE input: a path on this machine (the command line's `--input NAME=@PATH`) or bytes (a
/// multipart file part). Its name becomes a path segment of an object name and of a URI, so it is checked.
public struct InputFileSource: Sendable {
    public enum Content: Sendable {
        case file(URL)
        case data(Data)
    }

    public var filename: String
    public var content: Content

    public init(filename: String, content: Content) {
        self.filename = filename
        self.content = content
    }

    /// The longest file name accepted, in UTF-8 bytes.
    public static let maximumFilenameBytes = 255

    /// Why `name` cannot name an input file (it would leave its folder, hide itself, or not be one path
    /// segment), or nil when it can.
    public static func filenameProblem(_ name: String) -> String? {
        if name.isEmpty { return "the file name is empty" }
        if name.utf8.count > maximumFilenameBytes {
            return "the file name is longer than \(maximumFilenameBytes) bytes"
        }
        if name == "." || name == ".." { return "the file name cannot be . or .." }
        if name.contains("/") || name.contains("\\") {
            return "the file name cannot contain / or \\ (give the file's name, not a path)"
        }
        if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            return "the file name cannot contain control characters (NUL, line breaks …)"
        }
        return nil
    }

    /// Why the file at `path` cannot be given (missing, not a regular file, unreadable), or nil.
    public static func pathProblem(_ path: String) -> String? {
        var status = stat()
        guard stat(path, &status) == 0 else {
            return errno == ENOENT ? "no such file" : "cannot read it (\(String(cString: strerror(errno))))"
        }
        guard status.st_mode & S_IFMT == S_IFREG else { return "not a regular file (a folder, a device or a socket)" }
        guard access(path, R_OK) == 0 else { return "not readable by this user" }
        return nil
    }
}

/// FILE inputs: each file is copied under the execution's folder (`<output folder>/<id>/_inputs/<input>/<name>`;
/// no task run's folder starts with `_`)
/// before the execution starts, recorded in `ExecutionStarted` with its digests and `kestra:///` URI, then stored
/// in the bucket of the flow's first task runner that has one (`<namespace path>/<flow>/executions/<id>/inputs/
/// <input>/<name>`): `InputFileUploadRequested`, the upload, `InputFileUploaded`. The upload is create-only and
/// first asks whether the object is there already with the same size and CRC32C, so a crash at any event resumes
/// into the same object. Tasks get the file by its URI (in `inputFiles` or `commands`), staged like an earlier
/// task's output file.
enum InputFiles {
    /// The URI templates read as the input's value (Kestra's internal-storage form).
    static func uri(namespace: String, flowId: String, executionId: String, input: String, filename: String) -> String {
        "kestra:///"
            + objectName(
                namespace: namespace, flowId: flowId, executionId: executionId, input: input, filename: filename)
    }

    /// The object under the bucket, the URI's path.
    static func objectName(namespace: String, flowId: String, executionId: String, input: String, filename: String)
        -> String
    {
        "\(namespace.replacingOccurrences(of: ".", with: "/"))/\(flowId)/executions/\(executionId)/inputs/\(input)/\(filename)"
    }

    /// Copies each file under `folder` (the execution's output folder) and returns the records and the values
    /// templates read.
    static func receive(
        _ files: [String: InputFileSource], folder: URL, namespace: String, flowId: String, executionId: String
    ) throws -> (records: [String: InputFileRecord], values: [String: TemplateValue]) {
        var records: [String: InputFileRecord] = [:]
        var values: [String: TemplateValue] = [:]
        for (input, file) in files.sorted(by: { $0.key < $1.key }) {
            if let problem = InputFileSource.filenameProblem(file.filename) {
                throw FlowProblems(["input \(input): \(MessageQuote.quoted(file.filename)): \(problem)"])
            }
            let destination = folder.appendingPathComponent("_inputs").appendingPathComponent(input)
                .appendingPathComponent(file.filename)
            let (size, crc) = try copy(file, to: destination, input: input)
            let sha = try FileDigest.sha256Hex(of: destination, role: "the copy of input \(input)")
            let uri = uri(
                namespace: namespace, flowId: flowId, executionId: executionId, input: input, filename: file.filename)
            records[input] = InputFileRecord(
                filename: file.filename, uri: uri, localPath: destination.standardizedFileURL.path, size: size,
                sha256: sha, crc32c: CRC32C.base64(crc), host: host)
            values[input] = .string(uri)
        }
        return (records, values)
    }

    /// Streams the file into `destination` (a new file, mode 0600), hashing it on the way.
    private static func copy(_ file: InputFileSource, to destination: URL, input: String) throws -> (Int64, UInt32) {
        let manager = FileManager.default
        try manager.createDirectory(
            at: destination.deletingLastPathComponent(), withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        let temporary = destination.deletingLastPathComponent().appendingPathComponent(
            ".receiving-\(UUID().uuidString)")
        guard manager.createFile(atPath: temporary.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw EngineError.configuration("cannot write the copy of input \(input) under \(destination.path)")
        }
        var crc = CRC32C()
        var size: Int64 = 0
        do {
            let out = try FileHandle(forWritingTo: temporary)
            defer { try? out.close() }
            switch file.content {
            case .data(let data):
                crc.update(data)
                size = Int64(data.count)
                try out.write(contentsOf: data)
            case .file(let url):
                let handle: FileHandle
                do {
                    handle = try FileHandle(forReadingFrom: url)
                } catch {
                    throw EngineError.configuration(
                        "input \(input): cannot read \(url.path) (\(error.localizedDescription))")
                }
                defer { try? handle.close() }
                while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                    crc.update(chunk)
                    size += Int64(chunk.count)
                    try out.write(contentsOf: chunk)
                }
            }
            try out.synchronize()
            if manager.fileExists(atPath: destination.path) { try manager.removeItem(at: destination) }
            try manager.moveItem(at: temporary, to: destination)
        } catch {
            try? manager.removeItem(at: temporary)
            throw error
        }
        return (size, crc.value)
    }

    /// This host, as input file records name the host that received a file.
    static let host = ProcessInfo.processInfo.hostName

    /// Whether the record's copy is on this host's disk (a regular file at its path).
    static func isOnDisk(_ record: InputFileRecord) -> Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: record.localPath, isDirectory: &isFolder) && !isFolder.boolValue
    }

    /// How an object's size and CRC32C differ from the record's, or nil when they do not (a CRC32C the store does
    /// not give is not compared).
    static func difference(_ record: InputFileRecord, size: Int64, crc32c: String?) -> String? {
        if size != record.size { return "it has \(size) bytes, the ledger recorded \(record.size)" }
        if let crc32c, crc32c != record.crc32c {
            return "its CRC32C is \(crc32c), the ledger recorded \(record.crc32c)"
        }
        return nil
    }

    /// The local copies, by URI, for tasks that name them.
    static func files(of started: ExecutionStarted) -> [String: URL] {
        var files: [String: URL] = [:]
        for record in (started.inputFiles ?? [:]).values {
            files[record.uri] = URL(fileURLWithPath: record.localPath)
        }
        return files
    }
}

extension ExecutionContext {
    /// Stores the FILE inputs' files in the bucket of the first task runner that has one, each once (see
    /// `InputFiles`), and makes sure this host holds a copy of each: a copy missing here (another host received the
    /// file, then stopped) is restored from the stored object, checked against the recorded size, CRC32C and
    /// SHA-256. A file that is neither here nor stored (its host stopped before the upload) ends the execution with
    /// `InputFileUnavailable`. Without such a runner the files stay on the host that received them, and its tasks
    /// get them all the same.
    func storeInputFiles() async throws {
        guard let records = started.inputFiles, !records.isEmpty else { return }
        let state = await recorder.state
        let missing = Set(records.filter { !InputFiles.isOnDisk($0.value) }.keys)
        if missing.isEmpty && records.keys.allSatisfy({ state.inputFilesStored.contains($0) }) { return }
        guard
            let (task, runner) = flow.allTasks.lazy.compactMap({ task -> (ScriptTask, BatchRunner)? in
                guard case .script(let script) = task, !script.common.disabled.value,
                    let runner = script.taskRunner, runner.bucket != nil
                else { return nil }
                return (script, runner)
            }).first
        else {
            if let input = missing.min() { throw unavailable(input, records[input]!, .noBucket) }
            configuration.notice(
                "the FILE inputs are kept under \(started.outputDirectory)/_inputs only: no task runner has a bucket")
            return
        }
        let secretsUsed = try await recorder.secretLedger()
        let variables = variables(
            taskID: task.id.value, type: task.common.type.value, scope: Scope(), attempt: 0, state: state)
        let renderer = TaskRenderer(
            task: task, runner: runner, baseVariables: variables, secrets: configuration.secrets,
            environment: configuration.environment, namespaceFiles: [:], knownFiles: [:], readNamespaceFile: nil,
            text: text)
        let placement = try renderer.placement(secretsUsed)
        await recorder.addSecrets(secretsUsed.masker)
        guard let bucket = placement.bucket else {
            if let input = missing.min() { throw unavailable(input, records[input]!, .noBucket) }
            return
        }
        let recordedBucket = placement.bucketSecret == nil ? bucket : SecretMasker.mask(for: bucket)
        let services = try await registry.services(
            for: Identity(
                serviceAccountJSON: placement.serviceAccountJSON, scopes: placement.scopes,
                origin: "the serviceAccount of task \(task.id.value)"))
        func object(_ input: String, _ record: InputFileRecord) -> String {
            state.inputFileObjects[input]
                ?? InputFiles.objectName(
                    namespace: started.namespace, flowId: started.flowId, executionId: started.executionId,
                    input: input, filename: record.filename)
        }
        for (input, record) in records.sorted(by: { $0.key < $1.key }) where !state.inputFilesStored.contains(input) {
            let object = object(input, record)
            if state.inputFileObjects[input] == nil {
                try await recorder.record(
                    .inputFileUploadRequested(
                        InputFileUploadRequested(
                            input: input, bucket: recordedBucket, object: object, size: record.size,
                            crc32c: record.crc32c, sha256: record.sha256)))
            }
            if let existing = try await services.storage.object(bucket: bucket, name: object) {
                if missing.contains(input),
                    let problem = InputFiles.difference(record, size: existing.size, crc32c: existing.crc32c)
                {
                    throw unavailable(
                        input, record, .changedInBucket(object: "gs://\(recordedBucket)/\(object)", detail: problem))
                }
                guard existing.size == record.size, existing.crc32c == nil || existing.crc32c == record.crc32c else {
                    throw EngineError.configuration(
                        "input \(input): gs://\(recordedBucket)/\(object) exists with other content (\(existing.size) "
                            + "bytes, crc32c \(existing.crc32c ?? "-")): it is not this execution's file")
                }
                try await recorder.record(
                    .inputFileUploaded(
                        InputFileUploaded(
                            input: input, object: object, generation: existing.generation, size: existing.size,
                            crc32c: record.crc32c, adopted: true)))
                continue
            }
            if missing.contains(input) {
                throw unavailable(input, record, .neverStored(object: "gs://\(recordedBucket)/\(object)"))
            }
            let local = URL(fileURLWithPath: record.localPath)
            let digest = try FileDigest.sha256Hex(of: local, role: "the copy of input \(input)")
            guard digest == record.sha256 else {
                throw EngineError.configuration(
                    "input \(input): the copy at \(record.localPath) changed since the execution started (its SHA-256 "
                        + "differs): it cannot be stored")
            }
            let stored = try await services.storage.create(bucket: bucket, name: object, file: local)
            try await recorder.record(
                .inputFileUploaded(
                    InputFileUploaded(
                        input: input, object: object, generation: stored.generation, size: stored.size,
                        crc32c: stored.crc32c ?? record.crc32c, adopted: false)))
        }
        for input in missing.sorted() {
            let record = records[input]!
            try await restore(
                input, record, bucket: bucket, shown: "gs://\(recordedBucket)/\(object(input, record))",
                object: object(input, record), storage: services.storage)
        }
    }

    /// Downloads a stored input file to the path its record names (beside it first, then moved into place), after
    /// checking the object's size and CRC32C, and the download's size, CRC32C and SHA-256, against the record.
    private func restore(
        _ input: String, _ record: InputFileRecord, bucket: String, shown: String, object: String,
        storage: any ObjectStorage
    ) async throws {
        guard let stored = try await storage.object(bucket: bucket, name: object) else {
            throw unavailable(input, record, .goneFromBucket(object: shown))
        }
        if let problem = InputFiles.difference(record, size: stored.size, crc32c: stored.crc32c) {
            throw unavailable(input, record, .changedInBucket(object: shown, detail: problem))
        }
        let manager = FileManager.default
        let destination = URL(fileURLWithPath: record.localPath)
        let folder = destination.deletingLastPathComponent()
        do {
            try manager.createDirectory(
                at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw EngineError.configuration(
                "input \(input): cannot restore \(record.localPath) from \(shown): \(folder.path) cannot be created "
                    + "on this host (\(error.localizedDescription)); let this host write there, then recover again")
        }
        let temporary = folder.appendingPathComponent(".restoring-\(UUID().uuidString)")
        defer { try? manager.removeItem(at: temporary) }
        let fetched = try await storage.download(bucket: bucket, name: object, to: temporary)
        if let problem = InputFiles.difference(record, size: fetched.size, crc32c: CRC32C.base64(fetched.crc32c)) {
            throw unavailable(input, record, .changedInBucket(object: shown, detail: problem))
        }
        let sha = try FileDigest.sha256Hex(of: temporary, role: "the restored copy of input \(input)")
        guard sha == record.sha256 else {
            throw unavailable(input, record, .changedInBucket(object: shown, detail: "its SHA-256 differs"))
        }
        try manager.setAttributes([.posixPermissions: 0o600], ofItemAtPath: temporary.path)
        if manager.fileExists(atPath: destination.path) { try manager.removeItem(at: destination) }
        try manager.moveItem(at: temporary, to: destination)
        configuration.notice(
            "input \(input): \(record.localPath) was not on this host; restored from \(shown)"
                + (record.host.map { " (received by host \($0))" } ?? ""))
    }

    private func unavailable(_ input: String, _ record: InputFileRecord, _ reason: InputFileUnavailable.Reason)
        -> InputFileUnavailable
    {
        InputFileUnavailable(
            input: input, filename: record.filename, localPath: record.localPath, receivedBy: record.host,
            host: InputFiles.host, reason: reason, flow: "\(started.namespace)/\(started.flowId)")
    }
}
