import Foundation

extension Engine {
    /// Downloads an output file an attempt kept in the bucket (`OutputFileKept`: `bucket` and `object` as recorded)
    /// into `file`, through the execution's recorded target (its backend and endpoint, resolved by this host), as
    /// the default credentials, impersonating the attempt's service account when the ledger names one unmasked (as
    /// a driverless kill acts). The download checks the CRC32C the store reports; the caller compares the size and
    /// CRC32C with the ledger's.
    public func downloadKeptOutput(
        of executionId: String, taskRunId: String, attempt: Int, bucket: String, object: String, to file: URL
    ) async throws -> DownloadedObject {
        let state = try state(of: executionId)
        guard let started = state.started,
            let attemptStarted = state.taskRun(taskRunId)?.attempts.first(where: { $0.attempt == attempt })?.started
        else { throw EngineFailure.noSuchExecution(id: executionId, ledger: ledgerPath) }
        guard !bucket.hasPrefix("**masked") else {
            throw EngineError.configuration(
                "the bucket of \(taskRunId) was named by a secret: the ledger does not say where its output files "
                    + "are kept"
            )
        }
        let account = attemptStarted.impersonatedServiceAccount.flatMap { $0.hasPrefix("**masked") ? nil : $0 }
        return try await targets.using(started.backend) { resolved in
            let services = try await resolved.target.world.services(
                for: Identity(
                    serviceAccountJSON: nil, scopes: ["https://www.googleapis.com/auth/cloud-platform"],
                    origin: account.map { "the default credentials, impersonating \($0)" } ?? "the default credentials",
                    impersonatedServiceAccount: account))
            return try await services.storage.download(bucket: bucket, name: object, to: file)
        }
    }

    /// Downloads a FILE input's file the execution stored in the bucket (`InputFileUploadRequested` and
    /// `InputFileUploaded`: `bucket` and `object` as recorded) into `file`, through the execution's recorded target,
    /// as the default credentials. The download checks the CRC32C the store reports; the caller compares the size
    /// and CRC32C with the ledger's.
    public func downloadInputFile(
        of executionId: String, input: String, bucket: String, object: String, to file: URL
    ) async throws -> DownloadedObject {
        let state = try state(of: executionId)
        guard let started = state.started, started.inputFiles?[input] != nil else {
            throw EngineFailure.noSuchExecution(id: executionId, ledger: ledgerPath)
        }
        guard !bucket.hasPrefix("**masked") else {
            throw EngineError.configuration(
                "the bucket of input \(input) was named by a secret: the ledger does not say where its file is stored")
        }
        return try await targets.using(started.backend) { resolved in
            let services = try await resolved.target.world.services(
                for: Identity(
                    serviceAccountJSON: nil, scopes: ["https://www.googleapis.com/auth/cloud-platform"],
                    origin: "the default credentials"))
            return try await services.storage.download(bucket: bucket, name: object, to: file)
        }
    }
}
