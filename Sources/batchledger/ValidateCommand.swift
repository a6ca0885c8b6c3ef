import ArgumentParser
import Flows
import Foundation

/// `batchledger validate FLOW...`.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check flow files; print every problem as FILE:LINE:COLUMN: message.",
        discussion: "Exit status 0 when every file is valid (warnings allowed), 2 otherwise.")

    @Argument(help: "Flow files.")
    var flows: [String]

    func run() throws {
        var invalid = false
        for path in flows {
            guard let data = FileManager.default.contents(atPath: path) else {
                printError("\(path): cannot read the file")
                invalid = true
                continue
            }
            let result = FlowParser.parse(data: data, file: path)
            for diagnostic in result.diagnostics.sortedByPosition() {
                printError(diagnostic.description)
            }
            if !result.isValid { invalid = true }
        }
        if invalid { throw ExitCode(ExitCodes.invalidInput) }
        print("\(flows.count) flow\(flows.count == 1 ? "" : "s") valid")
    }
}
