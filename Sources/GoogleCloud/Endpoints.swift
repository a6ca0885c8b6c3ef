import Foundation

/// Where each Google service is reached. One base URL can serve them all (an emulator); otherwise Google's.
public struct GoogleEndpoints: Sendable, Equatable {
    public var batch: URL
    public var storage: URL
    public var logging: URL
    /// Replaces the token URI of key files when set (an emulator's `/token`).
    public var token: URL?
    /// The IAM Credentials API, for `impersonatedServiceAccount`.
    public var iamCredentials: URL

    /// Google's production endpoints.
    public static let google = GoogleEndpoints(
        batch: URL(string: "https://batch.googleapis.com")!, storage: URL(string: "https://storage.googleapis.com")!,
        logging: URL(string: "https://logging.googleapis.com")!, token: nil)

    public init(
        batch: URL, storage: URL, logging: URL, token: URL?,
        iamCredentials: URL = ImpersonatedCredentials.googleEndpoint
    ) {
        self.batch = batch
        self.storage = storage
        self.logging = logging
        self.token = token
        self.iamCredentials = iamCredentials
    }

    /// Every service at one base URL (the IAM Credentials API too), token exchange at `<base>/token`.
    public init(base: URL) {
        let trimmed = base.absoluteString.hasSuffix("/") ? URL(string: String(base.absoluteString.dropLast()))! : base
        self.init(
            batch: trimmed, storage: trimmed, logging: trimmed, token: trimmed.appendingPathComponent("token"),
            iamCredentials: trimmed)
    }

    /// The endpoints the environment asks for: `override` (from `--endpoint`) or `BATCHLEDGER_GOOGLE_ENDPOINT`
    /// for all services; otherwise Google's, with Cloud Storage at `STORAGE_EMULATOR_HOST` when that is set, as
    /// Google's own clients do.
    public static func resolve(override: URL?, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> (endpoints: GoogleEndpoints, emulated: Bool)
    {
        if let override {
            return (GoogleEndpoints(base: try validated(override.absoluteString, origin: "--endpoint")), true)
        }
        if let value = environment["BATCHLEDGER_GOOGLE_ENDPOINT"], !value.isEmpty {
            return (GoogleEndpoints(base: try validated(value, origin: "BATCHLEDGER_GOOGLE_ENDPOINT")), true)
        }
        var endpoints = GoogleEndpoints.google
        if let storage = environment["STORAGE_EMULATOR_HOST"], !storage.isEmpty {
            let text = storage.contains("://") ? storage : "http://\(storage)"
            endpoints.storage = try validated(text, origin: "STORAGE_EMULATOR_HOST")
        }
        return (endpoints, false)
    }

    private static func validated(_ text: String, origin: String) throws -> URL {
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme),
            url.host != nil
        else {
            throw EndpointError(origin: origin, value: text)
        }
        return url
    }
}

/// An endpoint that is not an http(s) URL.
public struct EndpointError: Error, Sendable, CustomStringConvertible {
    public var origin: String
    public var value: String

    public var description: String {
        "\(origin): \(value) is not an endpoint URL; give one like http://127.0.0.1:8080"
    }
}
