import Foundation
import Testing

@testable import GoogleCloud

@Suite("Error answers and retries")
struct ErrorsAndRetriesTests {
    func request() -> HTTPRequest {
        HTTPRequest(method: "GET", url: endpoint.appendingPathComponent("v1/x"))
    }

    @Test("a google.rpc.Status body becomes one typed error with a hint")
    func rpcStatus() async throws {
        let transport = ScriptedTransport([
            .response(
                .json(
                    403,
                    """
                    {"error": {"code": 403, "message": "Batch API has not been used in project 123 before or it is disabled.",
                     "status": "PERMISSION_DENIED", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                     "reason": "SERVICE_DISABLED", "domain": "googleapis.com"}]}}
                    """))
        ])
        let error = await #expect(throws: GoogleAPIError.self) {
            try await caller(transport).send(
                request(), service: "Batch", method: "jobs.create",
                resource: "projects/p/locations/r/jobs?jobId=j", idempotent: true)
        }
        #expect(error?.httpStatus == 403)
        #expect(error?.status == "PERMISSION_DENIED")
        #expect(error?.reason == "SERVICE_DISABLED")
        #expect(
            error?.description
                == "Batch jobs.create projects/p/locations/r/jobs?jobId=j: 403 PERMISSION_DENIED: Batch API has not "
                + "been used in project 123 before or it is disabled. (enable the API: gcloud services enable "
                + "batch.googleapis.com --project PROJECT)")
    }

    @Test("Cloud Storage's legacy body, OAuth's body and a body that is not JSON")
    func otherShapes() {
        let storage = GoogleAPIError.parse(
            .json(
                404,
                """
                {"error": {"code": 404, "message": "The specified bucket does not exist.",
                 "errors": [{"message": "The specified bucket does not exist.", "domain": "global", "reason": "notFound"}]}}
                """), service: "Cloud Storage", method: "objects.insert", resource: "gs://b/o")
        #expect(storage.status == "NOT_FOUND")
        #expect(storage.reason == "notFound")
        #expect(storage.hint?.contains("bucket does not exist") == true)
        let oauth = GoogleAPIError.parse(
            .json(400, "{\"error\": \"invalid_grant\", \"error_description\": \"Invalid JWT Signature.\"}"),
            service: "OAuth", method: "token", resource: "https://oauth2.googleapis.com/token")
        #expect(oauth.reason == "invalid_grant")
        #expect(oauth.message == "Invalid JWT Signature.")
        let html = GoogleAPIError.parse(
            HTTPResponse(status: 502, body: Data("<html>Bad Gateway</html>\nmore".utf8)), service: "Batch",
            method: "jobs.get", resource: "n")
        #expect(html.message == "<html>Bad Gateway</html>")
        #expect(html.status == "HTTP_502")
        let empty = GoogleAPIError.parse(
            HTTPResponse(status: 404), service: "Cloud Storage", method: "objects.get", resource: "gs://b/o")
        #expect(empty.message == "no error details in the answer")
    }

    @Test("Retry-After is honoured, and retries stop at the attempt limit")
    func retryAfterAndLimit() async throws {
        let busy = HTTPResponse.json(
            429, "{\"error\": {\"code\": 429, \"message\": \"slow down\"}}", headers: ["Retry-After": "7"])
        let transport = ScriptedTransport([.response(busy), .response(busy), .response(busy)])
        let waits = Waits()
        let error = await #expect(throws: GoogleAPIError.self) {
            try await caller(transport, retry: waits.policy(maxAttempts: 3)).send(
                request(), service: "Cloud Logging", method: "entries.list", resource: "projects/p", idempotent: true)
        }
        #expect(error?.httpStatus == 429)
        #expect(transport.requests.count == 3)
        #expect(waits.recorded == [.seconds(7), .seconds(7)])
    }

    @Test("a call that is not idempotent is sent once; a permanent error is not retried")
    func notRetried() async throws {
        let transport = ScriptedTransport([
            .response(.json(503, "{}")), .response(.json(400, "{\"error\": {\"code\": 400, \"message\": \"bad\"}}")),
        ])
        let waits = Waits()
        await #expect(throws: GoogleAPIError.self) {
            try await caller(transport, retry: waits.policy()).send(
                request(), service: "Cloud Storage", method: "objects.insert", resource: "gs://b/o", idempotent: false)
        }
        await #expect(throws: GoogleAPIError.self) {
            try await caller(transport, retry: waits.policy()).send(
                request(), service: "Batch", method: "jobs.get", resource: "n", idempotent: true)
        }
        #expect(transport.requests.count == 2)
        #expect(waits.recorded.isEmpty)
    }

    @Test("the deadline bounds retries")
    func deadline() async throws {
        let transport = ScriptedTransport()
        transport.fallback = { _ in .json(500, "{}") }
        let policy = BackoffPolicy(
            maxAttempts: 1000, deadline: .milliseconds(50), sleep: { _ in try await Task.sleep(for: .milliseconds(5)) })
        await #expect(throws: GoogleAPIError.self) {
            try await caller(transport, retry: policy).send(
                request(), service: "Batch", method: "jobs.get", resource: "n", idempotent: true)
        }
        // Every wait lasts at least 5 ms, so the 50 ms deadline allows at most about 11 attempts (fewer on a busy
        // machine); without it there would be 1,000.
        #expect(transport.requests.count < 100)
    }

    @Test("backoff: full jitter under an exponential cap")
    func backoff() {
        var generator = SystemRandomNumberGenerator()
        let policy = BackoffPolicy(initialDelay: .seconds(1), multiplier: 2, maximumDelay: .seconds(32))
        for retry in 0..<10 {
            let cap = min(pow(2, Double(retry)), 32)
            for _ in 0..<50 {
                let delay = policy.delay(beforeRetry: retry, retryAfter: nil, using: &generator)
                #expect(delay >= .zero && delay.seconds <= cap)
            }
        }
        #expect(policy.delay(beforeRetry: 0, retryAfter: .seconds(90), using: &generator) == .seconds(32))
    }

    @Test("a 401 makes the credentials fetch a new token once")
    func refreshOn401() async throws {
        let credentials = CountingCredentials()
        let transport = ScriptedTransport([.response(.json(401, "{}")), .response(.json("{}"))])
        let caller = APICaller(transport: transport, credentials: credentials, retry: .none)
        _ = try await caller.send(request(), service: "Batch", method: "jobs.get", resource: "n", idempotent: true)
        #expect(transport.requests.map { $0.header("Authorization") } == ["Bearer token-1", "Bearer token-2"])
    }
}

actor CountingCredentials: AccessTokenProvider {
    private var count = 1
    func accessToken() async throws -> String? { "token-\(count)" }
    func invalidate() async { count += 1 }
    nonisolated var identity: String { "test" }
}
