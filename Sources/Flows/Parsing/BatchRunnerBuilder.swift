/// Builds the Google Batch task runner with every property, its default, and its checks.
struct BatchRunnerBuilder {
    let context: ParseContext

    static let kestraProperties = [
        "type", "projectId", "region", "serviceAccount", "impersonatedServiceAccount", "scopes", "machineType",
        "reservation", "computeResource", "entryPoint", "networkInterfaces", "bucket", "waitUntilCompletion",
        "completionCheckInterval", "waitForLogInterval", "delete", "resume", "maxRetryCount", "lifecyclePolicies",
        "syncWorkingDirectory",
    ]
    static let extensionProperties = [
        "provisioningModel", "accelerators", "computeServiceAccount", "labels", "noExternalIpAddress",
    ]

    func build(_ reader: MappingReader, type: Located<String>) -> BatchRunner? {
        reader.rejectUnknown(known: Self.kestraProperties + Self.extensionProperties)
        let owner = type.value
        var runner = reader.string("region", required: true).map {
            BatchRunner(type: type, region: $0, location: reader.location)
        }
        readEverything(reader, into: &runner, owner: owner)
        return runner
    }

    // swiftlint:disable:next function_body_length
    private func readEverything(_ reader: MappingReader, into runner: inout BatchRunner?, owner: String) {
        let projectId = reader.string("projectId")
        let serviceAccount = reader.string("serviceAccount")
        let impersonated = reader.string("impersonatedServiceAccount")
        if let email = impersonated, !YAMLScalar.isTemplate(email.value),
            let problem = ServiceAccountEmail.problem(email.value)
        {
            context.error(
                "property 'impersonatedServiceAccount' of \(owner) must be a service account email such as "
                    + "'\(ServiceAccountEmail.example)' (\(problem)), found '\(email.value)'",
                at: email.location)
        }
        let scopes = reader.stringList("scopes")
        let machineType = reader.string("machineType")
        let reservation = reader.string("reservation")
        let computeResource = reader.mapping("computeResource", owner: "computeResource") { readCompute($0) }
        let entryPoint = reader.stringList("entryPoint") ?? []
        let networkInterfaces =
            reader.mappingList("networkInterfaces", itemOwner: "networkInterfaces entry") { readNetwork($0) } ?? []
        let bucket = reader.string("bucket")
        let waitUntilCompletion = reader.duration("waitUntilCompletion")
        let completionCheckInterval = reader.duration("completionCheckInterval")
        let waitForLogInterval = reader.duration("waitForLogInterval")
        for duration in [waitUntilCompletion, completionCheckInterval, waitForLogInterval].compactMap({ $0 })
        where duration.value.nanoseconds == 0 {
            context.error("durations of \(owner) must be longer than zero", at: duration.location)
        }
        let delete = reader.bool("delete", default: true)
        let resume = reader.bool("resume", default: true)
        let maxRetryCount = reader.dynamicInt("maxRetryCount", range: 0...10)
        let lifecyclePolicies =
            reader.mappingList("lifecyclePolicies", itemOwner: "lifecyclePolicies entry") { readPolicy($0) } ?? []
        let sync = reader.bool("syncWorkingDirectory", default: false)
        let provisioning = reader.enumeration("provisioningModel", BatchRunner.ProvisioningModel.self)
        let accelerators =
            reader.mappingList("accelerators", itemOwner: "accelerators entry") { readAccelerator($0) } ?? []
        let computeServiceAccount = reader.string("computeServiceAccount")
        if let email = computeServiceAccount, !isEmailLike(email.value) {
            context.error(
                "property 'computeServiceAccount' of \(owner) must be a service account email such as "
                    + "'runner@my-project.iam.gserviceaccount.com', found '\(email.value)'", at: email.location)
        }
        let labels = readLabels(reader, owner: owner)
        let noExternalIp = reader.bool("noExternalIpAddress", default: false)

        guard var built = runner else { return }
        built.projectId = projectId
        built.serviceAccount = serviceAccount
        built.impersonatedServiceAccount = impersonated
        if let scopes { built.scopes = scopes }
        if let machineType { built.machineType = machineType }
        built.reservation = reservation
        built.computeResource = computeResource
        built.entryPoint = entryPoint
        built.networkInterfaces = networkInterfaces
        built.bucket = bucket
        if let waitUntilCompletion { built.waitUntilCompletion = waitUntilCompletion }
        if let completionCheckInterval { built.completionCheckInterval = completionCheckInterval }
        if let waitForLogInterval { built.waitForLogInterval = waitForLogInterval }
        built.delete = delete
        built.resume = resume
        if let maxRetryCount { built.maxRetryCount = maxRetryCount }
        built.lifecyclePolicies = lifecyclePolicies
        built.syncWorkingDirectory = sync
        if let provisioning { built.provisioningModel = provisioning }
        built.accelerators = accelerators
        built.computeServiceAccount = computeServiceAccount
        built.labels = labels
        built.noExternalIpAddress = noExternalIp
        runner = built
    }

    private func isEmailLike(_ text: String) -> Bool {
        if YAMLScalar.isTemplate(text) { return true }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !text.contains(" ")
    }

