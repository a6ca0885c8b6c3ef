import Foundation
import Testing

@testable import Flows

/// A small deterministic random generator (SplitMix64), so a failing fuzz case can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Mutates the samples and fixtures for a bounded time and checks that the parser always returns
/// well-formed diagnostics (the process must neither crash nor hang).
@Suite struct FuzzTests {
    static let tokens: [String] = [
        "{", "}", "[", "]", "{{", "}}", "*a", "&a", "*", "&", ": ", "- ", "? ", "\n", "  ", "\t", "'", "\"", "|",
        ">", "#", ",", "!!str ", "---\n", "...", "\0", "\u{85}", "\u{2028}", "\r", "\u{FEFF}", "é", "🙂", "\\",
        "%YAML 1.1\n", "<<: *a\n", "id: x\n", "tasks:\n  - id: t\n", "type: io.kestra.plugin.core.flow.Parallel",
        "taskRunner: {type: io.kestra.plugin.ee.gcp.runner.Batch}", "[*a, *a, *a, *a]",
    ]

    static func corpus() throws -> [String] {
        var texts: [String] = []
        for name in ["gcp_batch_runner.yaml", "gcp_batch_runner_full_setup.yaml"] {
            texts.append(
                try String(contentsOf: SamplesTests.samplesDirectory.appendingPathComponent(name), encoding: .utf8))
        }
        let fixtures = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        for folder in ["valid", "broken"] {
            let directory = fixtures.appendingPathComponent(folder)
            for file in try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
            where file.hasSuffix(".yaml") {
                if let text = try? String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8) {
                    texts.append(text)
                }
            }
        }
        return texts
    }

    static func mutate(_ text: String, _ random: inout SplitMix64) -> [UInt8] {
        var bytes = Array(text.utf8)
        for _ in 0..<Int.random(in: 1...6, using: &random) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0...bytes.count, using: &random)
            switch Int.random(in: 0..<6, using: &random) {
            case 0:
                if position < bytes.count { bytes[position] = UInt8.random(in: 0...255, using: &random) }
            case 1, 2:
                bytes.insert(contentsOf: Array(tokens.randomElement(using: &random)!.utf8), at: position)
            case 3:
                let end = min(bytes.count, position + Int.random(in: 1...40, using: &random))
                if position < end { bytes.removeSubrange(position..<end) }
            case 4:
                let end = min(bytes.count, position + Int.random(in: 1...200, using: &random))
                if position < end {
                    let slice = Array(bytes[position..<end])
                    bytes.insert(contentsOf: slice, at: Int.random(in: 0...bytes.count, using: &random))
                }
            default:
                bytes = Array(bytes.prefix(position))
            }
        }
        return bytes
    }

    static func checkWellFormed(_ result: FlowParseResult, file: String) {
        for diagnostic in result.diagnostics {
            #expect(diagnostic.location.file == file)
            #expect(diagnostic.location.line >= 1)
            #expect(diagnostic.location.column >= 1)
            #expect(!diagnostic.message.isEmpty)
            #expect(
                diagnostic.description.hasPrefix("\(file):\(diagnostic.location.line):\(diagnostic.location.column): "))
        }
        #expect(result.diagnostics == result.diagnostics.sortedByPosition())
        if result.isValid { #expect(result.flow != nil) }
    }

    @Test func mutatedFlowsNeverCrashOrHang() throws {
        let corpus = try Self.corpus()
        #expect(corpus.count > 40)
        var random = SplitMix64(state: 0x5EED_F10B)
        let deadline = Date().addingTimeInterval(3)
        var iterations = 0
        var refused = 0
        while iterations < 20_000, Date() < deadline {
            let base = corpus[Int.random(in: 0..<corpus.count, using: &random)]
            let bytes = Self.mutate(base, &random)
            let result = FlowParser.parse(data: Data(bytes), file: "fuzz.yaml")
            Self.checkWellFormed(result, file: "fuzz.yaml")
            if result.diagnostics.containsErrors { refused += 1 }
            iterations += 1
        }
        #expect(iterations >= 200)
        #expect(refused > 0)
    }

    @Test func randomTokenSoupNeverCrashes() {
        var random = SplitMix64(state: 42)
        let deadline = Date().addingTimeInterval(1.5)
        var iterations = 0
        while iterations < 5_000, Date() < deadline {
            var text = ""
            for _ in 0..<Int.random(in: 1...80, using: &random) { text += Self.tokens.randomElement(using: &random)! }
            Self.checkWellFormed(FlowParser.parse(source: text, file: "soup.yaml"), file: "soup.yaml")
            iterations += 1
        }
        #expect(iterations >= 100)
    }
}
