import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import NIOCore
import Server
import Synchronization
import Testing

/// Answers `GET /api/v1/main/whoami` with the caller the server recorded for the request.
struct WhoAmI: APIRoutes {
    func respond(to call: APICall) async throws -> Response? {
        guard call.route == ["whoami"] else { return nil }
        return .json(Data("{\"caller\":\"\(call.requester)\"}".utf8))
    }
}

@Suite("The web UI's sign-in, session cookie and CSRF checks")
struct UIAuthTests {
    let ledger: HistoryLedger
    let tokens: APITokens
    let clock = LedgerTime(Date(timeIntervalSince1970: 1_735_689_600))
    let server: KestraServer
    static let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    init() throws {
        ledger = try HistoryLedger()
        tokens = try APITokens(text: "alice:alice-token-0123456789\nci:0123456789abcdef-ci\n", file: "tokens")
        let clock = clock
        let sessions = UISessions(lifetime: .seconds(3600), now: { clock.current.withLock { $0 } })
        server = KestraServer(
            responder: KestraResponder(
                routes: [HistoryAPI(store: ledger.store), WhoAmI()], tokens: tokens,
                pages: WebUI(store: ledger.store, tokens: tokens, sessions: sessions)))
    }

    /// Signs in with `token` and answers the session cookie (`name=value`) and the page's CSRF token.
    func signIn(token: String = "alice-token-0123456789") async throws -> (cookie: String, csrf: String) {
        let form = try await send(server, "/ui/sign-in")
        let csrf = try #require(form.csrfToken)
        let answer = try await send(
            server, "/ui/sign-in", method: .post, headers: Self.form, body: "token=\(token)&csrf=\(csrf)&next=%2Fui%2F")
        #expect(answer.status == .seeOther, "\(answer.text)")
        let setCookie = try #require(answer.headers[.setCookie])
        let cookie = String(setCookie.prefix { $0 != ";" })
        let page = try await send(server, "/ui/", headers: [.cookie: cookie])
        return (cookie, try #require(page.csrfToken))
    }

    @Test("without a session a page leads to the sign-in form, which leads back to the page asked for")
    func signInRedirects() async throws {
        let answer = try await send(server, "/ui/executions/exec-1?x=1")
        #expect(answer.status == .seeOther)
        #expect(answer.headers[.location] == "/ui/sign-in?next=%2Fui%2Fexecutions%2Fexec-1%3Fx%3D1")
        #expect(!answer.text.contains("exec-1"))
        let form = try await send(server, "/ui/sign-in?next=%2Fui%2Fexecutions%2Fexec-1")
        #expect(form.status == .ok)
        #expect(form.text.contains(#"<input type="hidden" name="next" value="/ui/executions/exec-1">"#))
        #expect(form.text.contains(#"<input type="password" name="token""#))
        #expect(form.rowIds.isEmpty)
        // Assets are served to anyone: they hold no data.
        #expect(try await send(server, "/ui/assets/common.js").status == .ok)
    }

    @Test("signing in sets an HttpOnly, SameSite=Strict session cookie with a random 256-bit id")
    func signInCookie() async throws {
        let csrf = try #require(try await send(server, "/ui/sign-in").csrfToken)
        let answer = try await send(
            server, "/ui/sign-in", method: .post, headers: Self.form,
            body: "token=alice-token-0123456789&csrf=\(csrf)&next=%2Fui%2Fexecutions%2Fexec-1")
        #expect(answer.status == .seeOther && answer.headers[.location] == "/ui/executions/exec-1")
        let setCookie = try #require(answer.headers[.setCookie])
        let parts = setCookie.components(separatedBy: "; ")
        #expect(parts.contains("HttpOnly") && parts.contains("SameSite=Strict") && parts.contains("Path=/"))
        #expect(parts.contains("Max-Age=3600") && !parts.contains("Secure"))
        let id = try #require(parts.first?.split(separator: "=", maxSplits: 1).last.map(String.init))
        #expect(parts.first?.hasPrefix("batchledger_session=") == true)
        #expect(
            id.count == 43
                && Data(
                    base64Encoded: id.replacingOccurrences(of: "-", with: "+")
                        .replacingOccurrences(of: "_", with: "/") + "=")?.count == 32
        )

        let page = try await send(server, "/ui/", headers: [.cookie: "batchledger_session=\(id)"])
        #expect(page.status == .ok && page.rowIds == ["exec-3", "exec-2", "exec-1"])
        #expect(page.text.contains(#"<span class="caller">alice</span>"#))
        #expect(page.csrfToken != nil && page.csrfToken != csrf, "a session has a CSRF token of its own")

        // Behind a proxy that answered over HTTPS, the cookie is Secure too.
        let secure = try await send(
            server, "/ui/sign-in", method: .post,
            headers: [
                .contentType: "application/x-www-form-urlencoded", HTTPField.Name("X-Forwarded-Proto")!: "https",
            ],
            body: "token=alice-token-0123456789&csrf=\(csrf)")
        #expect(secure.headers[.setCookie]?.hasSuffix("; Secure") == true)
    }

