import Foundation
import Testing

@testable import GoogleCloud

/// A throwaway RSA key made with the `openssl` tool for each test run (never a real credential).
struct TestKey {
    let folder: URL
    let privateKeyPath: URL
    let publicKeyPath: URL
    let pem: String

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        privateKeyPath = folder.appendingPathComponent("key.pem")
        publicKeyPath = folder.appendingPathComponent("pub.pem")
        try Self.run(
            "/usr/bin/openssl",
            ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", privateKeyPath.path])
        try Self.run("/usr/bin/openssl", ["pkey", "-in", privateKeyPath.path, "-pubout", "-out", publicKeyPath.path])
        pem = try String(contentsOf: privateKeyPath, encoding: .utf8)
    }

    func keyFileJSON(tokenURI: String = "https://oauth2.googleapis.com/token") throws -> Data {
        try JSONSerialization.data(withJSONObject: [
            "type": "service_account", "project_id": "test-project", "private_key_id": "0123456789abcdef",
            "private_key": pem, "client_email": "runner@test-project.iam.gserviceaccount.com",
            "token_uri": tokenURI,
        ])
    }

    @discardableResult
    func run(_ tool: String, _ arguments: [String]) throws -> Int32 {
        try Self.run(tool, arguments)
    }

    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

@Suite("Credentials")
struct CredentialsTests {
    @Test("the JWT assertion verifies with openssl dgst -sha256 -verify, and carries Google's claims")
    func jwtVerifiesWithOpenSSL() throws {
        let key = try TestKey()
        let account = try ServiceAccountKey(json: try key.keyFileJSON(), origin: "test key")
        let credentials = ServiceAccountCredentials(
            key: account, tokenEndpoint: URL(string: "http://127.0.0.1:1/token")!, transport: ScriptedTransport())
        let issued = Date(timeIntervalSince1970: 1_800_000_000)
        let jwt = try credentials.assertion(issuedAt: issued)
        let parts = jwt.split(separator: ".")
        #expect(parts.count == 3)
        let header =
            try JSONSerialization.jsonObject(with: try #require(Base64URL.decode(parts[0]))) as? [String: String]
        #expect(header == ["alg": "RS256", "typ": "JWT", "kid": "0123456789abcdef"])
        let claimsData = try #require(Base64URL.decode(parts[1]))
        let claims = try #require(try JSONSerialization.jsonObject(with: claimsData) as? [String: Any])
        #expect(claims["iss"] as? String == "runner@test-project.iam.gserviceaccount.com")
        #expect(claims["aud"] as? String == "http://127.0.0.1:1/token")
        #expect(claims["scope"] as? String == "https://www.googleapis.com/auth/cloud-platform")
        #expect(claims["iat"] as? Int == 1_800_000_000)
        #expect(claims["exp"] as? Int == 1_800_003_600)

        let message = key.folder.appendingPathComponent("message")
        let signature = key.folder.appendingPathComponent("signature")
        try Data("\(parts[0]).\(parts[1])".utf8).write(to: message)
        try #require(Base64URL.decode(parts[2])).write(to: signature)
        let verified = try key.run(
            "/usr/bin/openssl",
            ["dgst", "-sha256", "-verify", key.publicKeyPath.path, "-signature", signature.path, message.path])
        #expect(verified == 0)
        // A flipped byte must not verify: the check above can fail.
        var tampered = try Data(contentsOf: message)
        tampered[0] ^= 1
        try tampered.write(to: message)
        #expect(
            try key.run(
                "/usr/bin/openssl",
                ["dgst", "-sha256", "-verify", key.publicKeyPath.path, "-signature", signature.path, message.path]) != 0
        )
        let signatureBytes = Array(try #require(Base64URL.decode(parts[2])))
        let publicKey = try String(contentsOf: key.publicKeyPath, encoding: .utf8)
        #expect(try RS256.verify(signatureBytes, of: Array("\(parts[0]).\(parts[1])".utf8), keyPEM: publicKey))
        #expect(try !RS256.verify(signatureBytes, of: Array("tampered".utf8), keyPEM: publicKey))
    }

    @Test("tokens are fetched with the JWT-bearer grant, cached, and fetched again after invalidation")
    func tokenExchange() async throws {
        let key = try TestKey()
        let account = try ServiceAccountKey(json: try key.keyFileJSON(), origin: "test key")
        let transport = ScriptedTransport([
            .response(.json("{\"access_token\": \"ya29.first\", \"expires_in\": 3599, \"token_type\": \"Bearer\"}")),
            .response(.json("{\"access_token\": \"ya29.second\", \"expires_in\": 3599, \"token_type\": \"Bearer\"}")),
        ])
        let credentials = ServiceAccountCredentials(key: account, transport: transport)
        #expect(try await credentials.accessToken() == "ya29.first")
        #expect(try await credentials.accessToken() == "ya29.first")
        #expect(transport.requests.count == 1)
        let request = try #require(transport.requests.first)
        #expect(request.url.absoluteString == "https://oauth2.googleapis.com/token")
        #expect(request.header("Content-Type") == "application/x-www-form-urlencoded")
        let form = String(decoding: request.bodyData, as: UTF8.self)
        #expect(form.hasPrefix("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=ey"))
        await credentials.invalidate()
        #expect(try await credentials.accessToken() == "ya29.second")
    }

    @Test("a refused grant says so, naming the account but no key material")
    func refusedGrant() async throws {
        let key = try TestKey()
        let account = try ServiceAccountKey(json: try key.keyFileJSON(), origin: "test key")
        let transport = ScriptedTransport([
            .response(.json(400, "{\"error\": \"invalid_grant\", \"error_description\": \"Invalid JWT Signature.\"}"))
        ])
        let credentials = ServiceAccountCredentials(key: account, transport: transport)
        let error = await #expect(throws: GoogleAPIError.self) { try await credentials.accessToken() }
        #expect(error?.description.contains("400") == true)
        #expect(error?.description.contains("Invalid JWT Signature.") == true)
        #expect(error?.description.contains("PRIVATE KEY") == false)
    }

    @Test("a key never shows its private key: description, debug description, dump, errors")
    func keyIsNeverPrinted() throws {
        let key = try TestKey()
        let account = try ServiceAccountKey(json: try key.keyFileJSON(), origin: "test key")
        let secretLine = key.pem.split(separator: "\n")[1]
        var dumped = ""
        dump(account, to: &dumped)
        for text in ["\(account)", String(reflecting: account), dumped] {
            #expect(!text.contains(secretLine))
            #expect(!text.contains("PRIVATE KEY"))
        }
        #expect("\(account)" == "service account runner@test-project.iam.gserviceaccount.com (key 01234567…)")
        #expect("\(CachedToken(value: "ya29.secret", expires: .now))" == "access token (hidden)")
    }

    @Test("malformed key files are refused with what is wrong")
    func malformedKeys() {
        #expect(throws: CredentialsError.malformed(origin: "f.json", detail: "not a JSON object")) {
            try ServiceAccountKey(json: Data("nope".utf8), origin: "f.json")
        }
        #expect(
            throws: CredentialsError.malformed(
                origin: "f.json", detail: "\"type\" is \"authorized_user\", not \"service_account\"")
        ) {
            try ServiceAccountKey(json: Data("{\"type\": \"authorized_user\"}".utf8), origin: "f.json")
        }
        #expect(throws: CredentialsError.malformed(origin: "f.json", detail: "\"client_email\" is missing")) {
            try ServiceAccountKey(
                json: Data("{\"type\": \"service_account\", \"private_key\": \"x\"}".utf8), origin: "f.json")
        }
    }

    @Test("ADC order: GOOGLE_APPLICATION_CREDENTIALS, gcloud's file, GCE_METADATA_HOST, a GCE product name; else none")
    func applicationDefaultCredentials() throws {
        let key = try TestKey()
        let keyFile = key.folder.appendingPathComponent("sa.json")
        try key.keyFileJSON().write(to: keyFile)
        let gcloud = key.folder.appendingPathComponent("gcloud")
        try FileManager.default.createDirectory(at: gcloud, withIntermediateDirectories: true)
        try Data(
            "{\"type\": \"authorized_user\", \"client_id\": \"c\", \"client_secret\": \"s\", \"refresh_token\": \"r\"}"
                .utf8
        ).write(to: gcloud.appendingPathComponent("application_default_credentials.json"))
        let transport = ScriptedTransport()
        let notGCE: @Sendable () -> String? = { "Standard PC (Q35 + ICH9, 2009)\n" }

        let explicit = try #require(
            try ApplicationDefaultCredentials.find(
                environment: ["GOOGLE_APPLICATION_CREDENTIALS": keyFile.path, "CLOUDSDK_CONFIG": gcloud.path],
                transport: transport, productName: notGCE))
        #expect(explicit.source.contains("GOOGLE_APPLICATION_CREDENTIALS"))
        #expect(explicit.projectID == "test-project")
        let user = try #require(
            try ApplicationDefaultCredentials.find(
                environment: ["CLOUDSDK_CONFIG": gcloud.path], transport: transport, productName: notGCE))
        #expect(user.source.hasPrefix("gcloud user credentials"))
        let empty = key.folder.appendingPathComponent("empty").path
        let metadata = try #require(
            try ApplicationDefaultCredentials.find(
                environment: ["HOME": empty, "GCE_METADATA_HOST": "127.0.0.1:8999"], transport: transport,
                productName: notGCE))
        #expect(metadata.source == "metadata server 127.0.0.1:8999")
        let gce = try ApplicationDefaultCredentials.find(
            environment: ["HOME": empty], transport: transport, productName: { "Google Compute Engine\n" })
        #expect(gce?.source == "metadata server")
        #expect(
            try ApplicationDefaultCredentials.find(
                environment: ["HOME": empty], transport: transport, productName: notGCE) == nil)
        #expect(throws: CredentialsError.self) {
            try ApplicationDefaultCredentials.find(
                environment: ["GOOGLE_APPLICATION_CREDENTIALS": "/nonexistent/sa.json"], transport: transport,
                productName: notGCE)
        }
    }

    @Test("the metadata server is asked with Metadata-Flavor: Google and must answer with it")
    func metadataServer() async throws {
        let transport = ScriptedTransport([
            .response(
                .json(
                    200, "{\"access_token\": \"ya29.meta\", \"expires_in\": 100}",
                    headers: ["Metadata-Flavor": "Google"]))
        ])
        let credentials = MetadataServerCredentials(host: "127.0.0.1:8999", transport: transport)
        #expect(try await credentials.accessToken() == "ya29.meta")
        let request = try #require(transport.requests.first)
        #expect(request.header("Metadata-Flavor") == "Google")
        #expect(
            request.url.absoluteString
                == "http://127.0.0.1:8999/computeMetadata/v1/instance/service-accounts/default/token?scopes=https://www.googleapis.com/auth/cloud-platform"
        )
        let impostor = MetadataServerCredentials(
            host: "127.0.0.1:8998", transport: ScriptedTransport([.response(.json("{\"access_token\": \"x\"}"))]))
        await #expect(throws: CredentialsError.self) { try await impostor.accessToken() }
    }

    @Test("endpoints: --endpoint, BATCHLEDGER_GOOGLE_ENDPOINT, STORAGE_EMULATOR_HOST, Google's by default")
    func endpoints() throws {
        let explicit = try GoogleEndpoints.resolve(override: URL(string: "http://127.0.0.1:8080/")!, environment: [:])
        #expect(explicit.emulated)
        #expect(explicit.endpoints.batch.absoluteString == "http://127.0.0.1:8080")
        #expect(explicit.endpoints.token?.absoluteString == "http://127.0.0.1:8080/token")
        let fromEnvironment = try GoogleEndpoints.resolve(
            override: nil, environment: ["BATCHLEDGER_GOOGLE_ENDPOINT": "http://127.0.0.1:9000"])
        #expect(fromEnvironment.endpoints.logging.absoluteString == "http://127.0.0.1:9000")
        let storageOnly = try GoogleEndpoints.resolve(
            override: nil, environment: ["STORAGE_EMULATOR_HOST": "127.0.0.1:4443"])
        #expect(!storageOnly.emulated)
        #expect(storageOnly.endpoints.storage.absoluteString == "http://127.0.0.1:4443")
        #expect(storageOnly.endpoints.batch == GoogleEndpoints.google.batch)
        #expect(throws: EndpointError.self) {
            try GoogleEndpoints.resolve(override: nil, environment: ["BATCHLEDGER_GOOGLE_ENDPOINT": "ftp://x"])
        }
    }
}
