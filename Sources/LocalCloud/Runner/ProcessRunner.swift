import Foundation
import Subprocess

/// Starts one runnable as a local process in its own process group, streams its output as lines, and
/// records its exit code in a file (so an emulator that restarts can still learn how it ended).
enum ProcessRunner {
    /// What to run.
    struct Launch: Sendable {
        /// The full command (sandbox tool first).
        var command: [String]
        var environment: [String: String]
        var exitFile: URL
    }

    /// How the process ended.
    enum Outcome: Sendable, Equatable {
        case exited(Int32)
        case killed
        case couldNotStart(String)
    }

    /// Runs the process to its end. `onStart` gets its pid (the process group id); `onOutput` gets line
    /// batches, `true` for stderr.
    static func run(
        _ launch: Launch, onStart: @escaping @Sendable (Int32) async -> Void,
        onOutput: @escaping @Sendable ([String], Bool) async -> Void
    ) async -> Outcome {
        try? FileManager.default.removeItem(at: launch.exitFile)
        var options = PlatformOptions()
        options.processGroupID = 0
        var environment: [Environment.Key: String] = [:]
        for (key, value) in launch.environment {
            if let name = Environment.Key(rawValue: key) { environment[name] = value }
        }
        environment["LOCALCLOUD_EXIT_FILE"] = launch.exitFile.path
        // The wrapper shell writes the exit status; it survives the emulator, bubblewrap dies with it.
        // SIGPIPE is ignored so a job whose emulator died gets EPIPE on output instead of being killed.
        // The file is read only once the wrapper has exited, so writing it in place is safe.
        // umask 077: whatever the job creates (in its volumes, under the emulator's data folder) is its user's only.
        let wrapper =
            "umask 077; trap '' PIPE; \"$@\"; rc=$?; echo $rc > \"$LOCALCLOUD_EXIT_FILE\"; exit $rc"
        do {
            let result = try await Subprocess.run(
                .path("/bin/sh"), arguments: Arguments(["-c", wrapper, "sh"] + launch.command),
                environment: .custom(environment), platformOptions: options, input: .none, output: .sequence,
                error: .sequence
            ) { execution in
                await onStart(execution.processIdentifier.value)
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        var splitter = LineSplitter()
                        do {
                            for try await buffer in execution.standardOutput {
                                let lines = buffer.withUnsafeBytes { splitter.feed($0) }
                                if !lines.isEmpty { await onOutput(lines, false) }
                            }
                        } catch {}
                        let rest = splitter.finish()
                        if !rest.isEmpty { await onOutput(rest, false) }
                    }
                    group.addTask {
                        var splitter = LineSplitter()
                        do {
                            for try await buffer in execution.standardError {
                                let lines = buffer.withUnsafeBytes { splitter.feed($0) }
                                if !lines.isEmpty { await onOutput(lines, true) }
                            }
                        } catch {}
                        let rest = splitter.finish()
                        if !rest.isEmpty { await onOutput(rest, true) }
                    }
                }
            }
            switch result.terminationStatus {
            case .exited(let code): return .exited(code)
            case .signaled: return .killed
            }
        } catch {
            return .couldNotStart("LocalCloud could not start the job's process: \(error)")
        }
    }

    /// The start time of a process (field 22 of /proc/PID/stat), to tell a live process from a reused pid.
    static func startTicks(of pid: Int32) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); field 22 is fields[19].
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }

    /// Whether `pid` is still the process that was started at `ticks` (and not a zombie).
    static func isAlive(pid: Int32, ticks: UInt64) -> Bool {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return false }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, fields[0] != "Z" else { return false }
        return UInt64(fields[19]) == ticks
    }

    /// Kills a whole process group.
    static func killGroup(_ pid: Int32) {
        _ = kill(-pid, SIGKILL)
    }
}
