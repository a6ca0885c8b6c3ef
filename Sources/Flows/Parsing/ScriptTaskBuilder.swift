import Foundation

/// Builds python, shell and node `Commands`/`Script` tasks, their task runner, and checks the rules
/// that involve both (a bucket for output files, paths inside the working directory).
struct ScriptTaskBuilder {
    let context: ParseContext
    let taskBuilder: TaskBuilder

    static let scriptProperties = [
        "containerImage", "beforeCommands", "interpreter", "env", "inputFiles", "namespaceFiles", "outputFiles",
        "warningOnStdErr", "failFast", "outputDirectory", "targetOS", "taskRunner",
    ]

    func build(
        _ reader: MappingReader, type: Located<String>, language: ScriptTask.Language, mode: ScriptTask.Mode
    ) -> ScriptTask? {
        let modeProperty = mode == .commands ? "commands" : "script"
        let other = mode == .commands ? ScriptTask.Mode.script : .commands
        let otherProperty = mode == .commands ? "script" : "commands"
        reader.rejectUnknown(
            known: TaskBuilder.commonProperties + Self.scriptProperties + [modeProperty],
            explanations: [
                otherProperty:
                    "property '\(otherProperty)' belongs to io.kestra.plugin.scripts.\(language.rawValue)."
                    + "\(other.rawValue); \(type.value) takes '\(modeProperty)'",
                "docker": "'docker' is deprecated in Kestra: use 'containerImage' and 'taskRunner'",
                "runner": "'runner' is deprecated in Kestra: use 'taskRunner'",
            ].merging(TaskBuilder.unsupportedProperties) { specific, _ in specific })
        let common = taskBuilder.buildCommon(reader, type: type)
        let containerImage = reader.string("containerImage")
        var commands: [Located<String>] = []
        var script: Located<String>?
        if mode == .commands {
            commands = reader.stringList("commands", required: true) ?? []
            if reader.node("commands")?.items?.isEmpty == true, let node = reader.node("commands") {
                context.error("property 'commands' of \(type.value) must not be empty", at: node.location)
            }
        } else {
            script = reader.string("script", required: true)
        }
        let beforeCommands = reader.stringList("beforeCommands") ?? []
        let interpreter =
            reader.stringList("interpreter")
            ?? ["/bin/sh", "-c"].map { Located($0, at: reader.location, isDefault: true) }
        let env = (reader.stringMap("env") ?? []).map { EnvironmentVariable(name: $0.key, value: $0.value) }
        let inputFiles = readInputFiles(reader)
        let namespaceFiles = reader.mapping("namespaceFiles", owner: "namespaceFiles") { readNamespaceFiles($0) }
        let outputFiles = reader.stringList("outputFiles") ?? []
        let warningOnStdErr = reader.dynamicBool("warningOnStdErr", default: true)
        let failFast = reader.dynamicBool("failFast", default: true)
        let outputDirectory = reader.bool("outputDirectory", default: false)
        var targetOS = Located("AUTO", at: reader.location, isDefault: true)
        if let os = reader.string("targetOS") {
            if ["LINUX", "WINDOWS", "AUTO"].contains(os.value) {
                targetOS = os
            } else {
                context.error(
                    "property 'targetOS' of \(type.value) must be LINUX, WINDOWS or AUTO, found '\(os.value)'",
                    at: os.location)
            }
        }
        let runner = readTaskRunner(reader)

        for pattern in outputFiles {
            if let problem = WorkingDirectoryPath.problem(pattern.value) {
                context.error("outputFiles pattern '\(pattern.value)' \(problem)", at: pattern.location)
            } else {
                checkGlob(pattern, "outputFiles")
            }
        }
        if case .files(let files)? = inputFiles {
            for file in files {
                if let problem = WorkingDirectoryPath.problem(file.name.value) {
                    context.error("inputFiles name '\(file.name.value)' \(problem)", at: file.name.location)
                }
            }
        }
        for glob in (namespaceFiles?.include ?? []) + (namespaceFiles?.exclude ?? []) {
            if let problem = WorkingDirectoryPath.problem(glob.value) {
                context.error("namespaceFiles pattern '\(glob.value)' \(problem)", at: glob.location)
            } else {
                checkGlob(glob, "namespaceFiles")
            }
        }
        if let runner {
            checkBucket(
                runner, outputFiles: outputFiles, outputDirectory: outputDirectory,
                inputFiles: inputFiles, namespaceFiles: namespaceFiles)
        }
        if runner == nil, reader.node("taskRunner") == nil, let common {
            context.warning(
                "task '\(common.id.value)' has no taskRunner: BatchLedger runs script tasks on "
                    + "\(BatchRunner.typeName); add a taskRunner (or a pluginDefaults entry for it)",
                at: reader.location)
        }

        guard let common else { return nil }
        return ScriptTask(
            common: common, language: language, mode: mode, containerImage: containerImage, commands: commands,
            script: script, beforeCommands: beforeCommands, interpreter: interpreter, env: env, inputFiles: inputFiles,
            namespaceFiles: namespaceFiles, outputFiles: outputFiles, warningOnStdErr: warningOnStdErr,
            failFast: failFast, outputDirectory: outputDirectory, targetOS: targetOS, taskRunner: runner)
    }

