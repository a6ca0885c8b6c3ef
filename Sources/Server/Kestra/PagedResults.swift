extension Kestra {
    /// One page of a search: the items on it and how many match in all.
    public struct PagedResults<Item: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
        public var results: [Item]
        /// Every match, not only this page's.
        public var total: Int

        public init(results: [Item], total: Int) {
            self.results = results
            self.total = total
        }
    }
}
