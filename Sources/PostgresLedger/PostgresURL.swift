import Foundation
import PostgresNIO

/// A `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=MODE]` address, parsed. The password is kept for the
/// connection only: `description` never prints it.
public struct PostgresURL: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// libpq's `sslmode` values.
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var user: String
    public var host: String
    public var port: Int
    public var database: String
    public var sslMode: SSLMode
    let password: String?

    /// True when `text` names a PostgreSQL ledger rather than an SQLite file.
    public static func looksLikeURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Parses `text`; throws `PostgresLedgerError.badURL` saying what is wrong (never echoing a password).
    public init(_ text: String) throws(PostgresLedgerError) {
        guard Self.looksLikeURL(text), let components = URLComponents(string: text) else {
            throw .badURL(
                "give postgres://USER@HOST:PORT/DB (optionally ?sslmode=disable|prefer|require|verify-ca|verify-full)")
        }
        guard let user = components.user, !user.isEmpty else {
            throw .badURL("the URL names no user: postgres://USER@HOST:PORT/DB")
        }
        guard let host = components.host, !host.isEmpty else {
            throw .badURL("the URL names no host: postgres://USER@HOST:PORT/DB")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        var sslMode = SSLMode.prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let mode = SSLMode(rawValue: value) else {
                    throw .badURL(
                        "sslmode must be one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                sslMode = mode
            default:
                throw .badURL("unknown URL parameter '\(item.name)': only sslmode is understood")
            }
        }
        self.user = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        self.port = components.port ?? 5432
        self.database = database.isEmpty ? self.user : (database.removingPercentEncoding ?? database)
        self.sslMode = sslMode
    }

    /// The URL without its password.
    public var description: String {
        let query = sslMode == .prefer ? "" : "?sslmode=\(sslMode.rawValue)"
        return "postgres://\(user)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)\(query)"
    }

    public var debugDescription: String { description }

    /// TLS as libpq's `sslmode` asks: `disable` none; `allow` and `prefer` TLS when the server offers it, without
    /// checking the certificate; `require` TLS without checking it; `verify-ca` checks the chain;
    /// `verify-full` the chain and the host name. Nil for no TLS; `required` false when plain text may follow.
    private var tlsSetting: (configuration: TLSConfiguration, required: Bool)? {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch sslMode {
        case .disable:
            return nil
        case .allow, .prefer:
            configuration.certificateVerification = .none
            return (configuration, false)
        case .require:
            configuration.certificateVerification = .none
            return (configuration, true)
        case .verifyCA:
            configuration.certificateVerification = .noHostnameVerification
            return (configuration, true)
        case .verifyFull:
            configuration.certificateVerification = .fullVerification
            return (configuration, true)
        }
    }

    var tls: PostgresClient.Configuration.TLS {
        guard let setting = tlsSetting else { return .disable }
        return setting.required ? .require(setting.configuration) : .prefer(setting.configuration)
    }

    /// The configuration of one connection, outside the pool (whose errors do not carry the server's message).
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        if let setting = tlsSetting {
            let context = try NIOSSLContext(configuration: setting.configuration)
            tls = setting.required ? .require(context) : .prefer(context)
        } else {
            tls = .disable
        }
        return PostgresConnection.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tls)
    }

    /// The client configuration; `role` becomes the session's role at connection start (`SET ROLE`).
    package func clientConfiguration(role: String? = nil, maximumConnections: Int = 8) -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tls)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.keepAliveBehavior = nil
        if let role {
            configuration.options.additionalStartupParameters = [("role", role)]
        }
        return configuration
    }
}
