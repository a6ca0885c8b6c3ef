import ArgumentParser

/// The `batchledger` command line: argument parsing and output only; the work lives in the library targets.
@main
struct BatchLedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batchledger",
        abstract: "Run Kestra script tasks on Google Cloud Batch, with every action kept in an SQLite ledger.",
        subcommands: [
            RunCommand.self, KillCommand.self, RecoverCommand.self, ResumeCommand.self, ReplayCommand.self,
            ForkCommand.self,
            ValidateCommand.self, ShowCommand.self,
            ExecutionsCommand.self, LogsCommand.self,
            VerifyCommand.self, EmulatorCommand.self, EventsCommand.self, AuditCommand.self, ExportCommand.self,
            ImportCommand.self, ServeCommand.self, LedgerCommand.self,
        ]
    )
}
