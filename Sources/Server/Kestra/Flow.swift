import Engine

extension Kestra {
    /// A flow as Kestra's flow endpoints return it: `FlowWithSource` when `source` (the YAML text) is set, `Flow`
    /// (the items of a search) when it is nil.
    public struct Flow: Codable, Sendable, Equatable {
        public var id: String
        public var namespace: String
        /// From 1.
        public var revision: Int
        public var description: String?
        public var disabled: Bool
        public var draft: Bool
        public var deleted: Bool
        public var labels: [Label]
        public var inputs: [InputObject]
        public var tasks: [Task]
        /// The `variables:` mapping as written.
        public var variables: [String: EventValue]?
        /// When this revision was saved.
        public var updated: String?
        /// The YAML text of this revision.
        public var source: String?

        public init(
            id: String, namespace: String, revision: Int, description: String? = nil, disabled: Bool = false,
            draft: Bool = false, deleted: Bool = false, labels: [Label] = [], inputs: [InputObject] = [],
            tasks: [Task], variables: [String: EventValue]? = nil, updated: String? = nil, source: String? = nil
        ) {
            self.id = id
            self.namespace = namespace
            self.revision = revision
            self.description = description
            self.disabled = disabled
            self.draft = draft
            self.deleted = deleted
            self.labels = labels
            self.inputs = inputs
            self.tasks = tasks
            self.variables = variables
            self.updated = updated
            self.source = source
        }

        /// The same flow without its source (a search result).
        public var withoutSource: Flow {
            var flow = self
            flow.source = nil
            return flow
        }
    }

    /// A flow input: its id and type (Kestra's names) and what the flow file says of it.
    public struct InputObject: Codable, Sendable, Equatable {
        public var id: String
        public var type: String
        public var description: String?
        public var displayName: String?
        public var required: Bool?
        /// A string, or an object for a JSON default that is a mapping (Kestra's model takes nothing else: a
        /// number, a boolean or a list is sent as its text).
        public var defaults: EventValue?

        public init(
            id: String, type: String, description: String? = nil, displayName: String? = nil, required: Bool? = nil,
            defaults: EventValue? = nil
        ) {
            self.id = id
            self.type = type
            self.description = description
            self.displayName = displayName
            self.required = required
            self.defaults = defaults
        }
    }
}
