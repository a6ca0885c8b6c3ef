import Foundation

/// Running one attempt of a task: each runnable as a sandboxed local process, its output as log entries.
extension BatchService {
    /// Process interruptions (timeouts, injected faults) by "job#task", read when the process ends.
    private static func interruptKey(_ name: String, _ index: Int) -> String { "\(name)#\(index)" }

    func interrupt(_ name: String, _ index: Int, code: Int32) {
        interrupts[Self.interruptKey(name, index)] = code
        if let pid = jobs[name]?.tasks[index].pid { ProcessRunner.killGroup(pid) }
    }

    func takeInterrupt(_ name: String, _ index: Int) -> Int32? {
        interrupts.removeValue(forKey: Self.interruptKey(name, index))
    }

    func recordProcess(_ name: String, _ index: Int, pid: Int32, exitFile: String) {
        guard var record = jobs[name] else {
            ProcessRunner.killGroup(pid)
            return
        }
        record.tasks[index].pid = pid
        record.tasks[index].pidStartTicks = ProcessRunner.startTicks(of: pid)
        record.tasks[index].exitFile = exitFile
        jobs[name] = record
        persist(name)
        if stopping.contains(name) { ProcessRunner.killGroup(pid) }
    }

    func clearProcess(_ name: String, _ index: Int) {
        guard var record = jobs[name], record.tasks.indices.contains(index) else { return }
        record.tasks[index].pid = nil
        record.tasks[index].pidStartTicks = nil
        jobs[name] = record
        persist(name)
    }

    private static func environment(_ value: JSONValue?) -> [String: String] {
        value?["variables"]?.objectValue?.compactMapValues { $0.stringValue } ?? [:]
    }

    /// The mounts of a task: each GCS volume at its `mountPath`, each container volume `HOST:CONTAINER[:ro|rw]`.
    func mounts(for record: JobRecord, spec: JSONValue?, runnable: JSONValue) async throws(APIError) -> [Sandbox.Mount]
    {
        var volumeFolders: [(mountPath: String, folder: URL)] = []
        var mounts: [Sandbox.Mount] = []
        for volume in spec?["volumes"]?.arrayValue ?? [] {
            guard let mountPath = volume["mountPath"]?.stringValue else { continue }
            // Checked on create too; a job stored by an older emulator may not have been.
            guard JobSpec.isPlainAbsolutePath(mountPath) else {
                throw APIError.invalidArgument(
                    "Invalid volume mount path '\(APIError.excerpt(mountPath))': it must be absolute, without '.' or '..'"
                )
            }
            let folder: URL
            if let remote = volume["gcs"]?["remotePath"]?.stringValue {
                folder = try await deps.storage.folder(forRemotePath: remote)
            } else {
                folder = try Self.confinedFolder(
                    under: deps.workDirectory.appendingPathComponent("disks/\(record.uid)"), relative: mountPath)
            }
            volumeFolders.append((mountPath, folder))
            mounts.append(.init(source: folder.path, target: mountPath, readOnly: false))
        }
        for entry in runnable["container"]?["volumes"]?.arrayValue ?? [] {
            guard let text = entry.stringValue else { continue }
            let parts = text.split(separator: ":").map(String.init)
            guard parts.count >= 2, JobSpec.isPlainAbsolutePath(parts[0]), JobSpec.isPlainAbsolutePath(parts[1]) else {
                throw APIError.invalidArgument(
                    "Invalid container volume '\(APIError.excerpt(text))': expected HOST:CONTAINER[:ro|rw] with absolute "
                        + "paths without '.' or '..'")
            }
            let host = parts[0]
            var resolved: URL?
            for (mountPath, folder) in volumeFolders.sorted(by: { $0.mountPath.count > $1.mountPath.count }) {
                if host == mountPath {
                    resolved = folder
                } else if host.hasPrefix(mountPath + "/") {
                    // Below a folder the job can write: an earlier runnable may have planted a link there.
                    resolved = try Self.confinedFolder(under: folder, relative: String(host.dropFirst(mountPath.count)))
                }
                if resolved != nil { break }
            }
            let source: URL
            if let resolved {
                source = resolved
            } else {
                source = try Self.confinedFolder(
                    under: deps.workDirectory.appendingPathComponent("disks/\(record.uid)"), relative: host)
            }
            mounts.append(
                .init(source: source.path, target: parts[1], readOnly: parts.count > 2 && parts[2].contains("ro")))
        }
        return mounts
    }

