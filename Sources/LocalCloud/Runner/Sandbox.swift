import Foundation

/// Builds the bubblewrap sandbox a job's commands run in: the host's file system read-only, the job's mount paths
/// (GCS volume `mountPath`, container `volumes` targets such as `/<wid>`) bound writable to its own folders and
/// created only inside the namespace, a private `/tmp`, the emulator's folders hidden, a private process table,
/// no capabilities and, unless asked, no network.
enum Sandbox {
    /// One bind mount from a host folder (or file) to a path inside the job.
    struct Mount: Sendable, Equatable {
        var source: String
        var target: String
        var readOnly: Bool
    }

    /// The tool that makes the namespace.
    enum Tool: Sendable, Equatable {
        case bubblewrap(String)
        case unavailable(String)
    }

    /// What the job may reach besides its mounts.
    struct Options: Sendable, Equatable {
        /// Host folders replaced by empty ones inside the job (the emulator's data, state, temporary and home
        /// folders); ones that do not exist are skipped.
        var hiddenPaths: [String] = []
        /// Whether the job shares the host's network (then it can reach the emulator's API).
        var hostNetwork = false
    }

    /// Finds bubblewrap on the host.
    static func detect() -> Tool {
        let searchPath = ["/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin", "/sbin"]
        if let bwrap = searchPath.map({ $0 + "/bwrap" }).first(where: {
            FileManager.default.isExecutableFile(atPath: $0)
        }) {
            return .bubblewrap(bwrap)
        }
        return .unavailable(missingMessage)
    }

    /// What to tell the user when bubblewrap is not installed.
    static let missingMessage =
        "LocalCloud runs job commands in a bubblewrap sandbox (read-only host, private /tmp and process table, "
        + "no access to the emulator's folders) and needs bubblewrap: install it with 'apt-get install bubblewrap' "
        + "(Debian/Ubuntu) or 'dnf install bubblewrap'"

    static func normalize(_ path: String) -> String {
        let parts = path.split(separator: "/").filter { $0 != "." && !$0.isEmpty }
        return "/" + parts.joined(separator: "/")
    }

    /// The folders of `paths` that can be hidden: existing directories (symbolic links resolved) that are not
    /// `/`, not a system folder's ancestor and not already private (`/tmp`, `/proc`, `/dev`).
    static func hideable(_ paths: [String]) -> [String] {
        var result: [String] = []
        for path in paths {
            let real = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: real, isDirectory: &isDirectory), isDirectory.boolValue
            else { continue }
            let normalized = normalize(real)
            let system = ["/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc"]
            if normalized == "/" || system.contains(where: { $0 == normalized || $0.hasPrefix(normalized + "/") }) {
                continue
            }
            if ["/tmp", "/proc", "/dev"].contains(where: { normalized == $0 || normalized.hasPrefix($0 + "/") }) {
                continue
            }
            if !result.contains(normalized) { result.append(normalized) }
        }
        // A folder inside another hidden one is hidden with it.
        return result.filter { path in !result.contains { path.hasPrefix($0 + "/") } }.sorted()
    }

    /// bubblewrap arguments: a tmpfs root re-populated read-only with the host's top-level entries, descending
    /// into every folder that is an ancestor of a mount target (so new folders appear only in the namespace);
    /// then the hidden folders as empty tmpfs, then the job's mounts.
    static func bubblewrapArguments(mounts: [Mount], options: Options = Options()) -> [String] {
        let targets = mounts.map { normalize($0.target) }
        var arguments = [
            // A new session: the job has no controlling terminal, so it cannot write to the user's terminal
            // through /dev/tty (nor push input into it with TIOCSTI).
            "--new-session", "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--cap-drop", "ALL", "--unsetenv",
            "LOCALCLOUD_EXIT_FILE",
        ]
        if !options.hostNetwork { arguments.append("--unshare-net") }
        arguments += ["--tmpfs", "/", "--proc", "/proc", "--dev", "/dev"]
        func populate(_ folder: String) {
            let entries = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
            for entry in entries {
                let path = folder == "/" ? "/" + entry : folder + "/" + entry
                // /run holds the host's sockets (D-Bus, agents, container engines): a read-only bind does not
                // stop connect(), so it is replaced by an empty tmpfs below, as /tmp is.
                if folder == "/" && ["proc", "dev", "tmp", "run"].contains(entry) { continue }
                if targets.contains(path) { continue }
                if let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                    arguments += ["--symlink", destination, path]
                    continue
                }
                var isDirectory: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
                if isDirectory.boolValue && targets.contains(where: { $0.hasPrefix(path + "/") }) {
                    arguments += ["--tmpfs", path]
                    populate(path)
                } else {
                    arguments += ["--ro-bind", path, path]
                }
            }
        }
        populate("/")
        arguments += ["--tmpfs", "/tmp", "--tmpfs", "/run"]
        for hidden in hideable(options.hiddenPaths) {
            arguments += ["--tmpfs", hidden]
        }
        for mount in mounts.sorted(by: { normalize($0.target).count < normalize($1.target).count }) {
            arguments += [mount.readOnly ? "--ro-bind" : "--bind", mount.source, normalize(mount.target)]
        }
        arguments += ["--chdir", "/"]
        return arguments
    }

    /// The whole command line for the job's process under the chosen tool; nil without bubblewrap.
    static func command(tool: Tool, mounts: [Mount], program: [String], options: Options = Options()) -> [String]? {
        switch tool {
        case .bubblewrap(let path):
            return [path] + bubblewrapArguments(mounts: mounts, options: options) + ["--"] + program
        case .unavailable:
            return nil
        }
    }
}
