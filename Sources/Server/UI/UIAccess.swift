import Foundation
import HTTPTypes
import Hummingbird

/// What the web UI says of an API request that carries no valid bearer token.
public enum PageAccess: Sendable, Equatable {
    /// Nothing: no session cookie (or an expired one). The token file decides.
    case unknown
    /// A signed-in browser session of the token named `caller`.
    case caller(String)
    /// Refused: a request that changes something without the page's CSRF token, or one from a page served under
    /// another host name. Answered with this error.
    case refused(APIError)
}

extension PageRoutes {
    /// Pages that keep no sessions know nothing of API requests.
    public func apiAccess(for request: Request) async -> PageAccess { .unknown }
}

/// The checks the web UI makes on a request: its session cookie, its CSRF token and its `Host`.
enum UIAccess {
    static let cookieName = "batchledger_session"
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    /// GET and HEAD read; every other method may change something and needs the CSRF token.
    static func changesSomething(_ request: Request) -> Bool {
        request.method != .get && request.method != .head
    }

    /// Whether a browser sent the request: browsers add `Origin` to every request that may change something (a
    /// cross-site form post included), and `Sec-Fetch-Site` to requests to a trustworthy origin. Kestra's SDKs
    /// and curl send neither.
    static func fromBrowser(_ request: Request) -> Bool {
        request.headers[.origin] != nil || request.headers[HTTPField.Name("Sec-Fetch-Site")!] != nil
    }

    /// Without a token file the server listens on loopback only, so a browser always names a loopback host. Any
    /// other name means a page of another site resolved its name to this machine (DNS rebinding): refused, so that
    /// page can neither read the UI's CSRF token nor the API.
    static func isLoopbackHost(_ request: Request) -> Bool {
        guard let host = request.head.authority else { return true }
        let name: Substring
        if host.hasPrefix("[") {
            name = host.dropFirst().prefix { $0 != "]" }
        } else {
            name = host.prefix { $0 != ":" }
        }
        return ["127.0.0.1", "localhost", "::1"].contains(name.lowercased())
    }

    /// The session id in the request's cookie, if any.
    static func sessionId(_ request: Request) -> String? {
        request.cookies[cookieName]?.value
    }

    /// Compares without stopping at the first difference.
    static func same(_ offered: String?, _ expected: String) -> Bool {
        guard let offered else { return false }
        let a = Array(offered.utf8)
        let b = Array(expected.utf8)
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }

    static let missingCSRF = APIError(
        status: 403,
        "this request changes something and needs the page's CSRF token in X-CSRF-Token: reload the page and try again")

    static let foreignHost = APIError(
        status: 403,
        "the Host header names another server: without a token file only 127.0.0.1, localhost or [::1] are served")

    /// The `Set-Cookie` value for a new session (`Secure` too when a proxy says it answered over HTTPS).
    static func sessionCookie(_ session: UISessions.Session, lifetime: Duration, secure: Bool) -> String {
        "\(cookieName)=\(session.id); HttpOnly; SameSite=Strict; Path=/; Max-Age=\(lifetime.components.seconds)"
            + (secure ? "; Secure" : "")
    }

    /// The `Set-Cookie` value that removes the session cookie.
    static func clearedCookie(secure: Bool) -> String {
        "\(cookieName)=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0" + (secure ? "; Secure" : "")
    }

    /// Whether the request reached a proxy over HTTPS.
    static func overHTTPS(_ request: Request) -> Bool {
        request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https"
    }
}

extension WebUI {
    /// An API request without a bearer token: with a token file, a valid session cookie makes it the session's
    /// caller's (and a request that changes something must carry the session's CSRF token); without one, a request must
    /// name a loopback host (as every client of a loopback server does), and a browser's request that changes
    /// something must carry the page's CSRF token, so that another site's form cannot post to a server on loopback.
    public func apiAccess(for request: Request) async -> PageAccess {
        if tokens != nil {
            guard let session = await sessions.session(UIAccess.sessionId(request)) else { return .unknown }
            if UIAccess.changesSomething(request),
                !UIAccess.same(request.headers[UIAccess.csrfHeader], session.csrfToken)
            {
                return .refused(UIAccess.missingCSRF)
            }
            return .caller(session.caller)
        }
        guard UIAccess.isLoopbackHost(request) else { return .refused(UIAccess.foreignHost) }
        if UIAccess.changesSomething(request), UIAccess.fromBrowser(request),
            !UIAccess.same(request.headers[UIAccess.csrfHeader], processToken)
        {
            return .refused(UIAccess.missingCSRF)
        }
        return .unknown
    }
}
