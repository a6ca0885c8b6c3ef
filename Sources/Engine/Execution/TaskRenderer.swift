import Flows
import Foundation
import GoogleCloud
import Ledger
import Templates

/// Renders one script task for one attempt and builds what the attempt needs: the Batch job (Kestra's shape),
/// the files to stage, the output globs. Rendering is pure: the same inputs give the same plan.
struct TaskRenderer {
    let task: ScriptTask
    let runner: BatchRunner
    /// Variables without the runner's (`workingDir` …).
    let baseVariables: RunVariables
    let secrets: SecretStore
    let environment: [String: String]
    let namespaceFiles: [String: URL]
    /// Output files of earlier tasks: `kestra://` URI → local file.
    let knownFiles: [String: URL]
    let readNamespaceFile: (@Sendable (String) throws -> String)?
    /// The flow file's text, to place template errors exactly (nil: at the start of each value).
    var text: FlowText? = nil

    /// Collects every secret value a rendering used, to mask them, and their references (keyed digests under the
    /// ledger's key) for the events. Each value also goes to the execution's recorder as soon as it is rendered.
    final class SecretLedger: @unchecked Sendable {
        private let key: SecretDigestKey
        private let sink: RenderedSecrets?
        private(set) var masker = SecretMasker()
        /// The secrets used, by (upper-cased) name.
        private var uses: [String: SecretUse] = [:]

        init(key: SecretDigestKey, sink: RenderedSecrets? = nil) {
            self.key = key
            self.sink = sink
        }

        func add(_ rendered: RenderedString) {
            masker = masker.merging(rendered.masker)
            sink?.add(rendered.masker)
            for use in rendered.secretUses { uses[use.name] = use }
        }

        /// The reference the ledger records for `use`.
        func reference(for use: SecretUse) -> SecretReference {
            SecretReference(use, key: key)
        }

        /// The references of every secret used, by name.
        var references: [SecretReference] {
            uses.keys.sorted().map { reference(for: uses[$0]!) }
        }

        /// A secret that names where the attempt runs must still have the value it had when the attempt started:
        /// `recorded` is what the ledger holds, `now` what the same property rendered to this time.
        func checkUnchanged(_ recorded: SecretReference?, now: SecretReference?, property: String) throws {
            guard let recorded else { return }
            guard let now, now.name == recorded.name, let use = uses[now.name], recorded.matches(use, key: key) else {
                throw FlowProblems([
                    "the task runner's \(property) came from secret \(recorded.name), whose value has changed since "
                        + "the execution started (its digest differs): restore the original value to resume this "
                        + "execution"
                ])
            }
        }

        /// A problem that quotes rendered text, with every secret rendered so far masked in it.
        func problem(_ message: String) -> FlowProblems {
            FlowProblems([masker.mask(message)])
        }
    }

    func context(_ variables: RunVariables) -> TemplateContext {
        TemplateContext(variables: variables.variables, secrets: secrets, readNamespaceFile: readNamespaceFile)
    }

    func render(_ located: Located<String>, _ context: TemplateContext, _ secretsUsed: SecretLedger) throws -> String {
        let rendered = try TemplateEngine.render(
            located.value, origin: Convert.origin(located, in: text), context: context)
        secretsUsed.add(rendered)
        return rendered.text
    }

    func render(
        _ dynamic: Located<Dynamic<Int>>?, _ context: TemplateContext, _ secretsUsed: SecretLedger, name: String
    )
        throws -> Int?
    {
        guard let dynamic else { return nil }
        switch dynamic.value {
        case .value(let value): return value
        case .template(let template):
            // The message quotes the text as rendered: trimmed or lower-cased, a secret in it would not be masked.
            let rendered = try render(Located(template, at: dynamic.location), context, secretsUsed)
            let text = rendered.trimmingCharacters(in: .whitespaces)
            if let value = Int(text) { return value }
            if case .mebibytes(let mib) = MebibyteSize.parse(text) { return mib }
            throw secretsUsed.problem("\(dynamic.location): \(name) rendered to '\(rendered)', not a number")
        }
    }

