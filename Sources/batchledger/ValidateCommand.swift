import ArgumentParser
import Engine
import Flows
import Foundation
import Templates

/// `batchledger validate FLOW...`.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check flow files; print every problem as FILE:LINE:COLUMN: message.",
        discussion: """
            Checks what the parser checks, and what a run would refuse once it renders the flow: template syntax, \
            variables that do not exist where a template reads them (inputs, variables, outputs of tasks that \
            have not ended, …), unknown filters and functions, a task runner without projectId, bucket names \
            Cloud Storage refuses. With --secrets-file, also that every secret the flow names is defined (in the \
            file or as a SECRET_ variable).

            Exit status 0 when every file is valid (warnings allowed), 2 otherwise.
            """)

    @Argument(help: "Flow files.")
    var flows: [String]

    @Option(
        help: ArgumentHelp(
            "Check the flow's secrets against this file of NAME=value lines (and SECRET_ variables).",
            valueName: "file"))
    var secretsFile: String?

    func run() throws {
        var secrets: SecretStore?
        if let secretsFile {
            do {
                secrets = try Secrets.load(secretsFile)
            } catch {
                printError("\(error)")
                throw ExitCode(ExitCodes.invalidInput)
            }
        }
        var invalid = false
        for path in flows {
            guard let data = FileManager.default.contents(atPath: path) else {
                printError("\(path): cannot read the file")
                invalid = true
                continue
            }
            let result = FlowCheck.result(data: data, file: path, secrets: secrets)
            for diagnostic in result.diagnostics {
                printError(diagnostic.description)
            }
            if !result.isValid { invalid = true }
        }
        if invalid { throw ExitCode(ExitCodes.invalidInput) }
        print("\(flows.count) flow\(flows.count == 1 ? "" : "s") valid")
    }
}
