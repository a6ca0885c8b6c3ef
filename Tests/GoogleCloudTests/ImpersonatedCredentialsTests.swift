import Foundation
import Synchronization
import Testing

@testable import GoogleCloud

/// `impersonatedServiceAccount`: the base credentials' token buys the impersonated account's token at the IAM
/// Credentials API, and every call then carries the impersonated one.
@Suite("Impersonated credentials")
struct ImpersonatedCredentialsTests {
    /// A clock the test moves.
    final class TestNow: Sendable {
        let date = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        func advance(_ seconds: TimeInterval) { date.withLock { $0 = $0.addingTimeInterval(seconds) } }
        var read: @Sendable () -> Date { { self.date.withLock { $0 } } }
    }

    static func answer(_ token: String, expires: Date) -> HTTPResponse {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return .json("{\"accessToken\": \"\(token)\", \"expireTime\": \"\(formatter.string(from: expires))\"}")
    }

    @Test("generateAccessToken is asked with the base token, the scopes and a lifetime; its token is cached")
    func exchange() async throws {
        let now = TestNow()
        let transport = ScriptedTransport([.response(Self.answer("ya29.impersonated-1", expires: now.read() + 3600))])
        let credentials = ImpersonatedCredentials(
            source: CountingCredentials(), targetPrincipal: "runner@p.iam.gserviceaccount.com",
            scopes: ["https://www.googleapis.com/auth/cloud-platform"], endpoint: URL(string: "http://127.0.0.1:9")!,
            transport: transport, now: now.read)
        #expect(try await credentials.accessToken() == "ya29.impersonated-1")
        #expect(try await credentials.accessToken() == "ya29.impersonated-1")
        #expect(transport.requests.count == 1, "cached")
        let request = try #require(transport.requests.first)
        #expect(request.method == "POST")
        #expect(
            request.url.absoluteString
                == "http://127.0.0.1:9/v1/projects/-/serviceAccounts/runner@p.iam.gserviceaccount.com:generateAccessToken"
        )
        #expect(request.header("Authorization") == "Bearer token-1", "the base credentials' token")
        let body = try #require(try JSONSerialization.jsonObject(with: request.bodyData) as? [String: Any])
        #expect(body["scope"] as? [String] == ["https://www.googleapis.com/auth/cloud-platform"])
        #expect(body["lifetime"] as? String == "3600s")
        #expect(credentials.identity == "runner@p.iam.gserviceaccount.com (impersonated by test)")
    }

    @Test("the token is fetched again five minutes before it expires, not before")
    func refreshBeforeExpiry() async throws {
        let now = TestNow()
        let transport = ScriptedTransport([
            .response(Self.answer("ya29.first", expires: now.read() + 3600)),
            .response(Self.answer("ya29.second", expires: now.read() + 7200)),
        ])
        let credentials = ImpersonatedCredentials(
            source: CountingCredentials(), targetPrincipal: "runner@p.iam.gserviceaccount.com",
            transport: transport, now: now.read)
        #expect(try await credentials.accessToken() == "ya29.first")
        now.advance(3600 - 301)
        #expect(try await credentials.accessToken() == "ya29.first", "still five minutes and a second to go")
        now.advance(2)
        #expect(try await credentials.accessToken() == "ya29.second", "less than five minutes left")
        #expect(transport.requests.count == 2)
    }

    @Test("after invalidation (a 401 elsewhere) the next call asks for a new token")
    func invalidation() async throws {
        let now = TestNow()
        let transport = ScriptedTransport([
            .response(Self.answer("ya29.first", expires: now.read() + 3600)),
            .response(Self.answer("ya29.second", expires: now.read() + 3600)),
        ])
        let credentials = ImpersonatedCredentials(
            source: CountingCredentials(), targetPrincipal: "runner@p.iam.gserviceaccount.com",
            transport: transport, now: now.read)
        #expect(try await credentials.accessToken() == "ya29.first")
        await credentials.invalidate()
        #expect(try await credentials.accessToken() == "ya29.second")
    }

    @Test("a refusal in Google's error shape names the API, the account and what to grant, never a token")
    func refusal() async throws {
        let transport = ScriptedTransport([
            .response(
                .json(
                    403,
                    """
                    {"error": {"code": 403, "message": "Permission 'iam.serviceAccounts.getAccessToken' denied on \
                    resource (or it may not exist).", "status": "PERMISSION_DENIED", "details": [{"@type": \
                    "type.googleapis.com/google.rpc.ErrorInfo", "reason": "IAM_PERMISSION_DENIED", "domain": \
                    "iam.googleapis.com"}]}}
                    """))
        ])
        let credentials = ImpersonatedCredentials(
            source: CountingCredentials(), targetPrincipal: "runner@p.iam.gserviceaccount.com",
            transport: transport)
        let error = await #expect(throws: GoogleAPIError.self) { try await credentials.accessToken() }
        let text = error?.description ?? ""
        #expect(error?.httpStatus == 403)
        #expect(text.contains("IAM Credentials"))
        #expect(text.contains("projects/-/serviceAccounts/runner@p.iam.gserviceaccount.com"))
        #expect(text.contains("roles/iam.serviceAccountTokenCreator"))
        #expect(!text.contains("token-1"))
    }

    @Test("an answer without a usable expireTime is refused")
    func malformedAnswer() async throws {
        let transport = ScriptedTransport([.response(.json("{\"accessToken\": \"ya29.x\", \"expireTime\": \"soon\"}"))])
        let credentials = ImpersonatedCredentials(
            source: CountingCredentials(), targetPrincipal: "runner@p.iam.gserviceaccount.com",
            transport: transport)
        let error = await #expect(throws: GoogleAPIError.self) { try await credentials.accessToken() }
        #expect(error?.status == "MALFORMED_RESPONSE")
        #expect(error?.description.contains("ya29.x") == false)
    }

    @Test("a Batch call made with impersonated credentials carries the impersonated token")
    func callsCarryTheImpersonatedToken() async throws {
        let now = TestNow()
        let transport = ScriptedTransport([
            .response(Self.answer("ya29.impersonated", expires: now.read() + 3600)),
            .response(.json(404, "{\"error\": {\"code\": 404, \"message\": \"no job\", \"status\": \"NOT_FOUND\"}}")),
        ])
        let credentials = ImpersonatedCredentials(
            source: CountingCredentials(), targetPrincipal: "runner@p.iam.gserviceaccount.com",
            endpoint: URL(string: "http://127.0.0.1:9")!, transport: transport, now: now.read)
        let client = BatchClient(
            caller: APICaller(transport: transport, credentials: credentials, retry: .none),
            endpoint: URL(string: "http://127.0.0.1:9")!)
        _ = try await client.getJob("projects/p/locations/l/jobs/j")
        #expect(transport.requests.count == 2)
        #expect(transport.requests.last?.header("Authorization") == "Bearer ya29.impersonated")
    }

    @Test("with one endpoint for every service, the IAM Credentials API is there too")
    func endpointRouting() throws {
        let endpoints = GoogleEndpoints(base: URL(string: "http://127.0.0.1:8080/")!)
        #expect(endpoints.iamCredentials.absoluteString == "http://127.0.0.1:8080")
        #expect(GoogleEndpoints.google.iamCredentials.absoluteString == "https://iamcredentials.googleapis.com")
    }
}
