import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension WebUI {
    /// The largest sign-in or sign-out form accepted.
    static let maximumFormSize = 16 << 10

    /// `GET /ui/sign-in` shows the form; `POST /ui/sign-in` exchanges a token for a session cookie and goes on to
    /// `next` (a page of the UI). Without a token file there is nothing to sign in to.
    func signIn(_ request: Request, _ parsed: APIRequest) async throws -> Response {
        guard tokens != nil else { return UIResponse.redirect("/ui/") }
        let layout = Layout(csrfToken: processToken, caller: nil)
        func form(_ next: String, problem: String?, status: HTTPResponse.Status) -> Response {
            UIResponse.page(
                layout.page(
                    title: "Sign in", section: .none,
                    body: SignInPage.body(csrfToken: processToken, next: next, problem: problem)),
                status: status)
        }
        if request.method == .get || request.method == .head {
            return form(Self.safeNext(parsed["next"]), problem: nil, status: .ok)
        }
        guard request.method == .post else {
            return UIResponse.error(APIError(status: 405, "sign in with POST"), path: parsed.path)
        }
        guard let fields = try await Self.form(request) else {
            return form("/ui/", problem: "The form could not be read.", status: .badRequest)
        }
        let next = Self.safeNext(fields["next"])
        guard UIAccess.same(fields["csrf"], processToken) else {
            return form(next, problem: "The form has expired: sign in again.", status: .forbidden)
        }
        guard let token = fields["token"], let caller = tokens?.caller("Bearer " + token) else {
            return form(next, problem: "That token is not in the server's token file.", status: .unauthorized)
        }
        let session = await sessions.open(caller: caller)
        return UIResponse.redirect(
            next,
            setCookie: UIAccess.sessionCookie(
                session, lifetime: sessions.lifetime, secure: UIAccess.overHTTPS(request)))
    }

    /// `POST /ui/sign-out` with the session's CSRF token: ends the session and clears the cookie.
    func signOut(_ request: Request, _ session: UISessions.Session, _ layout: Layout) async throws -> Response {
        let fields = try await Self.form(request)
        let offered = request.headers[UIAccess.csrfHeader] ?? fields?["csrf"]
        guard UIAccess.same(offered, session.csrfToken) else {
            return UIResponse.page(
                layout.problem(title: "Refused", message: UIAccess.missingCSRF.message), status: .forbidden)
        }
        await sessions.close(session.id)
        return UIResponse.redirect(
            "/ui/sign-in", setCookie: UIAccess.clearedCookie(secure: UIAccess.overHTTPS(request)))
    }

    /// The fields of a URL-encoded form body; nil when it is too large or not valid percent-encoding.
    static func form(_ request: Request) async throws -> APIRequest? {
        guard let body = try? await request.body.collect(upTo: maximumFormSize) else { return nil }
        return APIRequest(method: "POST", path: "/", query: String(buffer: body))
    }

    /// `next` when it names a page of the UI on this server, otherwise `/ui/` (no open redirect).
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/ui"), !next.contains("//"), !next.contains("\\"),
            next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
        else { return "/ui/" }
        return next
    }
}
