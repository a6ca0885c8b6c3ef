import Foundation

/// Application Default Credentials, found in Google's order: `GOOGLE_APPLICATION_CREDENTIALS`, then gcloud's
/// `application_default_credentials.json`, then the metadata server. As Google's libraries do on Linux, the
/// metadata server is asked only when `GCE_METADATA_HOST` is set or the machine says it is a Compute Engine VM;
/// no other machine is ever probed.
public enum ApplicationDefaultCredentials {
    /// Where the credentials came from, for the first line of a run.
    public struct Found: Sendable {
        public var provider: any AccessTokenProvider
        public var source: String
        /// The project of a service-account key, for defaults.
        public var projectID: String?
    }

    /// The credentials ADC finds, or nil when there are none.
    ///
    /// - Parameters:
    ///   - tokenEndpoint: replaces the token URI of key files (an emulator's `/token`).
    ///   - productName: the content of `/sys/class/dmi/id/product_name` (injected by tests).
    public static func find(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        scopes: [String] = [GoogleScopes.cloudPlatform],
        tokenEndpoint: URL? = nil, transport: any HTTPTransport,
        productName: @Sendable () -> String? = {
            try? String(contentsOfFile: "/sys/class/dmi/id/product_name", encoding: .utf8)
        }
    ) throws -> Found? {
        if let path = environment["GOOGLE_APPLICATION_CREDENTIALS"], !path.isEmpty {
            return try fromFile(
                path, origin: "GOOGLE_APPLICATION_CREDENTIALS=\(path)", scopes: scopes, tokenEndpoint: tokenEndpoint,
                transport: transport)
        }
        let gcloudFolder: String
        if let config = environment["CLOUDSDK_CONFIG"], !config.isEmpty {
            gcloudFolder = config
        } else {
            gcloudFolder = ((environment["HOME"] ?? NSHomeDirectory()) as NSString).appendingPathComponent(
                ".config/gcloud")
        }
        let wellKnown = (gcloudFolder as NSString).appendingPathComponent("application_default_credentials.json")
        if FileManager.default.fileExists(atPath: wellKnown) {
            return try fromFile(
                wellKnown, origin: wellKnown, scopes: scopes, tokenEndpoint: tokenEndpoint, transport: transport)
        }
        let metadataHost = environment["GCE_METADATA_HOST"] ?? environment["GCE_METADATA_ROOT"]
        if let metadataHost, !metadataHost.isEmpty {
            return Found(
                provider: MetadataServerCredentials(host: metadataHost, scopes: scopes, transport: transport),
                source: "metadata server \(metadataHost)", projectID: nil)
        }
        if let product = productName(), product.contains("Google") {
            return Found(
                provider: MetadataServerCredentials(
                    host: "metadata.google.internal", scopes: scopes, transport: transport),
                source: "metadata server", projectID: nil)
        }
        return nil
    }

    /// Credentials from a key file of either kind.
    public static func fromFile(
        _ path: String, origin: String, scopes: [String] = [GoogleScopes.cloudPlatform], tokenEndpoint: URL? = nil,
        transport: any HTTPTransport
    ) throws -> Found {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CredentialsError.unreadable(origin: origin, detail: error.localizedDescription)
        }
        return try fromJSON(data, origin: origin, scopes: scopes, tokenEndpoint: tokenEndpoint, transport: transport)
    }

    /// Credentials from key-file content (Kestra's `serviceAccount` property holds the content itself).
    public static func fromJSON(
        _ data: Data, origin: String, scopes: [String] = [GoogleScopes.cloudPlatform], tokenEndpoint: URL? = nil,
        transport: any HTTPTransport
    ) throws -> Found {
        let type = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["type"] as? String
        switch type {
        case "service_account":
            let key = try ServiceAccountKey(json: data, origin: origin)
            return Found(
                provider: ServiceAccountCredentials(
                    key: key, scopes: scopes, tokenEndpoint: tokenEndpoint, transport: transport),
                source: "\(key) from \(origin)", projectID: key.projectID)
        case "authorized_user":
            return Found(
                provider: try AuthorizedUserCredentials(
                    json: data, origin: origin, tokenEndpoint: tokenEndpoint, transport: transport),
                source: "gcloud user credentials from \(origin)", projectID: nil)
        default:
            throw CredentialsError.malformed(
                origin: origin,
                detail: "unsupported credentials type \(type.map { "\"\($0)\"" } ?? "(none)"); "
                    + "expected service_account or authorized_user")
        }
    }
}
