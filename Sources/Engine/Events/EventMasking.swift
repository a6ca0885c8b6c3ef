import Templates

/// An event payload that masks secret values in its free-text fields, and only there.
///
/// Free text is what came from outside or quotes it: log text, reasons, error messages, descriptions, output
/// values. Everything the engine reads back to decide (ids, states, types, object names, digests, keys, counts)
/// is never rewritten, whatever the secrets are: a secret `e`, `state` or `SUCCEEDED` leaves the event readable
/// and the fold unchanged. Names that embed a secret (a job name under a secret project, a secret bucket) are
/// recorded in masked form where they are built (`AttemptPlan.recordedJobName`, `recordedBucket`), not here.
public protocol SecretMaskedPayload {
    /// The payload with every secret value known to `masker` masked in its free-text fields.
    func masked(by masker: SecretMasker) -> Self
}

extension ExecutionEvent {
    /// The event with secret values masked in its payload's free-text fields (see `SecretMaskedPayload`).
    public func masked(by masker: SecretMasker) -> ExecutionEvent {
        guard !masker.isEmpty else { return self }
        switch self {
        case .executionStarted(let value): return .executionStarted(value.masked(by: masker))
        case .attemptStarted(let value): return .attemptStarted(value.masked(by: masker))
        case .taskRendered(let value): return .taskRendered(value.masked(by: masker))
        case .uploadRequested(let value): return .uploadRequested(value.masked(by: masker))
        case .fileUploaded(let value): return .fileUploaded(value.masked(by: masker))
        case .jobCreateRequested(let value): return .jobCreateRequested(value.masked(by: masker))
        case .jobCreated(let value): return .jobCreated(value.masked(by: masker))
        case .jobPolled(let value): return .jobPolled(value.masked(by: masker))
        case .logLinesReceived(let value): return .logLinesReceived(value.masked(by: masker))
        case .outputsParsed(let value): return .outputsParsed(value.masked(by: masker))
        case .exitCodeObserved(let value): return .exitCodeObserved(value.masked(by: masker))
        case .outputFileDownloaded(let value): return .outputFileDownloaded(value.masked(by: masker))
        case .outputFileKept(let value): return .outputFileKept(value.masked(by: masker))
        case .jobDeleteRequested(let value): return .jobDeleteRequested(value.masked(by: masker))
        case .jobDeleted(let value): return .jobDeleted(value.masked(by: masker))
        case .stagingCleaned(let value): return .stagingCleaned(value.masked(by: masker))
        case .apiCallRetried(let value): return .apiCallRetried(value.masked(by: masker))
        case .taskSucceeded(let value): return .taskSucceeded(value.masked(by: masker))
        case .taskFailed(let value): return .taskFailed(value.masked(by: masker))
        case .taskCancelled(let value): return .taskCancelled(value.masked(by: masker))
        case .executionFinished(let value): return .executionFinished(value.masked(by: masker))
        case .reconciled(let value): return .reconciled(value.masked(by: masker))
        case .recoveryFailed(let value): return .recoveryFailed(value.masked(by: masker))
        case .taskAdopted(let value): return .taskAdopted(value.masked(by: masker))
        case .executionForked(let value): return .executionForked(value.masked(by: masker))
        case .outputFileRefused(let value): return .outputFileRefused(value.masked(by: masker))
        case .killRequested: return self
        case .taskStarted(let value): return .taskStarted(value.masked(by: masker))
        case .executionEnding(let value): return .executionEnding(value.masked(by: masker))
        case .subflowStarted(let value): return .subflowStarted(value.masked(by: masker))
        case .inputFileUploadRequested(let value): return .inputFileUploadRequested(value.masked(by: masker))
        case .inputFileUploaded(let value): return .inputFileUploaded(value.masked(by: masker))
        case .concurrencyQueued(let value): return .concurrencyQueued(value.masked(by: masker))
        case .concurrencySlotTaken(let value): return .concurrencySlotTaken(value.masked(by: masker))
        case .concurrencyRefused(let value): return .concurrencyRefused(value.masked(by: masker))
        }
    }
}

