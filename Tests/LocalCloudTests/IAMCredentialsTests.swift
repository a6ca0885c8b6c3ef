import Foundation
import Testing

@testable import LocalCloud

/// The IAM Credentials API's `generateAccessToken`, as `impersonatedServiceAccount` and google-auth's impersonated
/// credentials call it.
@Suite("IAM Credentials")
struct IAMCredentialsTests {
    static let account = "runner@p.iam.gserviceaccount.com"
    static let scopes = JSONValue.array([.string("https://www.googleapis.com/auth/cloud-platform")])

    static func path(_ account: String = account, project: String = "-", method: String = "generateAccessToken")
        -> String
    {
        "/v1/projects/\(project)/serviceAccounts/\(account):\(method)"
    }

    @Test("a token of the impersonated account, which the other APIs accept, counted as generateAccessToken")
    func issuesATokenTheOtherAPIsAccept() async throws {
        let caller = LocalCloud.makeBearerToken()
        try await withCloud(LocalCloudConfiguration(requiredBearerToken: caller)) { _, client in
            let anonymous = try await client.send(
                "POST", Self.path(), json: .object(["scope": Self.scopes, "lifetime": .string("3600s")]))
            #expect(anonymous.status == 401, "the caller's own token is checked first")
            let answer = try await client.send(
                "POST", Self.path(), json: .object(["scope": Self.scopes, "lifetime": .string("600s")]),
                headers: ["Authorization": "Bearer \(caller)"])
            #expect(answer.status == 200, "\(answer.text)")
            let token = try #require(answer.json["accessToken"]?.stringValue)
            let expiry = try #require(answer.json["expireTime"]?.stringValue)
            // google-auth parses exactly %Y-%m-%dT%H:%M:%SZ.
            #expect(expiry.count == 20 && expiry.hasSuffix("Z") && !expiry.contains("."), "\(expiry)")
            let listed = try await client.send("GET", "\(parent)/jobs", headers: ["Authorization": "Bearer \(token)"])
            #expect(listed.status == 200, "the impersonated token authorizes Batch")
            let objects = try await client.send(
                "GET", "/storage/v1/b/no-such-bucket/o", headers: ["Authorization": "Bearer \(token)"])
            #expect(objects.status == 404, "and Storage (which answers for the bucket, not the token)")
            let stats = try await client.get("/_emulator/stats").json
            #expect(stats["requests"]?["generateAccessToken"] == .int(1), "a refused caller is not counted")
            #expect(stats["impersonations"]?[Self.account] == .int(1))
            #expect(stats["callers"]?[Self.account] == .int(2), "both calls made as the impersonated account")
        }
    }

    @Test("bad names and bodies are 400s in Google's error shape; a denied account is a 403 PERMISSION_DENIED")
    func refusals() async throws {
        var configuration = LocalCloudConfiguration()
        configuration.impersonableAccounts = [Self.account]
        try await withCloud(configuration) { _, client in
            let body = JSONValue.object(["scope": Self.scopes])
            for name in [
                "not-an-email", "a@b@c.iam.gserviceaccount.com", "runner@example.com",
                "Runner@p.iam.gserviceaccount.com",
            ] {
                let answer = try await client.send("POST", Self.path(name), json: body)
                #expect(answer.status == 400, "\(name)")
                #expect(answer.json["error"]?["status"] == .string("INVALID_ARGUMENT"))
                #expect(answer.json["error"]?["message"]?.stringValue?.contains("Invalid form of account ID") == true)
            }
            let project = try await client.send("POST", Self.path(project: "my-project"), json: body)
            #expect(project.status == 400)
            #expect(project.json["error"]?["message"]?.stringValue?.contains("'-'") == true)
            for bad: JSONValue in [
                .object([:]), .object(["scope": .array([])]),
                .object(["scope": Self.scopes, "lifetime": .string("7200s")]),
                .object(["scope": Self.scopes, "lifetime": .string("one hour")]),
                .object(["scope": Self.scopes, "delegates": .array([.string("someone")])]),
                .object(["scope": Self.scopes, "unknown": .bool(true)]),
            ] {
                let answer = try await client.send("POST", Self.path(), json: bad)
                #expect(answer.status == 400, "\(bad)")
                #expect(answer.json["error"]?["code"] == .int(400))
            }
            let denied = try await client.send(
                "POST", Self.path("other@p.iam.gserviceaccount.com"), json: body)
            #expect(denied.status == 403)
            #expect(denied.json["error"]?["status"] == .string("PERMISSION_DENIED"))
            #expect(
                denied.json["error"]?["message"]?.stringValue?.contains("iam.serviceAccounts.getAccessToken") == true)
            let other = try await client.send("POST", Self.path(method: "signBlob"), json: body)
            #expect(other.status == 501)
            let allowed = try await client.send(
                "POST", Self.path(),
                json: .object(["scope": Self.scopes, "delegates": .null, "lifetime": .string("3600s")]))
            #expect(allowed.status == 200, "google-auth sends delegates: null")
            let numeric = try await client.send("POST", Self.path("123456789012345678901"), json: body)
            #expect(numeric.status == 403, "a unique id is a well-formed name, not one this emulator lets through")
        }
    }
}
