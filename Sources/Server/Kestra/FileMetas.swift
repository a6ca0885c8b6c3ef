extension Kestra {
    /// What `GET executions/{id}/file/metas` answers of a file in an execution's storage.
    public struct FileMetas: Codable, Sendable, Equatable {
        /// The file's size in bytes.
        public var size: Int64

        public init(size: Int64) {
            self.size = size
        }
    }
}
