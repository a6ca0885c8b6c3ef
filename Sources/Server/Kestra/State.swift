import Foundation
import Ledger

extension Kestra {
    /// A Kestra `State`: the current state name and every state it went through, with the derived start, end and
    /// duration.
    ///
    /// Kestra's server sends `current`, `histories`, `duration`, `startDate` and `endDate`; kestrapy's strict
    /// model also requires `getDuration`, `getStartDate` and `getEndDate` (the Java getters), so those are sent
    /// too, mirroring the others (`getEndDate` is "now" while the state is not terminal).
    public struct State: Codable, Sendable, Equatable {
        public var current: StateType
        public var histories: [StateHistory]
        public var duration: String?
        public var startDate: String?
        public var endDate: String?
        public var getDuration: String
        public var getStartDate: String
        public var getEndDate: String

        /// A state whose current name is `current` and whose history (oldest first) is `histories`: the start is
        /// the first entry's date, the end the last entry's date once `current` is terminal, and `now` stands in
        /// for the end of a state that is not (and for the start of one without a history).
        public init(current: StateType, histories: [StateHistory], now: Timestamp) {
            self.current = current
            self.histories = histories
            let start = histories.first.flatMap { Timestamp($0.date) } ?? now
            let end = current.isTerminal ? (histories.last.flatMap { Timestamp($0.date) } ?? now) : nil
            let span = Kestra.duration(from: start, to: end ?? now)
            duration = span
            startDate = Kestra.date(start)
            endDate = end.map(Kestra.date)
            getDuration = span
            getStartDate = Kestra.date(start)
            getEndDate = Kestra.date(end ?? now)
        }
    }

    /// One state a run went through and when it entered it.
    public struct StateHistory: Codable, Sendable, Equatable {
        public var state: StateType
        /// UTC, `Z`-terminated (see `Kestra.date`).
        public var date: String

        public init(state: StateType, date: String) {
            self.state = state
            self.date = date
        }
    }
}
