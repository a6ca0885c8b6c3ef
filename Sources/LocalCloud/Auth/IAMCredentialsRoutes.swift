import Foundation
import Hummingbird

/// The IAM Credentials API's `generateAccessToken`
/// (`POST /v1/projects/-/serviceAccounts/{email}:generateAccessToken`, body `{"scope": [...], "lifetime": "3600s",
/// "delegates": [...]}`): the caller, authorized as every caller is, gets a token of the named service account,
/// which the emulator's other APIs accept and which `TokenService` knows as that account's.
///
/// Names and bodies are checked as Google checks them: a malformed account or a project other than `-` is a 400,
/// a body without scopes or with a lifetime outside 1–3600 s a 400; with `impersonableAccounts` set, any other
/// account is a 403 PERMISSION_DENIED, as Google answers for an account the caller may not impersonate (or that
/// does not exist).
struct IAMCredentialsRoutes: Sendable {
    let tokens: TokenService
    /// The accounts callers may impersonate; nil lets them impersonate any well-formed one.
    let impersonableAccounts: Set<String>?

    /// The longest lifetime Google grants without an organization policy that extends it.
    static let maximumLifetime = 3600

    /// `generateAccessToken`, `iamcredentials.unknown` for another method on a service account, or nil for a
    /// path of another API.
    static func methodName(_ request: IncomingRequest) -> String? {
        guard let (_, _, method) = route(request) else { return nil }
        return method == "generateAccessToken" ? "generateAccessToken" : "iamcredentials.unknown"
    }

    /// The account and method of a `projects/{project}/serviceAccounts/{account}:{method}` path, or nil.
    static func route(_ request: IncomingRequest) -> (project: String, account: String, method: String)? {
        let s = request.segments
        guard s.count == 5, s[0] == "v1", s[1] == "projects", s[3] == "serviceAccounts",
            let colon = s[4].lastIndex(of: ":")
        else { return nil }
        return (s[2], String(s[4][..<colon]), String(s[4][s[4].index(after: colon)...]))
    }

    func handle(_ request: IncomingRequest) async throws(APIError) -> Response {
        guard let (project, account, method) = Self.route(request) else {
            throw APIError.notFound("Unknown IAM Credentials path \(APIError.excerpt(request.rawPath))")
        }
        guard method == "generateAccessToken" else {
            throw APIError(
                httpStatus: 501, status: "UNIMPLEMENTED",
                message:
                    "LocalCloud's IAM Credentials API serves generateAccessToken only, not \(APIError.excerpt(method))",
                reason: "notImplemented")
        }
        guard request.method == "POST" else {
            throw APIError.notFound("generateAccessToken takes POST, not \(request.method)")
        }
        guard project == "-" else {
            throw APIError.invalidArgument(
                "Invalid resource name projects/\(APIError.excerpt(project)): the project must be the wildcard '-' "
                    + "(projects/-/serviceAccounts/EMAIL)")
        }
        try Self.checkAccount(account)
        let body = try request.jsonBody()
        guard case .object(let fields) = body else {
            throw APIError.invalidArgument("Invalid JSON payload received: the body must be an object")
        }
        for key in fields.keys where !["scope", "lifetime", "delegates"].contains(key) {
            throw APIError.invalidArgument("Invalid JSON payload received. Unknown name \"\(APIError.excerpt(key))\"")
        }
        guard let scopes = fields["scope"]?.arrayValue, !scopes.isEmpty,
            scopes.allSatisfy({ !($0.stringValue ?? "").isEmpty })
        else {
            throw APIError.invalidArgument("Scope required: 'scope' must be a non-empty list of OAuth scopes")
        }
        var lifetime = Self.maximumLifetime
        if let given = fields["lifetime"], given != .null {
            guard let text = given.stringValue, text.hasSuffix("s"), let seconds = Double(text.dropLast()),
                seconds >= 1, seconds <= Double(Self.maximumLifetime)
            else {
                throw APIError.invalidArgument(
                    "The lifetime requested is not valid: give a duration between 1s and \(Self.maximumLifetime)s, "
                        + "such as \"3600s\"")
            }
            lifetime = Int(seconds)
        }
        if let delegates = fields["delegates"], delegates != .null {
            guard let list = delegates.arrayValue else {
                throw APIError.invalidArgument("'delegates' must be a list of projects/-/serviceAccounts/EMAIL names")
            }
            for delegate in list {
                let name = delegate.stringValue ?? ""
                guard name.hasPrefix("projects/-/serviceAccounts/") else {
                    throw APIError.invalidArgument(
                        "Invalid delegate '\(APIError.excerpt(name))': give projects/-/serviceAccounts/EMAIL")
                }
                try Self.checkAccount(String(name.dropFirst("projects/-/serviceAccounts/".count)))
            }
        }
        if let impersonableAccounts, !impersonableAccounts.contains(account) {
            throw APIError(
                httpStatus: 403, status: "PERMISSION_DENIED",
                message: "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
                reason: "IAM_PERMISSION_DENIED")
        }
        let issued = await tokens.issue(for: account, lifetime: TimeInterval(lifetime))
        return Reply.json(
            .object([
                "accessToken": .string(issued.token), "expireTime": .string(Self.wholeSeconds(issued.expires)),
            ]))
    }

    /// Google's form of `expireTime`: whole seconds, `Z` (google-auth parses exactly `%Y-%m-%dT%H:%M:%SZ`).
    static func wholeSeconds(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    /// An account as the API names it: a service account's email, or its numeric unique id.
    static func checkAccount(_ account: String) throws(APIError) {
        if !account.isEmpty, account.count <= 30, account.allSatisfy(\.isASCII), account.allSatisfy(\.isNumber) {
            return
        }
        let parts = account.split(separator: "@", omittingEmptySubsequences: false)
        let valid =
            parts.count == 2 && (1...64).contains(parts[0].count) && parts[1].hasSuffix(".gserviceaccount.com")
            && parts[0].unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("0"..."9").contains($0) || "-._".unicodeScalars.contains($0)
            }
            && parts[1].unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("0"..."9").contains($0) || "-.".unicodeScalars.contains($0)
            }
        guard valid else {
            throw APIError.invalidArgument(
                "Invalid form of account ID \(APIError.excerpt(account)). Should be [Gaia ID |Email |Unique ID |] "
                    + "of the account")
        }
    }
}
