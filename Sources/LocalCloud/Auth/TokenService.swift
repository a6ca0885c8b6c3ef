import Foundation

/// The OAuth2 token endpoint (`POST /token`, JWT-bearer grant) and the check of bearer tokens.
actor TokenService {
    private let keys: [RSAKey]
    private let requireAuth: Bool
    /// The fixed bearer token every request must carry (the embedded emulator's per-run token), or nil.
    private let requiredToken: String?
    private var tokens: [String: Date] = [:]
    /// Who each issued token stands for: the assertion's issuer, or the impersonated service account.
    private var accounts: [String: String] = [:]
    /// How many tokens were issued per impersonated service account (for `/_emulator/stats`).
    private(set) var impersonations: [String: Int] = [:]
    private let now: @Sendable () -> Date
    private let audiences: Set<String>

    init(keyFiles: [URL], requireAuth: Bool, requiredToken: String? = nil, now: @escaping @Sendable () -> Date) throws {
        keys = try keyFiles.map { try RSAKey(serviceAccountFile: $0) }
        if requireAuth && keys.isEmpty {
            throw LocalCloudError.configuration(
                "--require-auth needs at least one --service-account-key FILE to check assertions against")
        }
        if let requiredToken, requiredToken.utf8.count < 32 {
            throw LocalCloudError.configuration(
                "the required bearer token is too short to be secret (32 characters or more)")
        }
        self.requireAuth = requireAuth
        self.requiredToken = requiredToken
        self.now = now
        audiences = ["https://oauth2.googleapis.com/token", "https://www.googleapis.com/oauth2/v4/token"]
    }

    static func base64URLDecode(_ text: Substring) -> Data? {
        var base = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base.count % 4 != 0 { base += "=" }
        return Data(base64Encoded: base)
    }

    /// Exchanges a JWT-bearer assertion for an access token, or says why the assertion is refused.
    func exchange(form: Query, endpoint: String) throws(APIError) -> JSONValue {
        func refuse(_ description: String) -> APIError {
            APIError(
                httpStatus: 400, status: "INVALID_ARGUMENT", message: description, reason: "invalid_grant",
                shape: .oauth)
        }
        guard form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer" else {
            throw APIError(
                httpStatus: 400, status: "INVALID_ARGUMENT",
                message:
                    "grant_type must be urn:ietf:params:oauth:grant-type:jwt-bearer, got '\(form["grant_type"] ?? "")'",
                reason: "unsupported_grant_type", shape: .oauth)
        }
        guard let assertion = form["assertion"] else { throw refuse("Missing required parameter: assertion") }
        let parts = assertion.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Self.base64URLDecode(parts[0]),
            let claimsData = Self.base64URLDecode(parts[1]), let signature = Self.base64URLDecode(parts[2]),
            let header = try? JSONValue.parse(headerData), let claims = try? JSONValue.parse(claimsData)
        else { throw refuse("Invalid JWT: the assertion is not three base64url JSON parts") }
        guard header["alg"]?.stringValue == "RS256" else { throw refuse("Invalid JWT: alg must be RS256") }
        guard let audience = claims["aud"]?.stringValue,
            audiences.contains(audience) || audience == endpoint + "/token"
        else { throw refuse("Invalid JWT: aud must be https://oauth2.googleapis.com/token") }
        guard let expiry = claims["exp"]?.int64Value, let issuedAt = claims["iat"]?.int64Value else {
            throw refuse("Invalid JWT: exp and iat are required")
        }
        let current = Int64(now().timeIntervalSince1970)
        guard expiry > current else {
            throw refuse(
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."
            )
        }
        guard expiry - issuedAt <= 3600, issuedAt <= current + 300 else {
            throw refuse("Invalid JWT: exp - iat must be at most 3600 seconds and iat not in the future")
        }
        if requireAuth {
            let message = Data(assertion.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
            let kid = header["kid"]?.stringValue
            let candidates = keys.filter { kid == nil || $0.keyID == kid }
            guard candidates.contains(where: { $0.verify(message: message, signature: signature) }) else {
                throw refuse("Invalid JWT Signature.")
            }
        }
        let token = Self.newAccessToken()
        tokens[token] = now().addingTimeInterval(3600)
        if let issuer = claims["iss"]?.stringValue { accounts[token] = issuer }
        return .object(["access_token": .string(token), "expires_in": .int(3599), "token_type": .string("Bearer")])
    }

    /// A token of `account` (impersonated through the IAM Credentials API), valid for `lifetime` seconds.
    func issue(for account: String, lifetime: TimeInterval) -> (token: String, expires: Date) {
        let token = Self.newAccessToken()
        let expires = now().addingTimeInterval(lifetime)
        tokens[token] = expires
        accounts[token] = account
        impersonations[account, default: 0] += 1
        return (token, expires)
    }

    /// The account an issued token stands for, nil for any other token.
    func account(of token: String) -> String? { accounts[token] }

    private static func newAccessToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return "ya29.localcloud."
            + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// With `requireAuth` or a required token, a request needs `Authorization: Bearer <token>`: the required token,
    /// a token issued here and not expired, or (with `requireAuth`) a JWT signed by a trusted key.
    func authorize(_ authorization: String?) throws(APIError) {
        guard requireAuth || requiredToken != nil else { return }
        let token = try bearer(authorization)
        if let requiredToken, Self.constantTimeEqual(token, requiredToken) { return }
        if let expiry = tokens[token], expiry > now() { return }
        // Google's gapic clients send service accounts' self-signed JWTs directly as bearer tokens.
        if requireAuth && isValidSelfSignedJWT(token) { return }
        throw APIError.unauthenticated("Request had invalid authentication credentials: unknown or expired token.")
    }

    /// With a required token, a call to `/token` must carry it too, so that nobody else can have a token issued
    /// (without `requireAuth` the assertion's signature is not checked). Without one, anyone may call `/token`.
    func authorizeExchange(_ authorization: String?) throws(APIError) {
        guard let requiredToken else { return }
        guard Self.constantTimeEqual(try bearer(authorization), requiredToken) else {
            throw APIError.unauthenticated(
                "Request had invalid authentication credentials: this emulator issues tokens only to the process "
                    + "that started it.")
        }
    }

    private func bearer(_ authorization: String?) throws(APIError) -> String {
        guard let authorization, authorization.hasPrefix("Bearer ") else {
            throw APIError.unauthenticated(
                "Request is missing required authentication credential. Expected OAuth 2 access token.")
        }
        return String(authorization.dropFirst(7))
    }

    /// Compares without stopping at the first difference, so the time taken does not tell how much matched.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }

    /// A new random bearer token: 32 bytes from the system's secure generator, as 64 hex digits.
    static func makeToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// A JWT signed by one of the trusted keys (RS256), with `exp` in the future.
    private func isValidSelfSignedJWT(_ token: String) -> Bool {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Self.base64URLDecode(parts[0]),
            let claimsData = Self.base64URLDecode(parts[1]), let signature = Self.base64URLDecode(parts[2]),
            let header = try? JSONValue.parse(headerData), let claims = try? JSONValue.parse(claimsData),
            header["alg"]?.stringValue == "RS256", let expiry = claims["exp"]?.int64Value,
            expiry > Int64(now().timeIntervalSince1970)
        else { return false }
        let message = Data(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        let kid = header["kid"]?.stringValue
        return keys.filter { kid == nil || $0.keyID == kid }.contains {
            $0.verify(message: message, signature: signature)
        }
    }
}
