import ArgumentParser
import Engine
import Foundation
import Hummingbird
import Server

/// `batchledger serve`: Kestra's REST API over the ledger, for Kestra's own tools and SDKs. This version answers
/// the reading part (an execution, the execution search, an execution's logs); it never writes the ledger.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve Kestra's REST API over the ledger (reading: executions, search, logs).",
        usage: "batchledger serve [--host HOST] [--port PORT] [--token-file FILE] [...]",
        discussion: """
            Answers GET /api/v1/main/executions/ID, /api/v1/main/executions/search and /api/v1/main/logs/ID in \
            Kestra's JSON shapes, with Kestra's state names. With --token-file (one name:token line per caller), \
            every request needs Authorization: Bearer TOKEN. Without it the server listens on loopback only. \
            SIGINT or SIGTERM stops it gracefully.
            """)

    @OptionGroup var ledgerOptions: LedgerOptions

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0: any free port, printed at start).")
    var port = 8080

    @Option(help: ArgumentHelp("A file of name:token lines; each request must carry one of the tokens.", valueName: "file"))
    var tokenFile: String?

    func validate() throws {
        guard (0...65_535).contains(port) else {
            throw ValidationError("--port must be from 0 to 65535, not \(port)")
        }
        if tokenFile == nil, !["127.0.0.1", "::1", "localhost"].contains(host) {
            throw ValidationError(
                "without --token-file the server listens on loopback only (127.0.0.1, ::1 or localhost); "
                    + "give --token-file FILE to listen on \(host)")
        }
    }

    func run() async throws {
        let store = try ExitCodes.run("serve") { try ledgerOptions.openReadOnly() }
        let tokens: APITokens?
        do {
            tokens = try tokenFile.map { try APITokens(file: $0) }
        } catch {
            printError("batchledger serve: \(error)")
            throw ExitCode(ExitCodes.invalidInput)
        }
        let host = host
        let server = KestraServer(store: store, tokens: tokens, host: host, port: port)
        let app = server.application { port in
            let shown = host.contains(":") ? "[\(host)]" : host
            let line =
                "batchledger serve: Kestra's API on http://\(shown):\(port)/api/v1/main/ over \(store.path)"
                + (tokens == nil ? " (no token file: loopback only)" : "")
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
        try await app.runService()
    }
}
