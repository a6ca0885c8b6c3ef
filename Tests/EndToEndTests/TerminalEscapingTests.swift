import Foundation
import Testing

@testable import batchledger

/// What a job prints cannot drive the terminal: control characters from outside are shown escaped.
@Suite("terminal escaping", .serialized)
struct TerminalEscapingTests {
    @Test("C0 and C1 control characters and DEL are shown escaped, a tab as a space, the rest as it is")
    func controlCharactersAreEscaped() {
        #expect(TerminalText.escaped("plain · text é 😀") == "plain · text é 😀")
        #expect(TerminalText.escaped("\u{1B}]0;title\u{07}") == #"\u{1b}]0;title\u{7}"#)
        #expect(TerminalText.escaped("ok\rSUCCEEDED") == #"ok\rSUCCEEDED"#)
        #expect(TerminalText.escaped("one\ntwo") == #"one\ntwo"#)
        #expect(TerminalText.escaped("a\u{08}b\u{7F}c\u{9B}31m\u{85}d") == #"a\u{8}b\u{7f}c\u{9b}31m\u{85}d"#)
        #expect(TerminalText.escaped("col\tumn") == "col umn")
        #expect(TerminalText.escaped("\u{0}") == #"\u{0}"#)
        for scalar in (0..<0x20).map({ Unicode.Scalar($0)! }) + (0x7F...0x9F).map({ Unicode.Scalar($0)! }) {
            let shown = TerminalText.escaped(String(Character(scalar)))
            #expect(!shown.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
        }
    }

    @Test("a line built by the CLI escapes what it interpolates, and keeps its own colour")
    func terminalLinesEscapeInterpolations() {
        let id = "task\u{1B}[2J"
        let line: TerminalLine = "\(id) ok"
        #expect(line.text == #"task\u{1b}[2J ok"#)
    }

    @Test("a job that prints escape sequences and carriage returns cannot fake a line or set the title")
    func jobOutputCannotDriveTheTerminal() throws {
        let cli = try CLI()
        let flow = cli.folder.appendingPathComponent("escapes.yaml")
        try """
        id: escapes
        namespace: company.team
        tasks:
          - id: noisy
            type: io.kestra.plugin.scripts.shell.Commands
            taskRunner:
              type: io.kestra.plugin.ee.gcp.runner.Batch
              projectId: local-project
              region: europe-west9
            commands:
              - printf '\\033]0;title\\007\\n'
              - printf 'before\\rnoisy  SUCCEEDED in 0.1 s\\n'
              - printf 'bell\\007 back\\010 csi\\302\\233 done\\n'
        """.write(to: flow, atomically: true, encoding: .utf8)
        let result = try cli.run(["run", flow.path, "--local"])
        #expect(result.status == 0, "\(result.stderr)")
        for output in [result.stdout, result.stderr] {
            #expect(!output.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(output.debugDescription)")
            #expect(!output.unicodeScalars.contains { (0x7F...0x9F).contains($0.value) })
        }
        #expect(result.stdout.contains(#"noisy | \u{1b}]0;title\u{7}"#), "\(result.stdout)")
        #expect(result.stdout.contains(#"noisy | before\rnoisy  SUCCEEDED in 0.1 s"#))
        #expect(result.stdout.contains(#"noisy | bell\u{7} back\u{8} csi\u{9b} done"#))
    }

    @Test("logs, show, replay and events print the stored job output escaped too")
    func readCommandsEscapeStoredText() throws {
        let cli = try CLI()
        let flow = cli.folder.appendingPathComponent("stored-escapes.yaml")
        try """
        id: stored_escapes
        namespace: company.team
        tasks:
          - id: noisy
            type: io.kestra.plugin.scripts.shell.Commands
            taskRunner:
              type: io.kestra.plugin.ee.gcp.runner.Batch
              projectId: local-project
              region: europe-west9
            commands:
              - printf '\\033]0;title\\007\\n'
              - printf 'before\\rnoisy  SUCCEEDED\\n'
              - printf '::{"outputs":{"shown":"a\\\\u001b[2Jb"}}::\\n'
        """.write(to: flow, atomically: true, encoding: .utf8)
        let (result, report) = try cli.runLocal(flow.path)
        let id = try #require(report?.executionId, "\(result.stderr)")
        for arguments in [["logs", id], ["show", id], ["replay", id], ["events", id], ["executions"]] {
            let output = try cli.run(arguments)
            #expect(output.status == 0, "\(arguments): \(output.stderr)")
            let raw = output.stdout.unicodeScalars.contains {
                ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value)
            }
            #expect(!raw, "\(arguments): \(output.stdout.debugDescription)")
        }
        let logs = try cli.run(["logs", id])
        #expect(logs.stdout.contains(#"\u{1b}]0;title\u{7}"#), "\(logs.stdout)")
        #expect(logs.stdout.contains(#"before\rnoisy  SUCCEEDED"#), "\(logs.stdout)")
    }
}
