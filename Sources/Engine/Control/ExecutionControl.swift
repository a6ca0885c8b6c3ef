import Foundation
import Ledger

/// A request to kill an execution, from any process (`batchledger kill`, a server's kill endpoint): recorded in
/// the execution's control stream (`ExecutionControl.stream(of:)`), never in the execution's own stream, whose
/// appends are fenced by the lease of the process that drives it. The driver notices it within one check
/// interval (`KillRequestWatcher`) and kills the execution as `Engine.kill(_:by:)` does; an execution no process
/// drives is killed by the requester itself (`DriverlessKill`).
public struct KillRequested: Codable, Sendable, Equatable {
    public var executionId: String
    /// Who asked (a user name, or a server's caller).
    public var requestedBy: String

    public init(executionId: String, requestedBy: String) {
        self.executionId = executionId
        self.requestedBy = requestedBy
    }
}

/// The control streams: one per execution that was asked something from outside (`control/<executionId>`).
/// Execution ids never contain `/`, so a control stream is never an execution's; projections and recovery skip
/// them as they skip a flow's stream.
public enum ExecutionControl {
    static let streamPrefix = "control/"

    /// The control stream of `executionId`.
    public static func stream(of executionId: String) -> String { streamPrefix + executionId }

    /// Whether `stream` is a control stream (not an execution's).
    public static func isControlStream(_ stream: String) -> Bool { stream.hasPrefix(streamPrefix) }

    /// Whether `stream` holds an execution's events (not a flow's revisions, not control requests).
    public static func isExecutionStream(_ stream: String) -> Bool {
        !FlowLibrary.isFlowStream(stream) && !isControlStream(stream) && !ScheduleBook.isTriggerStream(stream)
    }

    /// Records a kill request for `executionId`; returns its `seq`.
    @discardableResult
    static func requestKill(_ executionId: String, by requester: String, in store: EventStore) async throws -> Int64 {
        let event = try ExecutionEvent.killRequested(
            KillRequested(executionId: executionId, requestedBy: requester)
        ).encoded()
        let result = try await store.append([event], to: stream(of: executionId))
        return result.events.last?.seq ?? 0
    }

    /// The kill requests recorded after `seq`, oldest first, each with its own `seq`, and the last `seq` read (one
    /// query on the events' type index, however many executions the caller drives).
    static func killRequests(after seq: Int64, in store: EventStore) throws -> (
        requests: [(request: KillRequested, seq: Int64)], lastSeq: Int64
    ) {
        var requests: [(request: KillRequested, seq: Int64)] = []
        var last = seq
        try store.query(EventFilter(types: [EventRegistry.name(of: KillRequested.self)], afterSeq: seq)) { event in
            last = max(last, event.seq)
            guard isControlStream(event.stream), case .killRequested(let request) = try ExecutionEvent.decode(event)
            else { return }
            requests.append((request, event.seq))
        }
        return (requests, last)
    }
}
