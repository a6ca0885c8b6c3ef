import Engine
import Foundation
import Hummingbird
import Ledger
import Logging
import ServiceLifecycle

/// `batchledger serve`'s HTTP server: Kestra's REST API over one ledger, on one address.
public struct KestraServer: Sendable {
    public var host: String
    public var port: Int
    public let responder: KestraResponder

    /// A server that only reads `store`: an execution, the search, logs.
    public init(store: EventStore, tokens: APITokens?, host: String = "127.0.0.1", port: Int = 8080) {
        self.init(
            responder: KestraResponder(routes: [HistoryAPI(store: store)] + Self.ledgerRoutes(store), tokens: tokens),
            host: host, port: port)
    }

    /// The whole API over `store`: flows kept in the ledger, executions started, killed, restarted and replayed on
    /// `executions`, and every read.
    public static func serving(
        store: EventStore, executions: ExecutionHost, tokens: APITokens?, host: String = "127.0.0.1",
        port: Int = 8080, pages: (any PageRoutes)? = nil,
        maximumBodySize: Int = KestraResponder.defaultMaximumBodySize, history: HistoryAPI? = nil
    ) -> KestraServer {
        let history = history ?? HistoryAPI(store: store)
        let library = FlowLibrary(store: store)
        let routes: [any APIRoutes] =
            [
                FlowsAPI(library: library), ExecutionsAPI(host: executions, library: library, history: history),
                history,
            ] + ledgerRoutes(store, keptFiles: executions.engine)
        return KestraServer(
            responder: KestraResponder(routes: routes, tokens: tokens, pages: pages, maximumBodySize: maximumBodySize),
            host: host, port: port)
    }

    /// The reading routes besides `HistoryAPI`: follow, output files, and the ledger's own routes.
    static func ledgerRoutes(_ store: EventStore, keptFiles: (any KeptOutputSource)? = nil) -> [any APIRoutes] {
        [
            FollowAPI(store: store),
            FilesAPI(store: store, keptFiles: keptFiles),
            LedgerAPI(store: store),
        ]
    }

    public init(responder: KestraResponder, host: String = "127.0.0.1", port: Int = 8080) {
        self.host = host
        self.port = port
        self.responder = responder
    }

    /// The Hummingbird application; `onListening` gets the port it listens on (useful with port 0).
    public func application(
        services: [any Service] = [], onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        var logger = Logger(label: "batchledger-serve")
        logger.logLevel = .warning
        return Application(
            responder: responder,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            services: services, onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
    }
}