    private func readCompute(_ reader: MappingReader) -> ComputeResource {
        reader.rejectUnknown(known: ["cpu", "memory", "bootDisk"])
        var cpu: Located<Dynamic<Int>>?
        if let node = reader.node("cpu") {
            if let scalar = node.scalar, let value = Int(scalar.text.trimmingWhitespace), value > 0 {
                cpu = Located(.value(value), at: node.location)
            } else if let scalar = node.scalar, scalar.isTemplate {
                cpu = Located(.template(scalar.text), at: node.location)
            } else {
                context.error(
                    "property 'cpu' of computeResource must be a whole number of milliCPU such as \"2000\" "
                        + "(2 vCPUs), found \(describe(node))", at: node.location)
            }
        }
        return ComputeResource(
            cpuMilli: cpu, memoryMiB: size("memory", reader), bootDiskMiB: size("bootDisk", reader),
            location: reader.location)
    }

    private func size(_ key: String, _ reader: MappingReader) -> Located<Dynamic<Int>>? {
        guard let node = reader.node(key) else { return nil }
        guard let scalar = node.scalar else {
            context.error(
                "property '\(key)' of computeResource must be a number of MiB or a size such as \"20GiB\", found "
                    + node.shapeDescription, at: node.location)
            return nil
        }
        switch MebibyteSize.parse(scalar.text) {
        case .mebibytes(let value) where value > 0:
            return Located(.value(value), at: node.location)
        case .notWholeMebibytes:
            context.error(
                "property '\(key)' of computeResource must be a whole number of MiB; '\(scalar.text)' is not",
                at: node.location)
            return nil
        default:
            if scalar.isTemplate { return Located(.template(scalar.text), at: node.location) }
            context.error(
                "property '\(key)' of computeResource must be a number of MiB (\"2048\") or a size such as "
                    + "\"20GiB\", found \(describe(node))", at: node.location)
            return nil
        }
    }

    private func describe(_ node: YAMLNode) -> String {
        if let scalar = node.scalar { return "'\(scalar.text)'" }
        return node.shapeDescription
    }

    private func readNetwork(_ reader: MappingReader) -> NetworkInterface? {
        reader.rejectUnknown(known: ["network", "subnetwork"])
        let network = reader.string("network", required: true)
        let subnetwork = reader.string("subnetwork")
        guard let network else { return nil }
        return NetworkInterface(network: network, subnetwork: subnetwork, location: reader.location)
    }

    private func readPolicy(_ reader: MappingReader) -> LifecyclePolicy? {
        reader.rejectUnknown(known: ["action", "actionCondition"])
        let action = reader.enumeration("action", LifecyclePolicy.Action.self, required: true)
        var exitCodes: [Located<Int>] = []
        if let condition = reader.node("actionCondition"),
            let conditionReader = MappingReader(condition, owner: "actionCondition", context: context)
        {
            conditionReader.rejectUnknown(known: ["exitCodes"])
            if let node = conditionReader.node("exitCodes") {
                if let items = node.items {
                    for item in items {
                        if let scalar = item.scalar, case .int(let code) = scalar.value {
                            exitCodes.append(Located(code, at: item.location))
                        } else {
                            context.error(
                                "exit codes in lifecyclePolicies must be whole numbers, found \(describe(item))",
                                at: item.location)
                        }
                    }
                } else {
                    context.error(
                        "property 'exitCodes' of actionCondition must be a list of whole numbers, found "
                            + node.shapeDescription, at: node.location)
                }
            }
        }
        guard let action else { return nil }
        return LifecyclePolicy(action: action, exitCodes: exitCodes, location: reader.location)
    }

    private func readAccelerator(_ reader: MappingReader) -> Accelerator? {
        reader.rejectUnknown(known: ["type", "count", "installGpuDrivers", "driverVersion"])
        let type = reader.string("type", required: true)
        let count = reader.int("count", range: 1...16) ?? Located(1, at: reader.location, isDefault: true)
        let install = reader.bool("installGpuDrivers", default: true)
        let driverVersion = reader.string("driverVersion")
        guard let type else { return nil }
        return Accelerator(
            type: type, count: count, installGpuDrivers: install, driverVersion: driverVersion,
            location: reader.location)
    }

    private func readLabels(_ reader: MappingReader, owner: String) -> [FlowLabel] {
        guard let pairs = reader.stringMap("labels") else { return [] }
        let allowed = GoogleLabelRules.maxLabels - GoogleLabelRules.runnerKeys.count
        if pairs.count > allowed, let node = reader.node("labels") {
            context.error(
                "\(owner) has \(pairs.count) labels; a Batch job may have \(GoogleLabelRules.maxLabels) and the "
                    + "runner sets \(GoogleLabelRules.runnerKeys.count), so at most \(allowed) are allowed",
                at: node.location)
        }
        var labels: [FlowLabel] = []
        for (key, value) in pairs {
            if !YAMLScalar.isTemplate(key.value), let problem = GoogleLabelRules.keyProblem(key.value) {
                context.error("label key '\(key.value)' is invalid for Google Cloud: \(problem)", at: key.location)
            }
            if !YAMLScalar.isTemplate(value.value), let problem = GoogleLabelRules.valueProblem(value.value) {
                context.error(
                    "label value '\(value.value)' of '\(key.value)' is invalid for Google Cloud: \(problem)",
                    at: value.location)
            }
            labels.append(FlowLabel(key: key, value: value))
        }
        return labels
    }
}
