import Foundation

/// Tokens for a service account: a JWT signed RS256 with the account's key, exchanged at the token endpoint
/// (the key's `token_uri`, or the emulator's `/token`), cached and refreshed before it expires.
public actor ServiceAccountCredentials: AccessTokenProvider {
    public let key: ServiceAccountKey
    public let scopes: [String]
    let tokenEndpoint: URL
    let transport: any HTTPTransport
    let retry: BackoffPolicy
    let now: @Sendable () -> Date
    private var cached: CachedToken?
    private var lifetime: Duration = .seconds(3600)
    private var refreshing: Task<CachedToken, Error>?

    public nonisolated var identity: String { key.description }

    public init(
        key: ServiceAccountKey, scopes: [String] = [GoogleScopes.cloudPlatform], tokenEndpoint: URL? = nil,
        transport: any HTTPTransport, retry: BackoffPolicy = BackoffPolicy(maxAttempts: 4),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.key = key
        self.scopes = scopes
        self.tokenEndpoint = tokenEndpoint ?? key.tokenURI
        self.transport = transport
        self.retry = retry
        self.now = now
    }

    public func accessToken() async throws -> String? {
        if let cached, cached.isFresh(now: .now, lifetime: lifetime) {
            return cached.value
        }
        // One refresh at a time; concurrent callers wait for it.
        if let refreshing {
            return try await refreshing.value.value
        }
        let task = Task { try await self.fetch() }
        refreshing = task
        defer { refreshing = nil }
        let token = try await task.value
        cached = token
        return token.value
    }

    public func invalidate() async {
        cached = nil
    }

    /// The signed assertion of the JWT-bearer grant (RFC 7523), as Google's libraries build it.
    public nonisolated func assertion(issuedAt: Date) throws -> String {
        var header: [String: String] = ["alg": "RS256", "typ": "JWT"]
        if let id = key.privateKeyID { header["kid"] = id }
        let issued = Int(issuedAt.timeIntervalSince1970)
        let claims: [String: Any] = [
            "iss": key.clientEmail, "scope": scopes.joined(separator: " "), "aud": tokenEndpoint.absoluteString,
            "iat": issued, "exp": issued + 3600,
        ]
        let headerJSON = try JSONSerialization.data(
            withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes])
        let claimsJSON = try JSONSerialization.data(
            withJSONObject: claims, options: [.sortedKeys, .withoutEscapingSlashes])
        let signingInput = Base64URL.encode(headerJSON) + "." + Base64URL.encode(claimsJSON)
        let signature: [UInt8]
        do {
            signature = try RS256.sign(Array(signingInput.utf8), privateKeyPEM: key.privateKeyPEM)
        } catch {
            throw CredentialsError.signingFailed(account: key.clientEmail, detail: "\(error)")
        }
        return signingInput + "." + Base64URL.encode(signature)
    }

    private func fetch() async throws -> CachedToken {
        let jwt = try assertion(issuedAt: now())
        let result = try await TokenExchange.fetch(
            form: [("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", jwt)],
            endpoint: tokenEndpoint, origin: key.description, transport: transport, retry: retry)
        lifetime = result.lifetime
        return CachedToken(value: result.token, expires: .now + result.lifetime)
    }
}

/// OAuth scopes.
public enum GoogleScopes {
    public static let cloudPlatform = "https://www.googleapis.com/auth/cloud-platform"
}
