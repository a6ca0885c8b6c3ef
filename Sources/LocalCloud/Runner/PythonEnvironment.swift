import Foundation
import Subprocess

/// The cached virtual environment that stands in for Kestra's Python images: created once with
/// `python3 -m venv`, `pip install kestra`, shared by all jobs and emulator instances (guarded by a file lock).
actor PythonEnvironment {
    let directory: URL
    private var ready = false

    init(cacheDirectory: URL) { directory = cacheDirectory.appendingPathComponent("kestra-venv") }

    var binDirectory: URL { directory.appendingPathComponent("bin") }

    /// The installation the environment was made from (`home` in `pyvenv.cfg` is its `bin` folder), symbolic
    /// links resolved; a job's sandbox binds it when it lies in a folder the sandbox hides.
    func basePrefix() -> String? {
        guard let text = try? String(contentsOf: directory.appendingPathComponent("pyvenv.cfg"), encoding: .utf8)
        else { return nil }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts[0] == "home", parts[1].hasPrefix("/") else { continue }
            let bin = URL(fileURLWithPath: parts[1]).resolvingSymlinksInPath()
            return bin.deletingLastPathComponent().path
        }
        return nil
    }

    /// Makes sure the environment exists; returns an error message when it cannot be built.
    func prepare() async -> String? {
        if ready { return nil }
        let marker = directory.appendingPathComponent(".localcloud-ready")
        if FileManager.default.fileExists(atPath: marker.path) {
            ready = true
            return nil
        }
        let parent = directory.deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        let script = """
            set -e
            exec 9>"$1/.kestra-venv.lock"
            flock 9
            if [ -f "$2/.localcloud-ready" ]; then exit 0; fi
            rm -rf "$2"
            python3 -m venv "$2"
            "$2/bin/pip" install --quiet --disable-pip-version-check kestra
            "$2/bin/python" -c 'from kestra import Kestra'
            touch "$2/.localcloud-ready"
            """
        do {
            let result = try await run(
                .name("sh"), arguments: ["-c", script, "sh", parent.path, directory.path],
                environment: .inherit, output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
            if case .exited(0) = result.terminationStatus {
                ready = true
                return nil
            }
            return
                "LocalCloud could not build the Python environment \(directory.path) (python3 -m venv; pip install kestra): "
                + result.standardError.suffix(2000)
        } catch {
            return
                "LocalCloud could not run python3 to build \(directory.path): \(error). Install python3 and python3-venv."
        }
    }
}
