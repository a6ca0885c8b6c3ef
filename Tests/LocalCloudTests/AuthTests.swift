import Foundation
import Testing

@testable import LocalCloud

/// Runs a command and returns its stdout (small outputs only).
private func run(_ arguments: [String], input: Data? = nil) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    let inputPipe = Pipe()
    if input != nil { process.standardInput = inputPipe }
    try process.run()
    if let input {
        inputPipe.fileHandleForWriting.write(input)
        try inputPipe.fileHandleForWriting.close()
    }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return data
}

private func base64URL(_ data: Data) -> String {
    data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}

/// A service-account key file made with the openssl command, and a JWT signer for it.
private final class ServiceAccount {
    let folder = temporaryDirectory("lc-sa")

    deinit { try? FileManager.default.removeItem(at: folder) }
    var keyFile: URL { folder.appendingPathComponent("key.pem") }
    var jsonFile: URL { folder.appendingPathComponent("sa.json") }

    init() throws {
        _ = try run([
            "openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", keyFile.path,
        ])
        let pem = try String(contentsOf: keyFile, encoding: .utf8)
        let json = JSONValue.object([
            "type": .string("service_account"), "project_id": .string("p"), "private_key_id": .string("kid-1"),
            "private_key": .string(pem), "client_email": .string("sa@p.iam.gserviceaccount.com"),
            "token_uri": .string("https://oauth2.googleapis.com/token"),
        ])
        try json.encoded().write(to: jsonFile)
    }

    func assertion(aud: String = "https://oauth2.googleapis.com/token", expiresIn: Int = 3600, tamper: Bool = false)
        throws -> String
    {
        let now = Int(Date().timeIntervalSince1970)
        let header = base64URL(Data(#"{"alg":"RS256","typ":"JWT","kid":"kid-1"}"#.utf8))
        let claims = base64URL(
            Data(
                #"{"iss":"sa@p.iam.gserviceaccount.com","scope":"https://www.googleapis.com/auth/cloud-platform","aud":"\#(aud)","iat":\#(now),"exp":\#(now + expiresIn)}"#
                    .utf8))
        let signingInput = "\(header).\(claims)"
        var signature = try run(["openssl", "dgst", "-sha256", "-sign", keyFile.path], input: Data(signingInput.utf8))
        if tamper { signature[0] ^= 0xFF }
        return "\(signingInput).\(base64URL(signature))"
    }
}

@Suite("OAuth")
struct AuthTests {
    private func exchange(_ client: TestClient, _ assertion: String) async throws -> TestResponse {
        let body = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=\(assertion)"
        return try await client.send(
            "POST", "/token", body: Data(body.utf8), headers: ["Content-Type": "application/x-www-form-urlencoded"])
    }

    @Test("--require-auth: signature, audience and expiry are checked, and API calls need the token")
    func requireAuth() async throws {
        let account = try ServiceAccount()
        let configuration = LocalCloudConfiguration(requireAuth: true, serviceAccountKeyFiles: [account.jsonFile])
        try await withCloud(configuration) { _, client in
            let anonymous = try await client.get("\(parent)/jobs")
            #expect(anonymous.status == 401)
            #expect(anonymous.json["error"]?["status"] == .string("UNAUTHENTICATED"))
            let tampered = try await exchange(client, try account.assertion(tamper: true))
            #expect(tampered.status == 400)
            #expect(tampered.json["error"] == .string("invalid_grant"))
            #expect(try await exchange(client, try account.assertion(aud: "https://example.com")).status == 400)
            #expect(try await exchange(client, try account.assertion(expiresIn: -10)).status == 400)
            let granted = try await exchange(client, try account.assertion())
            #expect(granted.status == 200)
            #expect(granted.json["token_type"] == .string("Bearer"))
            let token = try #require(granted.json["access_token"]?.stringValue)
            let authorized = try await client.send(
                "GET", "\(parent)/jobs", headers: ["Authorization": "Bearer \(token)"])
            #expect(authorized.status == 200)
            let wrong = try await client.send("GET", "\(parent)/jobs", headers: ["Authorization": "Bearer nope"])
            #expect(wrong.status == 401)
            // gapic clients send a service account's self-signed JWT as the bearer token.
            let selfSigned = try await client.send(
                "GET", "\(parent)/jobs", headers: ["Authorization": "Bearer \(try account.assertion())"])
            #expect(selfSigned.status == 200)
            let forged = try await client.send(
                "GET", "\(parent)/jobs", headers: ["Authorization": "Bearer \(try account.assertion(tamper: true))"])
            #expect(forged.status == 401)
            let expired = try await client.send(
                "GET", "\(parent)/jobs", headers: ["Authorization": "Bearer \(try account.assertion(expiresIn: -5))"])
            #expect(expired.status == 401)
        }
    }

    @Test("anonymous mode: no token needed, any well-formed assertion gets a token, a malformed one does not")
    func anonymous() async throws {
        let account = try ServiceAccount()
        try await withCloud { _, client in
            #expect(try await client.get("\(parent)/jobs").status == 200)
            #expect(try await exchange(client, try account.assertion(tamper: true)).status == 200)
            let malformed = try await exchange(client, "not-a-jwt")
            #expect(malformed.status == 400)
            #expect(malformed.json["error_description"]?.stringValue?.contains("JWT") == true)
        }
    }

    @Test("--require-auth without a key file is refused with a message")
    func requireAuthNeedsKeys() async throws {
        await #expect(throws: LocalCloudError.self) {
            _ = try await LocalCloud.start(LocalCloudConfiguration(requireAuth: true))
        }
    }
}
