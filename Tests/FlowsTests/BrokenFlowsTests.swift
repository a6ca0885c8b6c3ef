import Foundation
import Testing

@testable import Flows

/// Every `Fixtures/broken/NAME.yaml` must produce exactly the diagnostics listed in `NAME.expected`,
/// one `FILE:LINE:COLUMN: message` per line, in position order.
@Suite struct BrokenFlowsTests {
    static let directory: URL = {
        guard let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            fatalError("the Fixtures resource folder is missing from the test bundle")
        }
        return fixtures.appendingPathComponent("broken")
    }()

    static let names: [String] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    }()

    @Test func corpusIsLargeAndComplete() throws {
        #expect(Self.names.count >= 25)
        for name in Self.names {
            let expected = Self.directory.appendingPathComponent("\(name).expected")
            #expect(FileManager.default.fileExists(atPath: expected.path), "missing \(name).expected")
        }
    }

    @Test(arguments: names)
    func brokenFlowReportsExactlyTheExpectedDiagnostics(name: String) throws {
        let url = Self.directory.appendingPathComponent("\(name).yaml")
        let expectedText = try String(
            contentsOf: Self.directory.appendingPathComponent("\(name).expected"), encoding: .utf8)
        let expected = expectedText.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let result = FlowParser.parse(contentsOf: url, file: "broken/\(name).yaml")
        let actual = result.diagnostics.map(\.description)
        #expect(actual == expected)
        #expect(!result.isValid)
        #expect(result.diagnostics.containsErrors)
    }
}