extension EventValue {
    /// The value with secrets masked in its strings, and each number equal to a secret replaced by the mask
    /// (as a string); object keys, nesting, booleans and nulls stay as they are.
    public func maskingLeaves(with masker: SecretMasker) -> EventValue {
        switch self {
        case .string(let text): return .string(masker.mask(text))
        case .number(let number) where masker.matches(number: number.double):
            return .string(SecretMasker.mask(for: number.literal))
        case .array(let items): return .array(items.map { $0.maskingLeaves(with: masker) })
        case .object(let object): return .object(object.mapValues { $0.maskingLeaves(with: masker) })
        case .null, .bool, .number: return self
        }
    }
}

extension Metric {
    /// The metric with its tag values masked; nil when its value is a secret (a number cannot hold a mask).
    func masked(by masker: SecretMasker) -> Metric? {
        guard !masker.matches(number: value) else { return nil }
        var copy = self
        copy.tags = tags.mapValues(masker.mask)
        return copy
    }
}

// Recorded before any template is rendered, and read back verbatim to continue the execution.
extension ExecutionStarted: SecretMaskedPayload {
    public func masked(by masker: SecretMasker) -> ExecutionStarted { self }
}

extension AttemptStarted: SecretMaskedPayload {
    /// The ForEach value and the region are rendered text; ids, names, digests and the model are not. A project
    /// or bucket that came from a secret is already left out (`projectSecret`, `bucketSecret`).
    public func masked(by masker: SecretMasker) -> AttemptStarted {
        var copy = self
        copy.value = value.map(masker.mask)
        copy.region = masker.mask(region)
        copy.impersonatedServiceAccount = impersonatedServiceAccount.map(masker.mask)
        return copy
    }
}

extension TaskRendered: SecretMaskedPayload {
    /// The image and the environment's names are rendered text; digests and file names are not.
    public func masked(by masker: SecretMasker) -> TaskRendered {
        var copy = self
        copy.containerImage = masker.mask(containerImage)
        copy.environmentNames = environmentNames.map(masker.mask)
        return copy
    }
}

// The bucket is recorded masked when a secret named it (`AttemptPlan.recordedBucket`); objects are names.
extension UploadRequested: SecretMaskedPayload {
    public func masked(by masker: SecretMasker) -> UploadRequested { self }
}

extension FileUploaded: SecretMaskedPayload {
    public func masked(by masker: SecretMasker) -> FileUploaded { self }
}

extension JobCreateRequested: SecretMaskedPayload {
    public func masked(by masker: SecretMasker) -> JobCreateRequested { self }
}

// The job name is recorded with a secret project already masked (`AttemptPlan.recordedJobName`).
extension JobCreated: SecretMaskedPayload {
    public func masked(by masker: SecretMasker) -> JobCreated { self }
}

extension JobStatusChange {
    func masked(by masker: SecretMasker) -> JobStatusChange {
        var copy = self
        copy.description = description.map(masker.mask)
        return copy
    }
}

extension JobPolled: SecretMaskedPayload {
    /// Batch's descriptions are free text (they quote names and messages); the states are not.
    public func masked(by masker: SecretMasker) -> JobPolled {
        var copy = self
        copy.newStatusEvents = newStatusEvents.map { $0.masked(by: masker) }
        return copy
    }
}

extension LogLinesReceived: SecretMaskedPayload {
    public func masked(by masker: SecretMasker) -> LogLinesReceived {
        var copy = self
        copy.lines = lines.map { line in
            var masked = line
            masked.text = masker.mask(line.text)
            return masked
        }
        return copy
    }
}

extension OutputsParsed: SecretMaskedPayload {
    /// Output values (strings, and numbers equal to a secret) and metric tags are masked; a metric whose value
    /// is a secret is dropped with a warning; output names are keys and stay.
    public func masked(by masker: SecretMasker) -> OutputsParsed {
        var copy = self
        copy.vars = vars.mapValues { $0.maskingLeaves(with: masker) }
        copy.warnings = warnings.map(masker.mask)
        copy.metrics = []
        for metric in metrics {
            if let masked = metric.masked(by: masker) {
                copy.metrics.append(masked)
            } else {
                copy.warnings.append("metric \(masker.mask(metric.name)) not stored: its value is a secret")
            }
        }
        return copy
    }
}