    private func checkGlob(_ pattern: Located<String>, _ property: String) {
        guard !YAMLScalar.isTemplate(pattern.value) else { return }
        do {
            _ = try GlobPattern(pattern.value)
        } catch {
            context.error(
                "\(property) pattern '\(pattern.value)' is not a valid glob: \(error.reason)", at: pattern.location)
        }
    }

    private func checkBucket(
        _ runner: BatchRunner, outputFiles: [Located<String>], outputDirectory: Located<Bool>,
        inputFiles: InputFiles?, namespaceFiles: NamespaceFiles?
    ) {
        guard runner.bucket == nil else { return }
        if let first = outputFiles.first {
            context.error(
                "missing required property 'bucket' for \(runner.type.value): the task's outputFiles (at "
                    + "\(first.location.lineAndColumn)) are staged through a GCS bucket", at: runner.location)
        } else if outputDirectory.value {
            context.error(
                "missing required property 'bucket' for \(runner.type.value): outputDirectory (at "
                    + "\(outputDirectory.location.lineAndColumn)) is staged through a GCS bucket", at: runner.location)
        } else if runner.syncWorkingDirectory.value {
            context.error(
                "missing required property 'bucket' for \(runner.type.value): syncWorkingDirectory (at "
                    + "\(runner.syncWorkingDirectory.location.lineAndColumn)) brings the working directory back "
                    + "through a GCS bucket", at: runner.location)
        } else if inputFiles != nil || namespaceFiles?.enabled.value == true {
            context.warning(
                "\(runner.type.value) has no 'bucket': inputFiles and namespaceFiles are not uploaded without one",
                at: runner.location)
        }
    }

    private func readInputFiles(_ reader: MappingReader) -> InputFiles? {
        guard let node = reader.node("inputFiles") else { return nil }
        if node.entries != nil {
            let pairs = reader.stringMap("inputFiles") ?? []
            return .files(pairs.map { InputFile(name: $0.key, content: $0.value) })
        }
        guard let scalar = node.scalar else {
            context.error(
                "property 'inputFiles' of \(reader.owner) must be a mapping of file names to contents, or a JSON "
                    + "string of one, found a list", at: node.location)
            return nil
        }
        if let object = (try? JSONSerialization.jsonObject(with: Data(scalar.text.utf8))) as? [String: Any] {
            let files = object.keys.sorted().compactMap { name -> InputFile? in
                guard let value = object[name], !(value is NSNull) else { return nil }
                let content: String
                if let string = value as? String {
                    content = string
                } else {
                    let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed])
                    content = data.flatMap { String(data: $0, encoding: .utf8) } ?? "\(value)"
                }
                return InputFile(name: Located(name, at: node.location), content: Located(content, at: node.location))
            }
            return .files(files)
        }
        if scalar.isTemplate { return .template(Located(scalar.text, at: node.location)) }
        context.error(
            "property 'inputFiles' of \(reader.owner) must be a mapping of file names to contents, or a JSON string "
                + "of one such as '{\"main.py\": \"print(1)\"}'", at: node.location)
        return nil
    }

    private func readNamespaceFiles(_ reader: MappingReader) -> NamespaceFiles {
        reader.rejectUnknown(known: ["enabled", "include", "exclude"])
        return NamespaceFiles(
            enabled: reader.bool("enabled", default: true), include: reader.stringList("include") ?? [],
            exclude: reader.stringList("exclude") ?? [], location: reader.location)
    }

    private func readTaskRunner(_ reader: MappingReader) -> BatchRunner? {
        guard let node = reader.node("taskRunner") else { return nil }
        guard let raw = MappingReader(node, owner: "taskRunner", context: context) else { return nil }
        guard let type = raw.string("type", required: true) else {
            raw.rejectUnknown(known: BatchRunnerBuilder.kestraProperties + BatchRunnerBuilder.extensionProperties)
            return nil
        }
        let merged = PluginDefaultsApplier(defaults: taskBuilder.pluginDefaults).apply(to: node, pluginType: type.value)
        guard let runnerReader = MappingReader(merged, owner: type.value, context: context) else { return nil }
        guard type.value == BatchRunner.typeName || type.value == BatchRunner.legacyTypeName else {
            context.error(
                "unsupported task runner type '\(type.value)': BatchLedger runs tasks on \(BatchRunner.typeName) "
                    + "(or the older \(BatchRunner.legacyTypeName))", at: type.location)
            return nil
        }
        return BatchRunnerBuilder(context: context).build(runnerReader, type: type)
    }
}
