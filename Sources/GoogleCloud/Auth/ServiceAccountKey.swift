import Foundation

/// A service-account key file (`"type": "service_account"`). Its description never shows the private key.
public struct ServiceAccountKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public var projectID: String?
    public var privateKeyID: String?
    public var clientEmail: String
    public var tokenURI: URL
    let privateKeyPEM: String

    /// Parses the JSON content of a key file; `origin` names where it came from in error messages.
    public init(json: Data, origin: String) throws {
        guard let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else {
            throw CredentialsError.malformed(origin: origin, detail: "not a JSON object")
        }
        let type = object["type"] as? String
        guard type == "service_account" else {
            throw CredentialsError.malformed(
                origin: origin, detail: "\"type\" is \(type.map { "\"\($0)\"" } ?? "missing"), not \"service_account\"")
        }
        guard let email = object["client_email"] as? String, !email.isEmpty else {
            throw CredentialsError.malformed(origin: origin, detail: "\"client_email\" is missing")
        }
        guard let key = object["private_key"] as? String, key.contains("PRIVATE KEY") else {
            throw CredentialsError.malformed(origin: origin, detail: "\"private_key\" is missing or not a PEM key")
        }
        let tokenURIText = (object["token_uri"] as? String) ?? "https://oauth2.googleapis.com/token"
        guard let tokenURI = URL(string: tokenURIText), tokenURI.scheme != nil else {
            throw CredentialsError.malformed(origin: origin, detail: "\"token_uri\" is not a URL")
        }
        projectID = object["project_id"] as? String
        privateKeyID = object["private_key_id"] as? String
        clientEmail = email
        self.tokenURI = tokenURI
        privateKeyPEM = key
    }

    public var description: String {
        "service account \(clientEmail)\(privateKeyID.map { " (key \($0.prefix(8))…)" } ?? "")"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["clientEmail": clientEmail, "projectID": projectID as Any], displayStyle: .struct)
    }
}

/// Credentials that cannot be used, with where they came from and what to do.
public enum CredentialsError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(origin: String, detail: String)
    case unreadable(origin: String, detail: String)
    case signingFailed(account: String, detail: String)
    case tokenRefused(origin: String, detail: String)

    public var description: String {
        switch self {
        case .malformed(let origin, let detail):
            return "credentials in \(origin) are not usable: \(detail); download a new key for the service account, "
                + "or run gcloud auth application-default login"
        case .unreadable(let origin, let detail):
            return "cannot read credentials \(origin): \(detail)"
        case .signingFailed(let account, let detail):
            return "cannot sign the token request of \(account): \(detail)"
        case .tokenRefused(let origin, let detail):
            return "the token endpoint refused \(origin): \(detail)"
        }
    }
}