    @Test("a wrong token, a form without its CSRF token and an outside next are refused or ignored")
    func signInRefusals() async throws {
        let csrf = try #require(try await send(server, "/ui/sign-in").csrfToken)
        let wrong = try await send(
            server, "/ui/sign-in", method: .post, headers: Self.form, body: "token=not-a-known-token-000&csrf=\(csrf)")
        #expect(wrong.status == .unauthorized && wrong.headers[.setCookie] == nil)
        #expect(!wrong.text.contains("not-a-known-token-000"), "the offered token is never shown")
        let forged = try await send(
            server, "/ui/sign-in", method: .post, headers: Self.form, body: "token=alice-token-0123456789&csrf=guess")
        #expect(forged.status == .forbidden && forged.headers[.setCookie] == nil)
        for next in ["//evil.example/x", "https://evil.example/", "/api/v1/main/executions/exec-1", "/ui/\\evil"] {
            let answer = try await send(
                server, "/ui/sign-in", method: .post, headers: Self.form,
                body: "token=alice-token-0123456789&csrf=\(csrf)&next=\(UIEncoding.query(next))")
            #expect(answer.headers[.location] == "/ui/", "\(next)")
        }
    }

    @Test("the session cookie authorizes the API as the token's name; a write without the CSRF token is 403")
    func cookieAuthorizesAPI() async throws {
        let (cookie, csrf) = try await signIn()
        let read = try await send(server, "/api/v1/main/executions/exec-1", headers: [.cookie: cookie])
        #expect(read.status == .ok)
        let who = try await send(server, "/api/v1/main/whoami", headers: [.cookie: cookie])
        #expect((who.json as? [String: Any])?["caller"] as? String == "alice")

        let refused = try await send(
            server, "/api/v1/main/executions/exec-1/kill", method: .delete, headers: [.cookie: cookie])
        #expect(refused.status == .forbidden)
        let body = try #require(refused.json as? [String: Any], "\(refused.text)")
        #expect((body["message"] as? String)?.contains("X-CSRF-Token") == true)
        #expect(
            ((body["_links"] as? [String: Any])?["self"] as? [String: Any])?["href"] as? String
                == "/api/v1/main/executions/exec-1/kill")
        let other = try await signIn(token: "0123456789abcdef-ci")
        for token in ["", "wrong", other.csrf] {
            let answer = try await send(
                server, "/api/v1/main/whoami", method: .post,
                headers: [.cookie: cookie, HTTPField.Name("X-CSRF-Token")!: token])
            #expect(answer.status == .forbidden, "\(token)")
        }
        // With the session's own token the request passes the check (and this server has no such route).
        let passed = try await send(
            server, "/api/v1/main/executions/exec-1/kill", method: .delete,
            headers: [.cookie: cookie, HTTPField.Name("X-CSRF-Token")!: csrf])
        #expect(passed.status == .notFound)
        // A bearer token needs no CSRF token: a browser never sends one by itself.
        let bearer = try await send(
            server, "/api/v1/main/executions/exec-1/kill", method: .delete,
            headers: [.authorization: "Bearer 0123456789abcdef-ci"])
        #expect(bearer.status == .notFound)
        let nobody = try await send(
            server, "/api/v1/main/executions/exec-1", headers: [.cookie: "batchledger_session=x"])
        #expect(nobody.status == .unauthorized)
    }

    @Test("signing out needs the CSRF token, ends the session and clears the cookie")
    func signOut() async throws {
        let (cookie, csrf) = try await signIn()
        let refused = try await send(
            server, "/ui/sign-out", method: .post,
            headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"],
            body: "csrf=wrong")
        #expect(refused.status == .forbidden)
        #expect(try await send(server, "/ui/", headers: [.cookie: cookie]).status == .ok)
        let out = try await send(
            server, "/ui/sign-out", method: .post,
            headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"],
            body: "csrf=\(csrf)")
        #expect(out.status == .seeOther && out.headers[.location] == "/ui/sign-in")
        #expect(
            out.headers[.setCookie]?.hasPrefix("batchledger_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
                == true)
        #expect(try await send(server, "/ui/", headers: [.cookie: cookie]).status == .seeOther)
        #expect(
            try await send(server, "/api/v1/main/executions/exec-1", headers: [.cookie: cookie]).status == .unauthorized
        )
    }

    @Test("a session ends at its expiry, by the injected clock")
    func expiry() async throws {
        let (cookie, _) = try await signIn()
        clock.current.withLock { $0 = $0.addingTimeInterval(3599) }
        #expect(try await send(server, "/ui/", headers: [.cookie: cookie]).status == .ok)
        clock.current.withLock { $0 = $0.addingTimeInterval(2) }
        #expect(try await send(server, "/ui/", headers: [.cookie: cookie]).status == .seeOther)
        #expect(
            try await send(server, "/api/v1/main/executions/exec-1", headers: [.cookie: cookie]).status == .unauthorized
        )
    }

    @Test("without a token file: no sign-in, and a browser's write needs the page's CSRF token")
    func loopbackCSRF() async throws {
        let open = uiServer(ledger.store)
        let page = try await send(open, "/ui/")
        let csrf = try #require(page.csrfToken)
        #expect(!page.text.contains("Sign out"))
        #expect(try await send(open, "/ui/sign-in").headers[.location] == "/ui/")
        let origin: HTTPFields = [.origin: "http://evil.example"]
        let forged = try await send(open, "/api/v1/main/executions/exec-1/kill", method: .delete, headers: origin)
        #expect(forged.status == .forbidden && (forged.json as? [String: Any])?["message"] != nil)
        let fetchHeaders: HTTPFields = [HTTPField.Name("Sec-Fetch-Site")!: "cross-site"]
        #expect(try await send(open, "/api/v1/main/x", method: .post, headers: fetchHeaders).status == .forbidden)
        var fromPage = origin
        fromPage[HTTPField.Name("X-CSRF-Token")!] = csrf
        #expect(
            try await send(open, "/api/v1/main/executions/exec-1/kill", method: .delete, headers: fromPage).status
                == .notFound)
        // Kestra's SDKs and curl send no Origin: nothing changes for them; reads need no token.
        #expect(try await send(open, "/api/v1/main/executions/exec-1/kill", method: .delete).status == .notFound)
        #expect(try await send(open, "/api/v1/main/executions/exec-1", headers: origin).status == .ok)
    }

    @Test("without a token file a request naming another host is refused (DNS rebinding)")
    func foreignHost() async throws {
        let ui = WebUI(store: ledger.store, tokens: nil)
        func request(_ authority: String?, _ method: HTTPRequest.Method = .get) -> Request {
            Request(
                head: HTTPRequest(method: method, scheme: "http", authority: authority, path: "/api/v1/main/x"),
                body: RequestBody(buffer: ByteBuffer()))
        }
        for host in ["127.0.0.1:8080", "localhost", "[::1]:80", "LOCALHOST:1", nil] {
            #expect(await ui.apiAccess(for: request(host)) == .unknown, "\(host ?? "none")")
        }
        for host in ["evil.example", "evil.example:8080", "127.0.0.1.evil.example", "[::2]:80"] {
            guard case .refused(let error) = await ui.apiAccess(for: request(host)) else {
                Issue.record("\(host) was let through")
                continue
            }
            #expect(error.status == 403)
        }
    }
}

/// Query encoding for test bodies.
enum UIEncoding {
    static func query(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }
}
