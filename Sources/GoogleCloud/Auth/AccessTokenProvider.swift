import Foundation

/// Supplies OAuth2 access tokens for API calls.
public protocol AccessTokenProvider: Sendable {
    /// A valid token, refreshed as needed; nil means anonymous calls (no `Authorization` header).
    func accessToken() async throws -> String?
    /// Forgets the cached token (after a 401), so that the next call fetches a new one.
    func invalidate() async
    /// Who the calls are made as, safe to print.
    var identity: String { get }
}

/// No credentials: for emulators.
public struct AnonymousCredentials: AccessTokenProvider {
    public init() {}
    public func accessToken() async throws -> String? { nil }
    public func invalidate() async {}
    public var identity: String { "anonymous" }
}

/// A token and when it stops being valid. Its description never shows the token.
struct CachedToken: Sendable, CustomStringConvertible {
    var value: String
    var expires: ContinuousClock.Instant

    var description: String { "access token (hidden)" }

    /// Still usable for a while: tokens are refreshed five minutes before they expire (or at half their life
    /// when they are short-lived).
    func isFresh(now: ContinuousClock.Instant, lifetime: Duration) -> Bool {
        let margin = min(.seconds(300), lifetime / 2)
        return now + margin < expires
    }
}

/// The shared token-endpoint exchange: POST a form, read `access_token` and `expires_in`.
enum TokenExchange {
    static func fetch(
        form: [(String, String)], endpoint: URL, origin: String, transport: any HTTPTransport, retry: BackoffPolicy
    ) async throws -> (token: String, lifetime: Duration) {
        let body = form.map { "\($0.0)=\(formEncode($0.1))" }.joined(separator: "&")
        let request = HTTPRequest(
            method: "POST", url: endpoint,
            headers: ["Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"],
            body: .data(Data(body.utf8)))
        let caller = APICaller(
            transport: transport, credentials: AnonymousCredentials(), retry: retry, observer: nil)
        let response = try await caller.send(
            request, service: "OAuth", method: "token", resource: endpoint.redactedDescription, idempotent: true)
        return try parse(response.body, origin: origin)
    }

    static func parse(_ body: Data, origin: String) throws -> (token: String, lifetime: Duration) {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
            let token = object["access_token"] as? String, !token.isEmpty
        else {
            throw CredentialsError.tokenRefused(origin: origin, detail: "the answer holds no access_token")
        }
        let seconds = (object["expires_in"] as? NSNumber)?.doubleValue ?? 3600
        return (token, .seconds(max(1, seconds)))
    }

    static func formEncode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}
