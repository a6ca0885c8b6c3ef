import Clocks
import Foundation

/// An allowance of calls per minute that processes beyond this one draw from too (the `serve` replicas of one
/// ledger, or every process on one ledger file): each call is taken in one short transaction of the store they
/// share, which counts the calls of the last minute by its own clock.
public protocol SharedRequestAllowance: Sendable {
    /// Takes one call from `scope`'s allowance of `perMinute` calls in any minute: nil when taken; otherwise
    /// nothing is taken, and the answer is how long until the oldest call that counts ages out.
    func take(_ scope: String, perMinute: Int) async throws -> Duration?
}

/// A budget of calls per minute (Cloud Logging allows about 60 `entries.list` per minute per project): every reader
/// of the project in this process draws from it, and waits when it is spent. With a shared allowance, a call is
/// also taken from it, so that several processes together keep to `perMinute`; without one (or while it cannot
/// answer) this process keeps to it alone.
public actor RequestBudget {
    public let perMinute: Int
    /// What the shared allowance calls this budget (the API and the project).
    public let scope: String
    private var recent: [AnyClock<Duration>.Instant] = []
    private let clock: AnyClock<Duration>
    private let shared: (any SharedRequestAllowance)?
    /// Why the shared allowance last failed to answer, if it did (calls then went by this process's count alone).
    public private(set) var sharedProblem: String?

    public init(
        perMinute: Int = 55, clock: AnyClock<Duration> = .continuous, scope: String = "",
        shared: (any SharedRequestAllowance)? = nil
    ) {
        self.perMinute = max(1, perMinute)
        self.clock = clock
        self.scope = scope
        self.shared = shared
    }

    /// Takes one call from the allowance, waiting until the oldest call of the last minute has aged out: first
    /// this process's, then the shared one's.
    public func acquire() async throws {
        while true {
            let now = clock.now
            recent.removeAll { $0.duration(to: now) >= .seconds(60) }
            if recent.count >= perMinute {
                try await clock.sleep(until: recent[0].advanced(by: .seconds(60)))
                continue
            }
            // Counted here before the shared allowance answers, so that callers meanwhile see it.
            recent.append(now)
            guard let shared else { return }
            let wait: Duration?
            do {
                wait = try await shared.take(scope, perMinute: perMinute)
                sharedProblem = nil
            } catch is CancellationError {
                giveBack(now)
                throw CancellationError()
            } catch {
                // The store cannot answer: this process keeps to the allowance alone until it can.
                sharedProblem = "\(error)"
                return
            }
            guard let wait else { return }
            giveBack(now)
            try await clock.sleep(for: max(wait, .milliseconds(10)))
        }
    }

    /// Forgets one call counted at `instant` that the shared allowance did not grant.
    private func giveBack(_ instant: AnyClock<Duration>.Instant) {
        if let index = recent.lastIndex(of: instant) { recent.remove(at: index) }
    }

    /// Calls this process took in the last minute.
    public var used: Int {
        let now = clock.now
        return recent.filter { $0.duration(to: now) < .seconds(60) }.count
    }
}