    func render(_ dynamic: Located<Dynamic<Bool>>, _ context: TemplateContext, _ secretsUsed: SecretLedger) throws
        -> Bool
    {
        switch dynamic.value {
        case .value(let value): return value
        case .template(let template):
            let rendered = try render(Located(template, at: dynamic.location), context, secretsUsed)
            let text = rendered.lowercased().trimmingCharacters(in: .whitespaces)
            guard text == "true" || text == "false" else {
                throw secretsUsed.problem("\(dynamic.location): rendered to '\(rendered)', not true or false")
            }
            return text == "true"
        }
    }

    /// The rendered runner properties that decide where the attempt runs.
    struct Placement {
        var project: String
        var region: String
        var bucket: String?
        var serviceAccountJSON: String?
        var scopes: [String]
        var projectSecret: SecretReference?
        var bucketSecret: SecretReference?
        /// The rendered `impersonatedServiceAccount` (nil when unset or rendered empty).
        var impersonatedServiceAccount: String? = nil
    }

    func placement(_ secretsUsed: SecretLedger) throws -> Placement {
        let context = context(baseVariables)
        func renderTracked(_ located: Located<String>) throws -> (String, SecretReference?) {
            let rendered = try TemplateEngine.render(
                located.value, origin: Convert.origin(located, in: text), context: context)
            secretsUsed.add(rendered)
            let reference = rendered.secretUses.first.map { secretsUsed.reference(for: $0) }
            return (rendered.text, reference)
        }
        guard let projectProperty = runner.projectId else {
            throw FlowProblems(["\(runner.location): \(FlowCheck.missingProjectId)"])
        }
        let (project, projectSecret) = try renderTracked(projectProperty)
        let region = try render(runner.region, context, secretsUsed)
        var bucket: String?
        var bucketSecret: SecretReference?
        if let property = runner.bucket {
            let (value, reference) = try renderTracked(property)
            bucket = value.isEmpty ? nil : value
            bucketSecret = reference
            if let bucket, let problem = GoogleBucketRules.problem(bucket) {
                throw secretsUsed.problem("\(property.location): \(FlowCheck.invalidBucket(bucket, problem))")
            }
        }
        if project.isEmpty {
            throw FlowProblems(["\(projectProperty.location): projectId rendered to an empty string"])
        }
        if region.isEmpty {
            throw FlowProblems(["\(runner.region.location): region rendered to an empty string"])
        }
        let serviceAccount = try runner.serviceAccount.map { try render($0, context, secretsUsed) }
        let scopes = try runner.scopes.map { try render($0, context, secretsUsed) }
        var impersonated: String?
        if let property = runner.impersonatedServiceAccount {
            let email = try render(property, context, secretsUsed).trimmingCharacters(in: .whitespaces)
            if !email.isEmpty {
                if let problem = ServiceAccountEmail.problem(email) {
                    throw secretsUsed.problem(
                        "\(property.location): impersonatedServiceAccount rendered to '\(email)', not a service "
                            + "account email such as '\(ServiceAccountEmail.example)' (\(problem))")
                }
                impersonated = email
            }
        }
        return Placement(
            project: project, region: region, bucket: bucket,
            serviceAccountJSON: serviceAccount?.isEmpty == true ? nil : serviceAccount,
            scopes: scopes, projectSecret: projectSecret, bucketSecret: bucketSecret,
            impersonatedServiceAccount: impersonated)
    }

    /// The rendered task for an attempt whose working directory is `/<wid>`.
    struct Rendered {
        var job: BatchJob
        var uploads: [AttemptPlan.Upload]
        var outputGlobs: [GlobPattern]
        var outputDirID: String?
        var rendered: TaskRendered
        var timeout: Duration
    }

