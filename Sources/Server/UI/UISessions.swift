import Foundation

/// The web UI's sign-in sessions, in memory: a session is opened when a token from the token file is exchanged at
/// the sign-in form, and names that token (who asks, for the ledger). Each has a random 256-bit id (the cookie's
/// value), its own CSRF token and an expiry read from the injected clock; an expired session is gone.
public actor UISessions {
    /// One signed-in browser.
    public struct Session: Sendable, Equatable {
        /// The cookie's value: 256 random bits, base64url.
        public var id: String
        /// The name of the token that signed in.
        public var caller: String
        /// Sent back by the page's script as `X-CSRF-Token` with every request that changes something.
        public var csrfToken: String
        public var expires: Date
    }

    /// How long a session lasts after sign-in.
    public let lifetime: Duration
    /// The most sessions kept at once; the oldest are dropped first.
    public let capacity: Int
    private let now: @Sendable () -> Date
    private var sessions: [String: Session] = [:]

    public init(
        lifetime: Duration = .seconds(12 * 3600), capacity: Int = 10_000,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.lifetime = lifetime
        self.capacity = capacity
        self.now = now
    }

    /// A new session for `caller`.
    public func open(caller: String) -> Session {
        let instant = now()
        sessions = sessions.filter { $0.value.expires > instant }
        if sessions.count >= capacity {
            for old in sessions.values.sorted(by: { $0.expires < $1.expires }).prefix(sessions.count - capacity + 1) {
                sessions[old.id] = nil
            }
        }
        let seconds = Double(lifetime.components.seconds) + Double(lifetime.components.attoseconds) / 1e18
        let session = Session(
            id: Self.randomToken(), caller: caller, csrfToken: Self.randomToken(),
            expires: instant.addingTimeInterval(seconds))
        sessions[session.id] = session
        return session
    }

    /// The session whose id is `id`, if it exists and has not expired.
    public func session(_ id: String?) -> Session? {
        guard let id, let session = sessions[id] else { return nil }
        guard session.expires > now() else {
            sessions[id] = nil
            return nil
        }
        return session
    }

    /// Ends session `id` (signing out).
    public func close(_ id: String) {
        sessions[id] = nil
    }

    /// 256 random bits from the system's generator (getrandom on Linux), base64url without padding.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
