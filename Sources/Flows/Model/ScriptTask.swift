/// A python, shell or node script task (`…Commands` or `…Script`), and the task runner it runs on.
public struct ScriptTask: Sendable, Equatable {
    /// The language, from the type's package.
    public enum Language: String, Sendable, CaseIterable {
        /// `io.kestra.plugin.scripts.python`.
        case python
        /// `io.kestra.plugin.scripts.shell`.
        case shell
        /// `io.kestra.plugin.scripts.node`.
        case node

        /// Kestra's default container image for the language.
        public var defaultContainerImage: String {
            switch self {
            case .python: return "python:3.13-slim"
            case .shell: return "ubuntu"
            case .node: return "node"
            }
        }
    }

    /// `Commands` (a list of commands) or `Script` (one inline script).
    public enum Mode: String, Sendable, CaseIterable {
        /// `…Commands`.
        case commands = "Commands"
        /// `…Script`.
        case script = "Script"
    }

    /// Every supported script task type, as `io.kestra.plugin.scripts.<language>.<Mode>`.
    public static let typeNames: [String] = Language.allCases.flatMap { language in
        Mode.allCases.map { "io.kestra.plugin.scripts.\(language.rawValue).\($0.rawValue)" }
    }

    /// id, type and the other shared properties.
    public var common: TaskCommon

    /// The task id (`common.id`).
    public var id: Located<String> { common.id }
    /// The language.
    public var language: Language
    /// Commands or Script.
    public var mode: Mode
    /// `containerImage`, if written (see `effectiveContainerImage`).
    public var containerImage: Located<String>?
    /// `commands` (Commands tasks; at least one).
    public var commands: [Located<String>]
    /// `script` (Script tasks).
    public var script: Located<String>?
    /// `beforeCommands`, run before the commands or script.
    public var beforeCommands: [Located<String>]
    /// `interpreter`, `["/bin/sh", "-c"]` by default.
    public var interpreter: [Located<String>]
    /// `env`, in file order.
    public var env: [EnvironmentVariable]
    /// `inputFiles`, or nil.
    public var inputFiles: InputFiles?
    /// `namespaceFiles`, or nil when the block is absent.
    public var namespaceFiles: NamespaceFiles?
    /// `outputFiles` glob patterns, relative to the working directory.
    public var outputFiles: [Located<String>]
    /// `warningOnStdErr`: a stderr line makes the task end in WARNING (default true).
    public var warningOnStdErr: Located<Dynamic<Bool>>
    /// `failFast`: the commands run with `set -e` (default true).
    public var failFast: Located<Dynamic<Bool>>
    /// `outputDirectory` (deprecated in Kestra): enables `{{ outputDir }}` (default false).
    public var outputDirectory: Located<Bool>
    /// `targetOS` (`LINUX`, `WINDOWS` or `AUTO`, default `AUTO`).
    public var targetOS: Located<String>
    /// `taskRunner`, or nil (then BatchLedger has nowhere to run the task).
    public var taskRunner: BatchRunner?

    /// Creates a script task.
    public init(
        common: TaskCommon, language: Language, mode: Mode, containerImage: Located<String>?,
        commands: [Located<String>], script: Located<String>?, beforeCommands: [Located<String>],
        interpreter: [Located<String>], env: [EnvironmentVariable], inputFiles: InputFiles?,
        namespaceFiles: NamespaceFiles?, outputFiles: [Located<String>], warningOnStdErr: Located<Dynamic<Bool>>,
        failFast: Located<Dynamic<Bool>>, outputDirectory: Located<Bool>, targetOS: Located<String>,
        taskRunner: BatchRunner?
    ) {
        self.common = common
        self.language = language
        self.mode = mode
        self.containerImage = containerImage
        self.commands = commands
        self.script = script
        self.beforeCommands = beforeCommands
        self.interpreter = interpreter
        self.env = env
        self.inputFiles = inputFiles
        self.namespaceFiles = namespaceFiles
        self.outputFiles = outputFiles
        self.warningOnStdErr = warningOnStdErr
        self.failFast = failFast
        self.outputDirectory = outputDirectory
        self.targetOS = targetOS
        self.taskRunner = taskRunner
    }

    /// The image to run: `containerImage`, or the language's Kestra default.
    public var effectiveContainerImage: String { containerImage?.value ?? language.defaultContainerImage }
}

/// One `env` entry.
public struct EnvironmentVariable: Sendable, Equatable {
    /// The variable name.
    public var name: Located<String>
    /// The value (may be a template).
    public var value: Located<String>

    /// Creates an entry.
    public init(name: Located<String>, value: Located<String>) {
        self.name = name
        self.value = value
    }
}

/// `inputFiles`: files written into the working directory before the task runs.
public enum InputFiles: Sendable, Equatable {
    /// Files known when the flow is read (a mapping, or a JSON string of a mapping).
    case files([InputFile])
    /// A template that renders to a JSON mapping at run time.
    case template(Located<String>)
}

/// One input file: a relative path and its content (literal text, a template, or a `kestra://` URI).
public struct InputFile: Sendable, Equatable {
    /// The path relative to the working directory.
    public var name: Located<String>
    /// The content as written.
    public var content: Located<String>

    /// Creates an input file.
    public init(name: Located<String>, content: Located<String>) {
        self.name = name
        self.content = content
    }
}

/// `namespaceFiles`: which files of the namespace folder (given on the command line) are copied in.
public struct NamespaceFiles: Sendable, Equatable {
    /// Whether namespace files are copied (true by default once the block exists).
    public var enabled: Located<Bool>
    /// Globs of files to copy (all when empty).
    public var include: [Located<String>]
    /// Globs of files not to copy.
    public var exclude: [Located<String>]
    /// Where the block starts.
    public var location: SourceLocation

    /// Whether the file at `relativePath` (relative to the namespace folder, `/`-separated) is copied:
    /// the block is enabled, the path matches an `include` glob (or there is none), and no `exclude` glob.
    /// Patterns that are templates or malformed match nothing.
    public func selects(_ relativePath: String) -> Bool {
        guard enabled.value else { return false }
        func matchesAny(_ patterns: [Located<String>]) -> Bool {
            patterns.contains { (try? GlobPattern($0.value))?.matches(relativePath) == true }
        }
        return (include.isEmpty || matchesAny(include)) && !matchesAny(exclude)
    }

    /// Creates the block.
    public init(
        enabled: Located<Bool>, include: [Located<String>], exclude: [Located<String>], location: SourceLocation
    ) {
        self.enabled = enabled
        self.include = include
        self.exclude = exclude
        self.location = location
    }
}
