/// Builds a task's `retry:` block.
struct RetryBuilder {
    let context: ParseContext

    enum RetryType: String, CaseIterable {
        case constant, exponential, random
    }

    func build(_ reader: MappingReader) -> RetryPolicy? {
        let shared = ["type", "maxAttempts", "maxAttempt", "maxDuration", "warningOnRetry", "behavior"]
        guard let type = reader.enumeration("type", RetryType.self, required: true) else {
            reader.rejectUnknown(known: shared + ["interval", "maxInterval", "minInterval", "delayFactor"])
            return nil
        }
        let specific: [String]
        switch type.value {
        case .constant: specific = ["interval"]
        case .exponential: specific = ["interval", "maxInterval", "delayFactor"]
        case .random: specific = ["minInterval", "maxInterval"]
        }
        reader.rejectUnknown(known: shared + specific)
        if reader.node("maxAttempts") != nil, let location = reader.keyLocation("maxAttempt") {
            context.error("'maxAttempt' and 'maxAttempts' are the same property: keep only 'maxAttempts'", at: location)
        }
        let maxAttempts = reader.int("maxAttempts", range: 1...Int.max) ?? reader.int("maxAttempt", range: 1...Int.max)
        let maxDuration = reader.duration("maxDuration")
        let warningOnRetry = reader.bool("warningOnRetry", default: false)
        if let behavior = reader.string("behavior"),
            !["RETRY_FAILED_TASK", "CREATE_NEW_EXECUTION"].contains(behavior.value)
        {
            context.error(
                "property 'behavior' of retry must be RETRY_FAILED_TASK or CREATE_NEW_EXECUTION, found "
                    + "'\(behavior.value)'", at: behavior.location)
        }
        let kind: RetryPolicy.Kind
        switch type.value {
        case .constant:
            guard let interval = required(reader, "interval") else { return nil }
            kind = .constant(interval: interval)
        case .exponential:
            let interval = required(reader, "interval")
            let maxInterval = required(reader, "maxInterval")
            let factor = reader.double("delayFactor")
            guard let interval, let maxInterval else { return nil }
            kind = .exponential(interval: interval, maxInterval: maxInterval, delayFactor: factor)
        case .random:
            let minInterval = required(reader, "minInterval")
            let maxInterval = required(reader, "maxInterval")
            guard let minInterval, let maxInterval else { return nil }
            kind = .random(minInterval: minInterval, maxInterval: maxInterval)
        }
        if maxAttempts == nil, maxDuration == nil {
            context.warning(
                "retry has neither 'maxAttempts' nor 'maxDuration', so a failing task is retried forever: "
                    + "add maxAttempts: 3", at: reader.location)
        }
        return RetryPolicy(
            kind: kind, maxAttempts: maxAttempts, maxDuration: maxDuration, warningOnRetry: warningOnRetry,
            location: reader.location)
    }

    private func required(_ reader: MappingReader, _ key: String) -> Located<ISODuration>? {
        if reader.node(key) == nil {
            reader.missing(key)
            return nil
        }
        return reader.duration(key)
    }
}
