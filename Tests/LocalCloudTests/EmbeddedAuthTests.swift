import Foundation
import Testing

@testable import LocalCloud

@Suite("Required bearer token (the embedded emulator's)")
struct EmbeddedAuthTests {
    private func exchange(_ client: TestClient, headers: [String: String] = [:]) async throws -> TestResponse {
        // Any well-formed assertion: without --require-auth its signature is not checked.
        func part(_ text: String) -> String {
            Data(text.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        }
        let now = Int(Date().timeIntervalSince1970)
        let assertion =
            part(#"{"alg":"RS256","typ":"JWT"}"#) + "."
            + part(#"{"aud":"https://oauth2.googleapis.com/token","iat":\#(now),"exp":\#(now + 600)}"#) + ".c2ln"
        let body = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=\(assertion)"
        var all = headers
        all["Content-Type"] = "application/x-www-form-urlencoded"
        return try await client.send("POST", "/token", body: Data(body.utf8), headers: all)
    }

    @Test("every API needs the token; /token too; a token /token issued to its holder works afterwards")
    func everyRouteNeedsTheToken() async throws {
        let token = LocalCloud.makeBearerToken()
        #expect(token.count == 64 && token.allSatisfy(\.isHexDigit))
        #expect(token != LocalCloud.makeBearerToken())
        try await withCloud(LocalCloudConfiguration(requiredBearerToken: token)) { _, client in
            let paths = [
                ("GET", "\(parent)/jobs"), ("GET", "/storage/v1/b"), ("GET", "/storage/v1/b/bkt/o"),
                ("GET", "/storage/v1/b/bkt/o/a.txt?alt=media"), ("POST", "/upload/storage/v1/b/bkt/o?name=a.txt"),
                ("POST", "/v2/entries:list"),
            ]
            for (method, path) in paths {
                for headers in [
                    [:], ["Authorization": "Bearer wrong"], ["Authorization": "Bearer \(token)x"],
                    ["Authorization": token],
                ] {
                    let answer = try await client.send(
                        method, path, body: method == "POST" ? Data("{}".utf8) : nil, headers: headers)
                    #expect(answer.status == 401, "\(method) \(path) \(headers.keys): \(answer.status)")
                }
            }
            let authorized = ["Authorization": "Bearer \(token)"]
            #expect(try await client.send("GET", "\(parent)/jobs", headers: authorized).status == 200)
            #expect(
                try await client.send(
                    "POST", "/upload/storage/v1/b/bkt/o?uploadType=media&name=a.txt", body: Data("a".utf8),
                    headers: authorized
                ).status == 200)
            #expect(
                try await client.send("GET", "/storage/v1/b/bkt/o/a.txt?alt=media", headers: authorized).text == "a")

            #expect(try await exchange(client).status == 401, "nobody else can have a token issued")
            #expect(try await exchange(client, headers: ["Authorization": "Bearer wrong"]).status == 401)
            let granted = try await exchange(client, headers: authorized)
            #expect(granted.status == 200)
            let issued = try #require(granted.json["access_token"]?.stringValue)
            #expect(
                try await client.send("GET", "\(parent)/jobs", headers: ["Authorization": "Bearer \(issued)"]).status
                    == 200, "a task runner's serviceAccount gets its token from /token and uses it")
        }
    }

    @Test("loopback addresses, and the refusal to listen elsewhere without authentication")
    func loopbackOnly() throws {
        for host in ["127.0.0.1", "127.8.9.10", "::1", "localhost", "::ffff:127.0.0.1"] {
            #expect(LocalCloudConfiguration.isLoopback(host: host), "\(host)")
            #expect(LocalCloudConfiguration(host: host).refusal == nil)
        }
        for host in ["0.0.0.0", "::", "192.168.1.4", "10.0.0.1", "example.com", "128.0.0.1", "", "127.0.0.1.example"] {
            #expect(!LocalCloudConfiguration.isLoopback(host: host), "\(host)")
            let refusal = try #require(LocalCloudConfiguration(host: host).refusal)
            #expect(refusal.contains("--require-auth"))
            #expect(
                LocalCloudConfiguration(host: host, requiredBearerToken: LocalCloud.makeBearerToken()).refusal == nil)
        }
    }

    @Test("a request without the token is refused from its head, before any byte of its body is read")
    func bodiesAreNotReadBeforeTheToken() async throws {
        let token = LocalCloud.makeBearerToken()
        try await withCloud(LocalCloudConfiguration(requiredBearerToken: token)) { cloud, _ in
            // 1 GiB announced, never sent: an answer can only come from the head.
            for target in [
                "/upload/storage/v1/b/bkt/o?uploadType=media&name=big.bin",
                "/upload/storage/v1/b/bkt/o?uploadType=multipart",
                "/upload/storage/v1/b/bkt/o?uploadType=resumable&name=big.bin",
                "/v1/projects/p/locations/us-central1/jobs?jobId=j",
            ] {
                let status = try await RawHTTP.statusForHeadOnly(
                    "POST", target, to: cloud.endpoint, contentLength: 1 << 30)
                #expect(status == 401, "\(target)")
            }
        }
    }

    @Test("a token shorter than 32 characters is refused")
    func shortToken() async throws {
        await #expect(throws: LocalCloudError.self) {
            _ = try await LocalCloud.start(LocalCloudConfiguration(requiredBearerToken: "short"))
        }
    }
}
