import ArgumentParser

/// The `batchledger` command line: argument parsing and output only; the work lives in the library targets.
@main
struct BatchLedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batchledger",
        abstract: "Run Kestra script tasks on Google Cloud Batch, with every action kept in an SQLite ledger.",
        subcommands: [VerifyCommand.self, EmulatorCommand.self]
    )
}
