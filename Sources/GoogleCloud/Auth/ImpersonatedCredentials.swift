import Foundation

/// Tokens of another service account, obtained with the base credentials' token from the IAM Credentials API
/// (`POST {endpoint}/v1/projects/-/serviceAccounts/{email}:generateAccessToken`, body
/// `{"scope": [...], "lifetime": "3600s"}`, answer `{"accessToken", "expireTime"}`), as Kestra's
/// `impersonatedServiceAccount` and google-auth's `impersonated_credentials` do. The token is cached and fetched
/// again five minutes before it expires (at half its life when it is short-lived); it is never shown.
public actor ImpersonatedCredentials: AccessTokenProvider {
    /// The impersonated service account's email.
    public nonisolated let targetPrincipal: String
    /// The credentials whose token asks for the impersonated one.
    public nonisolated let source: any AccessTokenProvider
    public nonisolated let scopes: [String]
    /// The lifetime asked for (Google's default and maximum without an organization policy: one hour).
    public nonisolated let lifetime: Duration
    /// The IAM Credentials API's base URL (`https://iamcredentials.googleapis.com`, or an emulator).
    public nonisolated let endpoint: URL
    let transport: any HTTPTransport
    let retry: BackoffPolicy
    let now: @Sendable () -> Date
    private var cached: (token: String, expires: Date)?
    private var refreshing: Task<(token: String, expires: Date), Error>?

    /// Google's IAM Credentials API.
    public static let googleEndpoint = URL(string: "https://iamcredentials.googleapis.com")!

    public nonisolated var identity: String { "\(targetPrincipal) (impersonated by \(source.identity))" }

    public init(
        source: any AccessTokenProvider, targetPrincipal: String, scopes: [String] = [GoogleScopes.cloudPlatform],
        lifetime: Duration = .seconds(3600), endpoint: URL = ImpersonatedCredentials.googleEndpoint,
        transport: any HTTPTransport, retry: BackoffPolicy = BackoffPolicy(maxAttempts: 4),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.source = source
        self.targetPrincipal = targetPrincipal
        self.scopes = scopes
        self.lifetime = lifetime
        self.endpoint = endpoint
        self.transport = transport
        self.retry = retry
        self.now = now
    }

    public func accessToken() async throws -> String? {
        if let cached, isFresh(cached.expires) { return cached.token }
        // One exchange at a time; concurrent callers wait for it.
        if let refreshing { return try await refreshing.value.token }
        let task = Task { try await self.fetch() }
        refreshing = task
        defer { refreshing = nil }
        let fetched = try await task.value
        cached = fetched
        return fetched.token
    }

    public func invalidate() async {
        cached = nil
    }

    /// Fresh enough to use: five minutes of margin, or half the asked lifetime when that is shorter.
    private func isFresh(_ expires: Date) -> Bool {
        let margin = min(300, lifetime.seconds / 2)
        return now().addingTimeInterval(margin) < expires
    }

    /// The resource the call names: `projects/-/serviceAccounts/EMAIL`.
    public nonisolated var resource: String { "projects/-/serviceAccounts/\(targetPrincipal)" }

    private func fetch() async throws -> (token: String, expires: Date) {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~@")
        let email = targetPrincipal.addingPercentEncoding(withAllowedCharacters: allowed) ?? targetPrincipal
        let base =
            endpoint.absoluteString.hasSuffix("/")
            ? String(endpoint.absoluteString.dropLast()) : endpoint.absoluteString
        guard let url = URL(string: "\(base)/v1/projects/-/serviceAccounts/\(email):generateAccessToken") else {
            throw CredentialsError.malformed(
                origin: "impersonatedServiceAccount", detail: "'\(targetPrincipal)' does not make an API URL")
        }
        let seconds = max(1, Int(lifetime.seconds.rounded()))
        let body = try JSONSerialization.data(
            withJSONObject: ["scope": scopes, "lifetime": "\(seconds)s"],
            options: [.sortedKeys, .withoutEscapingSlashes])
        let request = HTTPRequest(
            method: "POST", url: url, headers: ["Content-Type": "application/json", "Accept": "application/json"],
            body: .data(body))
        let caller = APICaller(transport: transport, credentials: source, retry: retry, observer: nil)
        // Asking again for a token has no effect beyond the answer: the call may be repeated.
        let response = try await caller.send(
            request, service: "IAM Credentials", method: "generateAccessToken", resource: resource, idempotent: true)
        let answer = try APICaller.decode(
            Answer.self, from: response, service: "IAM Credentials", method: "generateAccessToken",
            resource: resource)
        guard !answer.accessToken.isEmpty, let expires = Self.parseTime(answer.expireTime) else {
            throw GoogleAPIError(
                service: "IAM Credentials", method: "generateAccessToken", resource: resource,
                httpStatus: response.status, status: "MALFORMED_RESPONSE",
                message: "the answer holds no access token or no RFC 3339 expireTime")
        }
        return (answer.accessToken, expires)
    }

    private struct Answer: Decodable {
        var accessToken: String
        var expireTime: String
    }

    /// `2026-12-07T12:00:00Z`, with or without fractional seconds, or with an offset.
    static func parseTime(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