    func render(
        started: AttemptStarted, placement: Placement, provisioningModel: GoogleCloud.ProvisioningModel,
        timeout: Duration, secretsUsed: SecretLedger, outputDirID: String?, labels: [String: String]
    ) throws -> Rendered {
        let wid = started.workingDirId
        var variables = baseVariables
        variables.workingDir = "/\(wid)"
        variables.bucketPath = placement.bucket.map { "gs://\($0)/\(wid)" }
        variables.outputDir = outputDirID.map { "/\(wid)/\($0)" }
        let context = context(variables)

        // Files: inputFiles (rendered), namespace files (as they are), and earlier tasks' output files.
        var uploads: [AttemptPlan.Upload] = []
        var fileDigests: [String: String] = [:]
        var usedNames: Set<String> = []
        func addUpload(_ name: String, _ source: AttemptPlan.Upload.Source, digest: String) {
            usedNames.insert(name)
            uploads.append(AttemptPlan.Upload(name: name, source: source))
            fileDigests[name] = digest
        }
        for (relative, url) in namespaceFiles.sorted(by: { $0.key < $1.key }) {
            let digest = try FileDigest.sha256Hex(of: url, role: "namespace file \(relative)")
            addUpload(relative, .file(url), digest: digest)
        }
        for file in try inputFiles(context, secretsUsed) {
            if let problem = WorkingDirectoryPath.problem(file.name) {
                throw secretsUsed.problem("\(file.location): input file '\(file.name)': \(problem)")
            }
            if let local = knownFiles[file.content.trimmingCharacters(in: .whitespacesAndNewlines)] {
                let digest = try FileDigest.sha256Hex(of: local, role: "output file for input file \(file.name)")
                addUpload(file.name, .file(local), digest: digest)
            } else {
                let data = Data(file.content.utf8)
                addUpload(file.name, .data(data), digest: SHA256Digest.of(data).hex)
            }
        }

        // The script: beforeCommands and commands (or the script file), with `set -e` when failFast.
        var lines = try task.beforeCommands.map { try render($0, context, secretsUsed) }
        switch task.mode {
        case .commands:
            lines += try task.commands.map { try render($0, context, secretsUsed) }
        case .script:
            guard let script = task.script else {
                throw FlowProblems(["\(task.common.location): a Script task needs script"])
            }
            let body = try render(script, context, secretsUsed)
            let name = "script" + [ScriptTask.Language.python: ".py", .node: ".js", .shell: ".sh"][task.language]!
            addUpload(name, .data(Data(body.utf8)), digest: SHA256Digest.of(Data(body.utf8)).hex)
            let program = [ScriptTask.Language.python: "python", .node: "node", .shell: "/bin/sh"][task.language]!
            lines.append("\(program) /\(wid)/\(name)")
        }
        // kestra:// URIs of earlier outputs in commands become files in the working directory.
        for (index, line) in lines.enumerated() {
            var replaced = line
            for (uri, local) in knownFiles where replaced.contains(uri) {
                var name = local.lastPathComponent
                if usedNames.contains(name) { name = "\(uploads.count)-\(name)" }
                if !usedNames.contains(name) {
                    let digest = try FileDigest.sha256Hex(of: local, role: "the output file \(uri)")
                    addUpload(name, .file(local), digest: digest)
                }
                replaced = replaced.replacingOccurrences(of: uri, with: "/\(wid)/\(name)")
            }
            lines[index] = replaced
        }
        // The output directory is a folder of the job's bucket: it exists once something is written in it.
        if let outputDir = variables.outputDir { lines.insert("mkdir -p '\(outputDir)'", at: 0) }
        if try render(task.failFast, context, secretsUsed) { lines.insert("set -e", at: 0) }
        let interpreter = try task.interpreter.map { try render($0, context, secretsUsed) }
        let commands = (interpreter.isEmpty ? ["/bin/sh", "-c"] : interpreter) + [lines.joined(separator: "\n")]

        // Environment: the task's env, the language's, then Kestra's WORKING_DIR, OUTPUT_DIR, BUCKET_PATH.
        var env: [String: String] = [:]
        if task.language == .python {
            env["PYTHONUNBUFFERED"] = "true"
            env["PIP_ROOT_USER_ACTION"] = "ignore"
            env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        }
        for variable in task.env {
            env[try render(variable.name, context, secretsUsed)] = try render(variable.value, context, secretsUsed)
        }
        env["WORKING_DIR"] = variables.workingDir
        if let outputDir = variables.outputDir { env["OUTPUT_DIR"] = outputDir }
        if let bucketPath = variables.bucketPath { env["BUCKET_PATH"] = bucketPath }

        let image = try task.containerImage.map { try render($0, context, secretsUsed) } ?? task.effectiveContainerImage
        var globs: [GlobPattern] = []
        for pattern in task.outputFiles {
            let text = try render(pattern, context, secretsUsed)
            if let problem = WorkingDirectoryPath.problem(text.hasPrefix("glob:") ? String(text.dropFirst(5)) : text) {
                throw secretsUsed.problem("\(pattern.location): output file pattern '\(text)': \(problem)")
            }
            do {
                globs.append(try GlobPattern(text))
            } catch {
                throw secretsUsed.problem("\(pattern.location): output file pattern '\(text)': \(error)")
            }
        }

        let job = try jobSpec(
            image: image, commands: commands, env: env, placement: placement, wid: wid,
            provisioningModel: provisioningModel, timeout: timeout, labels: labels, secretsUsed: secretsUsed)
        let commandsDigest = SHA256Digest.of(Data(commands.joined(separator: "\u{0}").utf8)).hex
        let rendered = TaskRendered(
            taskRunId: started.taskRunId, attempt: started.attempt, containerImage: secretsUsed.masker.mask(image),
            commandsSHA256: commandsDigest, inputFiles: fileDigests, environmentNames: env.keys.sorted(),
            secretsUsed: secretsUsed.references)
        return Rendered(
            job: job, uploads: uploads, outputGlobs: globs, outputDirID: outputDirID, rendered: rendered,
            timeout: timeout)
    }

