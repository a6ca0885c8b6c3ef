import Foundation
import Testing

/// `--input` values the ledger could not record, or that do not fit their type, are invalid input (exit 2) with
/// the input named and the allowed form; never an encoder failure (exit 3) and never a long echo of the value.
@Suite("--input values out of range are invalid input", .serialized)
struct InputValueTests {
    func flow(_ cli: CLI) throws -> String {
        let path = cli.folder.appendingPathComponent("inputs.yaml").path
        let text = """
            id: inputs
            namespace: company.team
            inputs:
              - id: ratio
                type: FLOAT
                required: false
              - id: count
                type: INT
                required: false
              - id: doc
                type: JSON
                required: false
            tasks:
              - id: say
                type: io.kestra.plugin.scripts.shell.Commands
                taskRunner:
                  type: io.kestra.plugin.ee.gcp.runner.Batch
                  projectId: local-project
                  region: europe-west9
                commands:
                  - echo "ratio={{ inputs.ratio }} count={{ inputs.count }}"

            """
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(
        "a value that is not finite, out of range or not decimal is refused with exit 2",
        arguments: [
            ("ratio=1e999", "ratio is a FLOAT input; give a finite decimal number"),
            ("ratio=-1e999", "ratio is a FLOAT input"), ("ratio=nan", "ratio is a FLOAT input"),
            ("ratio=inf", "ratio is a FLOAT input"), ("ratio=-infinity", "ratio is a FLOAT input"),
            ("ratio=0x1p3", "ratio is a FLOAT input"), ("ratio=", "ratio is a FLOAT input"),
            ("count=9223372036854775808", "count is an INT input and this number is out of range"),
            ("count=-99999999999999999999", "from -9223372036854775808 to 9223372036854775807"),
            ("count=1.5", "count is an INT input; give a whole number"),
            ("doc={\"a\":[1e999]}", "doc is a JSON input and a number in it is out of the 64-bit"),
        ])
    func refused(input: String, message: String) throws {
        let cli = try CLI()
        let result = try cli.run(["run", try flow(cli), "--local", "--input", input])
        #expect(result.status == 2, "\(input): \(result.stderr)")
        let name = String(input.prefix { $0 != "=" })
        #expect(result.stderr.contains("--input \(name)="), "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(input): \(result.stderr)")
        #expect(!result.stderr.contains("Encod"), "\(result.stderr)")
    }

    @Test("a huge value is quoted in at most a few hundred characters")
    func hugeValueIsCut() throws {
        let cli = try CLI()
        for input in [
            "ratio=" + String(repeating: "9", count: 100_000), "count=" + String(repeating: "9", count: 100_000),
        ] {
            let result = try cli.run(["run", try flow(cli), "--local", "--input", input])
            #expect(result.status == 2, "\(result.stderr.prefix(300))")
            #expect(result.stderr.count < 1_000, "\(result.stderr.count) characters: \(result.stderr.prefix(300))")
            #expect(result.stderr.contains("(100006 bytes)") || result.stderr.contains("(100000 bytes)"))
        }
    }

    @Test("finite values in range run")
    func accepted() throws {
        let cli = try CLI()
        let result = try cli.run([
            "run", try flow(cli), "--local", "--input", "ratio=-2.5e3", "--input", "count=-9223372036854775808",
            "--input", "doc={\"a\":1.5}",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("ratio=-2500"), "\(result.stdout)")
        #expect(result.stdout.contains("count=-9223372036854775808"), "\(result.stdout)")
    }
}