extension ExitCodeObserved: SecretMaskedPayload {
    public func masked(by masker: SecretMasker) -> ExitCodeObserved { self }
}

extension OutputFileDownloaded: SecretMaskedPayload {
    public func masked(by masker: SecretMasker) -> OutputFileDownloaded { self }
}

// The bucket is recorded already masked when a secret named it; the object name is the engine's own.
extension OutputFileKept: SecretMaskedPayload {
    public func masked(by masker: SecretMasker) -> OutputFileKept { self }
}

// The object name is the key a resumed attempt looks up, as for downloaded files; the reason is free text.
extension OutputFileRefused: SecretMaskedPayload {
    public func masked(by masker: SecretMasker) -> OutputFileRefused {
        var copy = self
        copy.reason = masker.mask(reason)
        return copy
    }
}

extension JobDeleteRequested: SecretMaskedPayload {
    public func masked(by masker: SecretMasker) -> JobDeleteRequested {
        var copy = self
        copy.reason = masker.mask(reason)
        return copy
    }
}

extension JobDeleted: SecretMaskedPayload {
    public func masked(by masker: SecretMasker) -> JobDeleted { self }
}

extension StagingCleaned: SecretMaskedPayload {
    public func masked(by masker: SecretMasker) -> StagingCleaned { self }
}

extension APICallRetried: SecretMaskedPayload {
    /// The call names its resource (`projects/…/jobs/…`), the reason quotes Google's message: both free text.
    public func masked(by masker: SecretMasker) -> APICallRetried {
        var copy = self
        copy.call = masker.mask(call)
        copy.reason = masker.mask(reason)
        return copy
    }
}

extension TaskSucceeded: SecretMaskedPayload {
    public func masked(by masker: SecretMasker) -> TaskSucceeded { self }
}

extension TaskFailed: SecretMaskedPayload {
    public func masked(by masker: SecretMasker) -> TaskFailed {
        var copy = self
        copy.reason = masker.mask(reason)
        return copy
    }
}

extension TaskCancelled: SecretMaskedPayload {
    public func masked(by masker: SecretMasker) -> TaskCancelled {
        var copy = self
        copy.reason = masker.mask(reason)
        return copy
    }
}

extension ExecutionFinished: SecretMaskedPayload {
    public func masked(by masker: SecretMasker) -> ExecutionFinished { self }
}

extension Reconciled: SecretMaskedPayload {
    /// What Batch and Cloud Storage said is free text; the recorded step and the action are the engine's words.
    public func masked(by masker: SecretMasker) -> Reconciled {
        var copy = self
        copy.observed = masker.mask(observed)
        return copy
    }
}

extension RecoveryFailed: SecretMaskedPayload {
    public func masked(by masker: SecretMasker) -> RecoveryFailed {
        var copy = self
        copy.reason = masker.mask(reason)
        return copy
    }
}

extension TaskAdopted: SecretMaskedPayload {
    /// As `OutputsParsed`, plus the ForEach value; a metric whose value is a secret is dropped.
    public func masked(by masker: SecretMasker) -> TaskAdopted {
        var copy = self
        copy.value = value.map(masker.mask)
        copy.vars = vars.mapValues { $0.maskingLeaves(with: masker) }
        copy.metrics = metrics.compactMap { $0.masked(by: masker) }
        return copy
    }
}

extension ExecutionForked: SecretMaskedPayload {
    public func masked(by masker: SecretMasker) -> ExecutionForked { self }
}

// Ids, types and the chosen branch (a case key written in the flow) are read back to decide.
extension TaskStarted: SecretMaskedPayload {
    /// The ForEach value is rendered text, masked as `AttemptStarted`'s is; ids, type and branch are not.
    public func masked(by masker: SecretMasker) -> TaskStarted {
        var copy = self
        copy.value = value.map(masker.mask)
        return copy
    }
}

extension ExecutionEnding: SecretMaskedPayload {
    /// Output values are free text, masked as task outputs are.
    public func masked(by masker: SecretMasker) -> ExecutionEnding {
        var copy = self
        copy.outputs = outputs.mapValues { $0.maskingLeaves(with: masker) }
        return copy
    }
}

extension SubflowStarted: SecretMaskedPayload {
    public func masked(by masker: SecretMasker) -> SubflowStarted { self }
}