    /// `base` + `relative` (an absolute-looking path such as `/a/b`), each missing folder created `0700`, and
    /// refused when any step is a symbolic link or not a folder, or when the result resolves outside `base`: a
    /// job that can write below `base` must not redirect a later mount anywhere on the host.
    static func confinedFolder(under base: URL, relative: String) throws(APIError) -> URL {
        let refuse = { (why: String) -> APIError in
            APIError.invalidArgument(
                "Invalid volume path '\(APIError.excerpt(relative))': \(why); a job's folders must be plain folders")
        }
        if mkdir(base.path, 0o700) != 0 && errno != EEXIST {
            try? FileManager.default.createDirectory(
                at: base, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        var path = base.path
        for component in relative.split(separator: "/") where !component.isEmpty {
            guard component != ".", component != ".." else { throw refuse("it has a '.' or '..' segment") }
            path += "/" + component
            var info = stat()
            if lstat(path, &info) != 0 {
                guard mkdir(path, 0o700) == 0 || errno == EEXIST else { throw refuse("its folder cannot be created") }
                guard lstat(path, &info) == 0 else { throw refuse("its folder cannot be created") }
            }
            if (info.st_mode & S_IFMT) == S_IFLNK { throw refuse("'\(component)' is a symbolic link") }
            guard (info.st_mode & S_IFMT) == S_IFDIR else { throw refuse("'\(component)' is not a folder") }
        }
        guard let real = realpath(path, nil), let realBase = realpath(base.path, nil) else {
            throw refuse("it cannot be resolved")
        }
        defer {
            free(real)
            free(realBase)
        }
        let resolved = String(cString: real)
        let root = String(cString: realBase)
        guard resolved == root || resolved.hasPrefix(root + "/") else { throw refuse("it resolves outside its job") }
        return URL(fileURLWithPath: resolved)
    }

    /// The program of a runnable: `entrypoint` (split on spaces) followed by `commands`, or a script.
    static func program(of runnable: JSONValue) -> [String]? {
        if let container = runnable["container"] {
            let entry = container["entrypoint"]?.stringValue?.split(separator: " ").map(String.init) ?? []
            let commands = (container["commands"]?.arrayValue ?? []).compactMap { $0.stringValue }
            let program = entry + commands
            return program.isEmpty ? nil : program
        }
        if let script = runnable["script"] {
            if let text = script["text"]?.stringValue { return ["/bin/sh", "-c", text] }
            if let path = script["path"]?.stringValue { return ["/bin/sh", path] }
        }
        return nil
    }

    /// Runs the runnables of one attempt in order; returns the task's exit code.
    func runAttempt(_ name: String, _ index: Int, attempt: Int) async -> Int32 {
        guard let record = jobs[name] else { return 50000 }
        let group = record.job["taskGroups"]?.arrayValue?.first
        let spec = group?["taskSpec"]
        let taskCount = record.tasks.count
        let faultCode: Int32?
        let faultAfter: Duration
        if attempt == 0, let fault = record.faults.first(where: { $0.kind == "preempt" || $0.kind == "vm-lost" }) {
            faultCode = fault.kind == "preempt" ? 50001 : 50002
            faultAfter = .milliseconds(fault.afterMilliseconds)
            if faultAfter == .zero { return faultCode! }
        } else {
            faultCode = nil
            faultAfter = .zero
        }
        let started = ContinuousClock.now
        let maxRun = (spec?["maxRunDuration"]?.stringValue).flatMap(BatchDuration.seconds)
        let python = await deps.python.binDirectory.path
        let logs = deps.logs
        let project = record.project
        let uid = record.uid
        let location = record.location
        let labels = record.job["labels"]?.objectValue?.compactMapValues { $0.stringValue } ?? [:]
        let taskID = "\(uid)-group0-\(index)"
        let privateFolder = privateFolder(of: record)
        let sandbox = sandboxOptions
        // As on Batch: task logs reach Cloud Logging only with logsPolicy.destination = CLOUD_LOGGING.
        let loggingEnabled = record.job["logsPolicy"]?["destination"]?.stringValue == "CLOUD_LOGGING"
        let faultTimer: Task<Void, Never>? = faultCode.map { code in
            Task {
                try? await Task.sleep(for: faultAfter)
                if !Task.isCancelled { self.interrupt(name, index, code: code) }
            }
        }
        defer { faultTimer?.cancel() }
        // The first failing runnable's code; later runnables run only with alwaysRun, as on Batch.
        var failure: Int32?
        var backgroundRuns: [Task<Void, Never>] = []
        for (runnableIndex, runnable) in (spec?["runnables"]?.arrayValue ?? []).enumerated() {
            guard proceeds(name) else {
                failure = failure ?? 50000
                break
            }
            if runnable["barrier"] != nil { continue }
            if failure != nil && runnable["alwaysRun"] != .bool(true) { continue }
            let output: @Sendable ([String], Bool) async -> Void = { lines, isError in
                guard loggingEnabled else { return }
                await logs.append(
                    lines: lines, severity: isError ? "ERROR" : "INFO", project: project, jobUID: uid, taskID: taskID,
                    jobLabels: labels, location: location)
            }
            guard let program = Self.program(of: runnable) else {
                await output(
                    [
                        "LocalCloud cannot run runnable \(runnableIndex): it has no entrypoint or commands, and image defaults are unknown without a container engine"
                    ],
                    true)
                failure = failure ?? 127
                continue
            }
            var mounts: [Sandbox.Mount]
            do {
                mounts = try await self.mounts(for: record, spec: spec, runnable: runnable)
            } catch {
                await output([error.message], true)
                failure = failure ?? 50000
                continue
            }
            var environment: [String: String] = [
                "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
                "HOME": getuid() == 0 ? "/root" : "/tmp", "BATCH_TASK_INDEX": String(index),
                "BATCH_TASK_COUNT": String(taskCount), "BATCH_TASK_RETRY_ATTEMPT": String(attempt),
                "BATCH_JOB_UID": uid, "BATCH_JOB_ID": record.jobID,
            ]
            if let image = runnable["container"]?["imageUri"]?.stringValue, ImageRuntime.forImage(image) == .python {
                environment["PATH"] = python + ":" + environment["PATH"]!
                let venv = (python as NSString).deletingLastPathComponent
                environment["VIRTUAL_ENV"] = venv
                // The cache may live where the job sees other content (its private /tmp, an empty home): bind it
                // explicitly, and the Python it was made from if that is hidden too.
                mounts.insert(.init(source: venv, target: venv, readOnly: true), at: 0)
                if let base = await deps.python.basePrefix(),
                    sandbox.hiddenPaths.contains(where: { base == $0 || base.hasPrefix($0 + "/") })
                {
                    mounts.insert(.init(source: base, target: base, readOnly: true), at: 0)
                }
            }
            environment.merge(Self.environment(spec?["environment"])) { $1 }
            environment.merge(Self.environment(runnable["environment"])) { $1 }
            // The script goes to a 0600 file in the job's private folder, not into the process arguments.
            let handoff: ScriptHandoff.Prepared
            do {
                try ScriptHandoff.createPrivateFolder(privateFolder)
                handoff = try ScriptHandoff.prepare(
                    program: program, folder: privateFolder,
                    name: "task\(index)-attempt\(attempt)-runnable\(runnableIndex)")
            } catch {
                await output(["LocalCloud could not hand the script to runnable \(runnableIndex): \(error)"], true)
                failure = failure ?? 50000
                continue
            }
            if let mount = handoff.mount { mounts.append(mount) }
            guard
                let command = Sandbox.command(
                    tool: deps.sandbox, mounts: mounts, program: handoff.program, options: sandbox)
            else {
                if case .unavailable(let message) = deps.sandbox { await output([message], true) }
                failure = failure ?? 50000
                continue
            }
            let exitFile = deps.workDirectory.appendingPathComponent("exit/\(uid)-\(index)-\(attempt)-\(runnableIndex)")
            try? FileManager.default.createDirectory(
                at: exitFile.deletingLastPathComponent(), withIntermediateDirectories: true)
            if runnable["background"] == .bool(true) {
                // Runs beside the next runnables and is killed when they are done.
                let launch = ProcessRunner.Launch(command: command, environment: environment, exitFile: exitFile)
                let scriptFile = handoff.file
                backgroundRuns.append(
                    Task {
                        _ = await ProcessRunner.run(
                            launch, onStart: { pid in await self.addBackground(name, index, pid: pid) },
                            onOutput: output)
                        if let scriptFile { try? FileManager.default.removeItem(at: scriptFile) }
                    })
                continue
            }
            var limit = maxRun.map { $0 - (ContinuousClock.now - started).seconds }
            if let timeout = runnable["timeout"]?.stringValue.flatMap(BatchDuration.seconds) {
                limit = min(limit ?? timeout, timeout)
            }
            let deadline: Task<Void, Never>? = limit.map { seconds in
                Task {
                    try? await Task.sleep(for: BatchDuration.timer(seconds: seconds))
                    if !Task.isCancelled { self.interrupt(name, index, code: 50005) }
                }
            }
            let outcome = await ProcessRunner.run(
                .init(command: command, environment: environment, exitFile: exitFile),
                onStart: { pid in await self.recordProcess(name, index, pid: pid, exitFile: exitFile.path) },
                onOutput: output)
            deadline?.cancel()
            if let file = handoff.file { try? FileManager.default.removeItem(at: file) }
            clearProcess(name, index)
            let code: Int32
            if let interrupted = takeInterrupt(name, index) {
                code = interrupted
                if interrupted == 50005 {
                    await output(
                        ["LocalCloud: the task exceeded its run time limit and was killed (exit code 50005)"], true)
                }
            } else {
                switch outcome {
                case .exited(let value): code = value
                case .killed: code = 137
                case .couldNotStart(let message):
                    await output([message], true)
                    code = 127
                }
            }
            if code != 0 && runnable["ignoreExitStatus"] != .bool(true) { failure = failure ?? code }
        }
        stopBackground(name, index)
        for run in backgroundRuns { await run.value }
        return failure ?? 0
    }

    /// The job's own folder for the files LocalCloud hands to its processes (scripts), readable by its owner only.
    func privateFolder(of record: JobRecord) -> URL {
        deps.workDirectory.appendingPathComponent("jobs/\(record.uid)")
    }

    /// What a job's sandbox hides and shares: the emulator's data, state, storage, temporary and home folders are
    /// empty inside it; the network is the host's only when `JobIsolation.network` is `.host`.
    var sandboxOptions: Sandbox.Options {
        var hidden = [
            deps.workDirectory.path, deps.workDirectory.deletingLastPathComponent().path, deps.storage.root.path,
            FileManager.default.temporaryDirectory.path, FileManager.default.homeDirectoryForCurrentUser.path,
        ]
        if let state = deps.stateDirectory { hidden.append(state.path) }
        return Sandbox.Options(
            hiddenPaths: Sandbox.hideable(hidden), hostNetwork: deps.isolation.network == .host)
    }

    func addBackground(_ name: String, _ index: Int, pid: Int32) {
        backgroundPIDs[Self.interruptKey(name, index), default: []].insert(pid)
        if stopping.contains(name) { ProcessRunner.killGroup(pid) }
    }

    /// Kills the background runnables of a task.
    func stopBackground(_ name: String, _ index: Int) {
        for pid in backgroundPIDs.removeValue(forKey: Self.interruptKey(name, index)) ?? [] {
            ProcessRunner.killGroup(pid)
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

extension APIError {
    var messageText: String { message }
}
