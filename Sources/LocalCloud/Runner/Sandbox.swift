import Foundation

/// Builds the private mount namespace a job's commands run in: the host's file system, with the job's
/// mount paths (GCS volume `mountPath`, container `volumes` targets such as `/<wid>`) bound to local folders,
/// created only inside the namespace so nothing is left on the host.
enum Sandbox {
    /// One bind mount from a host folder to a path inside the job.
    struct Mount: Sendable, Equatable {
        var source: String
        var target: String
        var readOnly: Bool
    }

    /// The tool that makes the namespace.
    enum Tool: Sendable, Equatable {
        case bubblewrap(String)
        case unshare(String)
        case unavailable(String)
    }

    /// Finds bubblewrap (preferred), or `unshare` for root, on the host.
    static func detect() -> Tool {
        let searchPath = ["/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin", "/sbin"]
        if let bwrap = searchPath.map({ $0 + "/bwrap" }).first(where: {
            FileManager.default.isExecutableFile(atPath: $0)
        }) {
            return .bubblewrap(bwrap)
        }
        if getuid() == 0,
            let unshare = searchPath.map({ $0 + "/unshare" }).first(where: {
                FileManager.default.isExecutableFile(atPath: $0)
            })
        {
            return .unshare(unshare)
        }
        return .unavailable(missingMessage)
    }

    /// What to tell the user when no sandbox tool is installed.
    static let missingMessage =
        "LocalCloud runs job commands in a private mount namespace and needs bubblewrap: install it with "
        + "'apt-get install bubblewrap' (Debian/Ubuntu) or 'dnf install bubblewrap'; as root, 'unshare' from "
        + "util-linux also works"

    private static func normalize(_ path: String) -> String {
        let parts = path.split(separator: "/").filter { $0 != "." && !$0.isEmpty }
        return "/" + parts.joined(separator: "/")
    }

    /// bubblewrap arguments: a tmpfs root re-populated with the host's top-level entries, descending into
    /// every folder that is an ancestor of a mount target (so new folders appear only in the namespace).
    static func bubblewrapArguments(mounts: [Mount]) -> [String] {
        let targets = mounts.map { normalize($0.target) }
        var arguments = [
            "--die-with-parent", "--unshare-pid", "--unsetenv", "LOCALCLOUD_EXIT_FILE", "--tmpfs", "/", "--proc",
            "/proc",
            "--dev", "/dev",
        ]
        func populate(_ folder: String) {
            let entries = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
            for entry in entries {
                let path = folder == "/" ? "/" + entry : folder + "/" + entry
                if folder == "/" && ["proc", "dev", "tmp"].contains(entry) { continue }
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
                    arguments += ["--bind", path, path]
                }
            }
        }
        populate("/")
        arguments += ["--tmpfs", "/tmp"]
        for mount in mounts.sorted(by: { normalize($0.target).count < normalize($1.target).count }) {
            arguments += [mount.readOnly ? "--ro-bind" : "--bind", mount.source, normalize(mount.target)]
        }
        arguments += ["--chdir", "/"]
        return arguments
    }

    /// The whole command line for the job's process under the chosen tool.
    static func command(tool: Tool, mounts: [Mount], program: [String]) -> [String]? {
        switch tool {
        case .bubblewrap(let path):
            return [path] + bubblewrapArguments(mounts: mounts) + ["--"] + program
        case .unshare(let path):
            // Root-only fallback: mount points are created on the host if missing (bubblewrap avoids that).
            var script = ""
            for (index, mount) in mounts.enumerated() {
                script += "mkdir -p \"$MNT_T\(index)\" && mount --bind \"$MNT_S\(index)\" \"$MNT_T\(index)\" && "
                if mount.readOnly { script += "mount -o remount,bind,ro \"$MNT_T\(index)\" && " }
            }
            script += "cd / && exec \"$@\""
            var exports: [String] = []
            for (index, mount) in mounts.enumerated() {
                exports += ["MNT_S\(index)=\(mount.source)", "MNT_T\(index)=\(normalize(mount.target))"]
            }
            return ["/usr/bin/env"] + exports + [
                path, "--mount", "--propagation", "private", "/bin/sh", "-c", script, "sh",
            ]
                + program
        case .unavailable:
            return nil
        }
    }
}
