import Foundation

/// Keeps a runnable's script out of process arguments, which every user of the host can read (`ps`,
/// `/proc/PID/cmdline`): the code of `sh -c CODE` (any POSIX shell, bash, zsh) or `python -c CODE` is written to a
/// 0600 file in the job's private folder, bound read-only into the sandbox, and the argument becomes a short
/// loader (`. /.localcloud/NAME` or `exec(compile(open(...)...))`). Everything else about the command stays as
/// it was: the shell options, `$0` and the positional arguments; for Python, `sys.argv` and `sys.path`.
///
/// Programs other than shells and Python get their arguments as given; those are visible like any command line.
enum ScriptHandoff {
    /// The program to run and the mount that brings its script file into the sandbox.
    struct Prepared: Sendable, Equatable {
        var program: [String]
        var mount: Sandbox.Mount?
        /// The host file holding the script, removed once the runnable ended.
        var file: URL?
    }

    /// Where script files appear inside the sandbox.
    static let sandboxFolder = "/.localcloud"

    private static let shells: Set<String> = ["sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "yash"]

    /// Where in `program` the inline code is, and which loader replaces it.
    enum Interpreter: Equatable {
        case shell
        case python
    }

    /// The index of the inline code argument and its interpreter; nil when `program` has none.
    static func locateCode(_ program: [String]) -> (index: Int, interpreter: Interpreter)? {
        var start = 0
        // `env [NAME=VALUE...] PROGRAM`.
        if let first = program.first, (first as NSString).lastPathComponent == "env" {
            start = 1
            while start < program.count,
                program[start] == "-i" || program[start] == "-"
                    || (program[start].contains("=") && !program[start].hasPrefix("-"))
            {
                start += 1
            }
        }
        guard start < program.count else { return nil }
        let name = (program[start] as NSString).lastPathComponent
        if shells.contains(name) { return locateShellCode(program, from: start + 1).map { ($0, .shell) } }
        if isPython(name) { return locatePythonCode(program, from: start + 1).map { ($0, .python) } }
        return nil
    }

    /// `python`, `python3`, `python3.12`.
    static func isPython(_ name: String) -> Bool {
        guard name.hasPrefix("python") else { return false }
        let version = name.dropFirst(6)
        return version.allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") }
    }

    /// POSIX: `sh [-abCefhimnuvx] [-o option] -c ... COMMAND_STRING [NAME [ARG...]]`: the code is the first operand
    /// after the options when one of them is `c`.
    private static func locateShellCode(_ program: [String], from start: Int) -> Int? {
        var index = start
        var commandMode = false
        while index < program.count {
            let argument = program[index]
            if argument == "--" {
                index += 1
                break
            }
            if argument.hasPrefix("--") && argument.count > 2 {  // bash's long options
                index += 1
                continue
            }
            guard (argument.hasPrefix("-") || argument.hasPrefix("+")) && argument.count > 1 else { break }
            let flags = argument.dropFirst()
            if argument.hasPrefix("-") && flags.contains("c") { commandMode = true }
            // `-o NAME` / `+o NAME` (set options) and bash's `-O NAME` / `+O NAME` (shopt) take the next argument.
            index += flags.last == "o" || flags.last == "O" ? 2 : 1
        }
        return commandMode && index < program.count ? index : nil
    }

    /// `python [-bBdEhiIOqsSuvx] [-W ARG] [-X ARG] -c CODE [ARG...]`.
    private static func locatePythonCode(_ program: [String], from start: Int) -> Int? {
        var index = start
        while index < program.count {
            let argument = program[index]
            guard argument.hasPrefix("-"), argument.count > 1, argument != "-", argument != "--" else { return nil }
            let flags = Array(argument.dropFirst())
            if flags.last == "c" && flags.dropLast().allSatisfy({ "bBdEhiIOqsSuvx".contains($0) }) {
                return index + 1 < program.count ? index + 1 : nil
            }
            if flags == ["W"] || flags == ["X"] {
                index += 2
                continue
            }
            guard flags.allSatisfy({ "bBdEhiIOqsSuvx".contains($0) }) else { return nil }
            index += 1
        }
        return nil
    }

    /// Writes the inline code of `program` (if any) to `folder/name` (mode 0600) and returns the program that loads
    /// it from `/.localcloud/name` inside the sandbox.
    static func prepare(program: [String], folder: URL, name: String) throws -> Prepared {
        guard let (index, interpreter) = locateCode(program) else {
            return Prepared(program: program, mount: nil, file: nil)
        }
        let file = folder.appendingPathComponent(name)
        try writePrivate(Data(program[index].utf8), to: file)
        let inside = "\(sandboxFolder)/\(name)"
        var rewritten = program
        switch interpreter {
        case .shell:
            rewritten[index] = ". \(inside)"
        case .python:
            rewritten[index] = "exec(compile(open('\(inside)', 'rb').read(), '<string>', 'exec'))"
        }
        return Prepared(
            program: rewritten, mount: .init(source: file.path, target: inside, readOnly: true), file: file)
    }

    /// Creates `file` readable and writable by its owner only (0600), replacing what was there.
    static func writePrivate(_ data: Data, to file: URL) throws {
        try? FileManager.default.removeItem(at: file)
        let descriptor = open(file.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw LocalCloudError.io("create the script file \(file.path)", errno)
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        try handle.write(contentsOf: data)
        try handle.close()
    }

    /// Creates `folder` (and missing parents) readable by its owner only (0700).
    static func createPrivateFolder(_ folder: URL) throws {
        try FileManager.default.createDirectory(
            at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        chmod(folder.path, 0o700)
    }
}
