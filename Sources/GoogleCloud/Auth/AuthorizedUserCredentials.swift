import Foundation

/// Tokens for a person's gcloud login (`gcloud auth application-default login`): the refresh-token grant.
public actor AuthorizedUserCredentials: AccessTokenProvider {
    let clientID: String
    let clientSecret: String
    let refreshToken: String
    let tokenEndpoint: URL
    let transport: any HTTPTransport
    let retry: BackoffPolicy
    let origin: String
    private var cached: CachedToken?
    private var lifetime: Duration = .seconds(3600)

    public nonisolated var identity: String { "gcloud user credentials (\(origin))" }

    /// Parses an `authorized_user` file.
    public init(
        json: Data, origin: String, tokenEndpoint: URL? = nil, transport: any HTTPTransport,
        retry: BackoffPolicy = BackoffPolicy(maxAttempts: 4)
    ) throws {
        guard let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any],
            object["type"] as? String == "authorized_user"
        else {
            throw CredentialsError.malformed(origin: origin, detail: "not an authorized_user credentials file")
        }
        guard let id = object["client_id"] as? String, let secret = object["client_secret"] as? String,
            let refresh = object["refresh_token"] as? String
        else {
            throw CredentialsError.malformed(
                origin: origin, detail: "client_id, client_secret or refresh_token is missing")
        }
        clientID = id
        clientSecret = secret
        refreshToken = refresh
        self.tokenEndpoint = tokenEndpoint ?? URL(string: "https://oauth2.googleapis.com/token")!
        self.transport = transport
        self.retry = retry
        self.origin = origin
    }

    public func accessToken() async throws -> String? {
        if let cached, cached.isFresh(now: .now, lifetime: lifetime) { return cached.value }
        let result = try await TokenExchange.fetch(
            form: [
                ("grant_type", "refresh_token"), ("client_id", clientID), ("client_secret", clientSecret),
                ("refresh_token", refreshToken),
            ], endpoint: tokenEndpoint, origin: identity, transport: transport, retry: retry)
        lifetime = result.lifetime
        cached = CachedToken(value: result.token, expires: .now + result.lifetime)
        return result.token
    }

    public func invalidate() async { cached = nil }
}

/// Tokens from the metadata server of a Google Compute Engine VM (or of a stub named by `GCE_METADATA_HOST`).
public actor MetadataServerCredentials: AccessTokenProvider {
    let host: String
    let scopes: [String]
    let transport: any HTTPTransport
    private var cached: CachedToken?
    private var lifetime: Duration = .seconds(3600)

    public nonisolated var identity: String { "the metadata server's default service account (\(host))" }

    public init(host: String, scopes: [String] = [GoogleScopes.cloudPlatform], transport: any HTTPTransport) {
        self.host = host
        self.scopes = scopes
        self.transport = transport
    }

    public func accessToken() async throws -> String? {
        if let cached, cached.isFresh(now: .now, lifetime: lifetime) { return cached.value }
        var components = URLComponents()
        components.scheme = "http"
        let parts = host.split(separator: ":", maxSplits: 1)
        components.host = String(parts[0])
        if parts.count == 2 { components.port = Int(parts[1]) }
        components.path = "/computeMetadata/v1/instance/service-accounts/default/token"
        if !scopes.isEmpty {
            components.queryItems = [URLQueryItem(name: "scopes", value: scopes.joined(separator: ","))]
        }
        guard let url = components.url else {
            throw CredentialsError.malformed(origin: "GCE_METADATA_HOST", detail: "\(host) is not a host[:port]")
        }
        let caller = APICaller(
            transport: transport, credentials: AnonymousCredentials(), retry: BackoffPolicy(maxAttempts: 3),
            observer: nil)
        let response = try await caller.send(
            HTTPRequest(method: "GET", url: url, headers: ["Metadata-Flavor": "Google"], timeout: .seconds(5)),
            service: "Metadata server", method: "token", resource: url.path, idempotent: true)
        guard response.header("Metadata-Flavor") == "Google" else {
            throw CredentialsError.tokenRefused(
                origin: identity, detail: "the answer lacks Metadata-Flavor: Google; this is not a metadata server")
        }
        let result = try TokenExchange.parse(response.body, origin: identity)
        lifetime = result.lifetime
        cached = CachedToken(value: result.token, expires: .now + result.lifetime)
        return result.token
    }

    public func invalidate() async { cached = nil }
}
