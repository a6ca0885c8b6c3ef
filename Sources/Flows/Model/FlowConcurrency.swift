/// A flow's `concurrency`: at most `limit` executions of the flow run at once; `behavior` says what a new one does
/// when the limit is reached (Kestra's QUEUE, CANCEL or FAIL; QUEUE by default).
public struct FlowConcurrency: Sendable, Equatable {
    public enum Behavior: String, Sendable, CaseIterable {
        /// Wait until an execution of the flow ends.
        case queue = "QUEUE"
        /// End CANCELLED at once.
        case cancel = "CANCEL"
        /// End FAILED at once.
        case fail = "FAIL"
    }

    public var limit: Located<Int>
    public var behavior: Located<Behavior>

    public init(limit: Located<Int>, behavior: Located<Behavior>) {
        self.limit = limit
        self.behavior = behavior
    }
}