    struct RenderedInputFile {
        var name: String
        var content: String
        var location: Flows.SourceLocation
    }

    func inputFiles(_ context: TemplateContext, _ secretsUsed: SecretLedger) throws -> [RenderedInputFile] {
        switch task.inputFiles {
        case nil:
            return []
        case .files(let files)?:
            return try files.map { file in
                RenderedInputFile(
                    name: try render(file.name, context, secretsUsed),
                    content: try render(file.content, context, secretsUsed),
                    location: file.name.location)
            }
        case .template(let template)?:
            let text = try render(template, context, secretsUsed)
            guard case .map(let map) = try? TemplateValue.parseJSON(text) else {
                throw FlowProblems(["\(template.location): inputFiles rendered to something that is not a JSON object"])
            }
            return map.entries.compactMap { entry in
                if case .null = entry.value { return nil }
                let content: String
                if case .string(let text) = entry.value { content = text } else { content = entry.value.json }
                return RenderedInputFile(name: entry.key, content: content, location: template.location)
            }
        }
    }

    /// The Batch job, as Kestra's runner builds it, with BatchLedger's extensions.
    func jobSpec(
        image: String, commands: [String], env: [String: String], placement: Placement, wid: String,
        provisioningModel: GoogleCloud.ProvisioningModel, timeout: Duration, labels: [String: String],
        secretsUsed: SecretLedger
    ) throws -> BatchJob {
        let context = context(baseVariables)
        let mounted = placement.bucket != nil
        let entryPoint = try runner.entryPoint.map { try render($0, context, secretsUsed) }
        let container = BatchJob.Container(
            imageUri: image, entrypoint: entryPoint.isEmpty ? nil : entryPoint.joined(separator: " "),
            commands: commands,
            volumes: mounted ? ["/mnt/disks/share:/\(wid)"] : nil)
        var compute: BatchJob.ComputeResource?
        if let resource = runner.computeResource {
            compute = BatchJob.ComputeResource(
                cpuMilli: try render(resource.cpuMilli, context, secretsUsed, name: "cpu").map { WireInt64(Int64($0)) },
                memoryMib: try render(resource.memoryMiB, context, secretsUsed, name: "memory").map {
                    WireInt64(Int64($0))
                },
                bootDiskMib: try render(resource.bootDiskMiB, context, secretsUsed, name: "bootDisk").map {
                    WireInt64(Int64($0))
                })
        }
        let maxRetryCount = try render(Optional(runner.maxRetryCount), context, secretsUsed, name: "maxRetryCount") ?? 0
        let seconds = max(1, Int(timeout.seconds.rounded(.up)))
        let spec = BatchJob.TaskSpec(
            runnables: [BatchJob.Runnable(container: container, environment: BatchJob.Environment(variables: env))],
            volumes: mounted
                ? [BatchJob.Volume(gcsRemotePath: "\(placement.bucket!)/\(wid)", mountPath: "/mnt/disks/share")] : nil,
            computeResource: compute, maxRetryCount: maxRetryCount == 0 ? nil : maxRetryCount,
            maxRunDuration: "\(seconds)s",
            lifecyclePolicies: runner.lifecyclePolicies.isEmpty
                ? nil
                : runner.lifecyclePolicies.map { policy in
                    BatchJob.LifecyclePolicy(
                        action: policy.action.value == .retryTask ? .retryTask : .failTask,
                        exitCodes: policy.exitCodes.map(\.value))
                })
        let machineType = try render(runner.machineType, context, secretsUsed)
        let reservation = try runner.reservation.map { try render($0, context, secretsUsed) }
        let accelerators = try runner.accelerators.map { accelerator in
            BatchJob.Accelerator(
                type: try render(accelerator.type, context, secretsUsed), count: Int64(accelerator.count.value),
                driverVersion: try accelerator.driverVersion.map { try render($0, context, secretsUsed) })
        }
        var interfaces = try runner.networkInterfaces.map { interface in
            BatchJob.NetworkInterface(
                network: try render(interface.network, context, secretsUsed),
                subnetwork: try interface.subnetwork.map { try render($0, context, secretsUsed) },
                noExternalIpAddress: runner.noExternalIpAddress.value ? true : nil)
        }
        if interfaces.isEmpty && runner.noExternalIpAddress.value {
            interfaces = [BatchJob.NetworkInterface(network: "global/networks/default", noExternalIpAddress: true)]
        }
        let computeAccount = try runner.computeServiceAccount.map { try render($0, context, secretsUsed) }
        let allocation = BatchJob.AllocationPolicy(
            instances: [
                BatchJob.InstancePolicyOrTemplate(
                    policy: BatchJob.InstancePolicy(
                        machineType: machineType,
                        provisioningModel: provisioningModel == .standard ? nil : provisioningModel,
                        reservation: reservation, accelerators: accelerators.isEmpty ? nil : accelerators),
                    installGpuDrivers: runner.accelerators.contains { $0.installGpuDrivers.value } ? true : nil)
            ],
            network: interfaces.isEmpty ? nil : BatchJob.NetworkPolicy(networkInterfaces: interfaces),
            serviceAccount: computeAccount.map { BatchJob.ServiceAccount(email: $0) })
        return BatchJob(
            taskGroups: [BatchJob.TaskGroup(taskCount: 1, taskSpec: spec)], allocationPolicy: allocation,
            labels: labels,
            logsPolicy: BatchJob.LogsPolicy(destination: "CLOUD_LOGGING"))
    }
}
