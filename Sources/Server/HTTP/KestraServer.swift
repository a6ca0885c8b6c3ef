import Foundation
import Hummingbird
import Ledger
import Logging

/// `batchledger serve`'s HTTP server: Kestra's REST API over one ledger, on one address.
public struct KestraServer: Sendable {
    public var host: String
    public var port: Int
    public let responder: KestraResponder

    public init(store: EventStore, tokens: APITokens?, host: String = "127.0.0.1", port: Int = 8080) {
        self.host = host
        self.port = port
        responder = KestraResponder(history: HistoryAPI(store: store), tokens: tokens)
    }

    /// The Hummingbird application; `onListening` gets the port it listens on (useful with port 0).
    public func application(onListening: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol
    {
        var logger = Logger(label: "batchledger-serve")
        logger.logLevel = .warning
        return Application(
            responder: responder,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
    }
}
