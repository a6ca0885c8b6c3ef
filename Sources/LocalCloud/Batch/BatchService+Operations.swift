import Foundation

/// `jobs.delete`, `jobs.cancel` and the long-running operations they return; stopping every job.
extension BatchService {
    func newOperation(project: String, location: String, target: String, verb: String) -> String {
        makeRoomForOperation()
        let id =
            "operation-" + String(Int64(now.timeIntervalSince1970 * 1000)) + "-"
            + UUID().uuidString.lowercased().prefix(8)
        let name = "projects/\(project)/locations/\(location)/operations/\(id)"
        operations[name] = .object([
            "name": .string(name), "done": .bool(false),
            "metadata": .object([
                "@type": .string("type.googleapis.com/google.cloud.batch.v1.OperationMetadata"),
                "createTime": .string(RFC3339.format(now)), "target": .string(target), "verb": .string(verb),
                "apiVersion": .string("v1"),
            ]),
        ])
        persistOperation(name)
        return name
    }

    func completeOperation(_ name: String) {
        guard var operation = operations[name] else { return }
        operation["done"] = .bool(true)
        operation["response"] = .object(["@type": .string("type.googleapis.com/google.protobuf.Empty")])
        if var metadata = operation["metadata"]?.objectValue {
            metadata["endTime"] = .string(RFC3339.format(now))
            operation["metadata"] = .object(metadata)
        }
        operations[name] = operation
        persistOperation(name)
    }

    func getOperation(_ name: String) throws(APIError) -> JSONValue {
        guard let operation = operations[name] else { throw APIError.notFound("Operation \(name) not found.") }
        return operation
    }

    /// `jobs.delete`: DELETION_IN_PROGRESS at once, processes killed, the job gone when the operation is done.
    func delete(_ name: String, requestID: String?) async throws(APIError) -> JSONValue {
        if let requestID, let seen = requestIDs["delete:" + requestID], let operation = operations[seen.name] {
            return operation
        }
        guard var record = jobs[name] else { throw APIError.notFound("Job \(name) not found.") }
        if let existing = operations.values.first(where: {
            $0["metadata"]?["target"]?.stringValue == name && $0["metadata"]?["verb"]?.stringValue == "delete"
        }) {
            return existing
        }
        let operationName = newOperation(
            project: record.project, location: record.location, target: name, verb: "delete")
        if let requestID { rememberRequestID("delete:" + requestID, name: operationName, at: now) }
        setJobState(&record, "DELETION_IN_PROGRESS")
        jobs[name] = record
        persist(name)
        stopping.insert(name)
        killProcesses(of: name)
        let runner = runners[name]
        Task {
            await runner?.value
            await self.finishDeletion(name, operation: operationName)
        }
        return operations[operationName] ?? .null
    }

    func finishDeletion(_ name: String, operation: String) async {
        if let record = jobs[name], !detached { try? FileManager.default.removeItem(at: privateFolder(of: record)) }
        forget(name)
        runners[name] = nil
        stopping.remove(name)
        persist(name)
        completeOperation(operation)
        await deps.stats.countJobDeleted()
    }

    /// `jobs.cancel`: CANCELLATION_IN_PROGRESS, processes killed, then CANCELLED.
    func cancel(_ name: String) throws(APIError) -> JSONValue {
        guard var record = jobs[name] else { throw APIError.notFound("Job \(name) not found.") }
        if record.isTerminal || record.state == "DELETION_IN_PROGRESS" {
            throw APIError(
                httpStatus: 400, status: "FAILED_PRECONDITION",
                message: "Job \(name) is \(record.state) and cannot be cancelled.", reason: "failedPrecondition")
        }
        let operationName = newOperation(
            project: record.project, location: record.location, target: name, verb: "cancel")
        setJobState(&record, "CANCELLATION_IN_PROGRESS")
        jobs[name] = record
        persist(name)
        stopping.insert(name)
        killProcesses(of: name)
        let runner = runners[name]
        Task {
            await runner?.value
            self.finishCancellation(name, operation: operationName)
        }
        return operations[operationName] ?? .null
    }

    func finishCancellation(_ name: String, operation: String) {
        if var record = jobs[name], record.state == "CANCELLATION_IN_PROGRESS" {
            for index in record.tasks.indices where !["SUCCEEDED", "FAILED"].contains(record.tasks[index].state) {
                record.tasks[index].state = "FAILED"
            }
            record.endedAt = record.endedAt ?? now
            setJobState(&record, "CANCELLED")
            jobs[name] = record
            persist(name)
        }
        stopping.remove(name)
        runners[name] = nil
        completeOperation(operation)
    }

    func killProcesses(of name: String) {
        for task in jobs[name]?.tasks ?? [] {
            if let pid = task.pid { ProcessRunner.killGroup(pid) }
            for pid in backgroundPIDs["\(name)#\(task.index)"] ?? [] { ProcessRunner.killGroup(pid) }
        }
    }

    /// Stops every runner; with `killJobs`, kills their processes too.
    func shutdown(killJobs: Bool) async {
        if !killJobs { detached = true }
        if killJobs {
            for name in jobs.keys {
                stopping.insert(name)
                killProcesses(of: name)
            }
        }
        // Abandoned runners are left alone: cancelling them would make swift-subprocess kill their processes.
        if killJobs {
            for runner in Array(runners.values) { await runner.value }
        }
    }
}
