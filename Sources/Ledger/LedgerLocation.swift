import Foundation

/// Where the ledger lives when `--ledger` is not given.
public enum LedgerLocation {
    /// `BATCHLEDGER_LEDGER` when set; otherwise `$XDG_DATA_HOME/batchledger/ledger.sqlite`, with
    /// `XDG_DATA_HOME` defaulting to `~/.local/share` as the XDG base-directory specification says.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit = environment["BATCHLEDGER_LEDGER"], !explicit.isEmpty {
            return explicit
        }
        let dataHome: String
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            dataHome = xdg
        } else {
            let home = environment["HOME"] ?? NSHomeDirectory()
            dataHome = (home as NSString).appendingPathComponent(".local/share")
        }
        return (dataHome as NSString).appendingPathComponent("batchledger/ledger.sqlite")
    }
}
