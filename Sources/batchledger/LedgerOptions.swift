import ArgumentParser
import Ledger

/// The `--ledger` option every command that reads or writes the ledger shares.
struct LedgerOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The ledger file.",
            discussion: "Default: $BATCHLEDGER_LEDGER, else ~/.local/share/batchledger/ledger.sqlite.",
            valueName: "path"))
    var ledger: String?

    var path: String {
        ledger ?? LedgerLocation.defaultPath()
    }
}
