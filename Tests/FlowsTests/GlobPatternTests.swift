import Testing

@testable import Flows

/// Java NIO glob semantics for `outputFiles` and `namespaceFiles`.
@Suite struct GlobPatternTests {
    static func matches(_ pattern: String, _ path: String) throws -> Bool {
        try GlobPattern(pattern).matches(path)
    }

    @Test func starStaysInOneSegmentAndDoubleStarCrosses() throws {
        #expect(try Self.matches("*.csv", "a.csv"))
        #expect(try !Self.matches("*.csv", "dir/a.csv"))
        #expect(try Self.matches("**.csv", "dir/a.csv"))
        #expect(try Self.matches("out/**", "out/a/b.txt"))
        #expect(try !Self.matches("out/**", "other/a.txt"))
        #expect(try Self.matches("**/*.json", "a/b.json"))
        #expect(try !Self.matches("**/*.json", "b.json"))
        #expect(try Self.matches("environment_info.json", "environment_info.json"))
        #expect(try !Self.matches("environment_info.json", "environment_infoXjson"))
    }

    @Test func questionMarkClassesGroupsAndEscapes() throws {
        #expect(try Self.matches("file?.txt", "file1.txt"))
        #expect(try !Self.matches("file?.txt", "file/.txt"))
        #expect(try Self.matches("[abc].txt", "b.txt"))
        #expect(try !Self.matches("[!abc].txt", "b.txt"))
        #expect(try Self.matches("[!abc].txt", "d.txt"))
        #expect(try Self.matches("[a-c]x", "bx"))
        #expect(try Self.matches("*.{csv,json}", "a.json"))
        #expect(try !Self.matches("*.{csv,json}", "a.txt"))
        #expect(try Self.matches("\\*.txt", "*.txt"))
        #expect(try !Self.matches("\\*.txt", "a.txt"))
        #expect(try Self.matches("glob:*.txt", "a.txt"))
        #expect(try Self.matches("regex:out/[0-9]+\\.txt", "out/42.txt"))
    }

    @Test func malformedPatternsAreRefused() {
        #expect(throws: GlobPattern.SyntaxError(reason: "missing ']'")) { try GlobPattern("[abc") }
        #expect(throws: GlobPattern.SyntaxError(reason: "missing '}'")) { try GlobPattern("{a,b") }
        #expect(throws: GlobPattern.SyntaxError(reason: "'{' groups cannot be nested")) { try GlobPattern("{a,{b}}") }
        #expect(throws: GlobPattern.SyntaxError.self) { try GlobPattern("a\\") }
        #expect(throws: GlobPattern.SyntaxError.self) { try GlobPattern("regex:(") }
    }

    @Test func namespaceFilesSelection() {
        let here = Flows.SourceLocation(file: "f", line: 1, column: 1)
        func located(_ values: [String]) -> [Located<String>] { values.map { Located($0, at: here) } }
        let files = NamespaceFiles(
            enabled: Located(true, at: here), include: located(["scripts/**", "*.py"]),
            exclude: located(["**.md"]), location: here)
        #expect(files.selects("main.py"))
        #expect(files.selects("scripts/a/run.sh"))
        #expect(!files.selects("scripts/README.md"))
        #expect(!files.selects("data/x.csv"))
        let all = NamespaceFiles(enabled: Located(true, at: here), include: [], exclude: [], location: here)
        #expect(all.selects("anything/at/all.txt"))
        let disabled = NamespaceFiles(enabled: Located(false, at: here), include: [], exclude: [], location: here)
        #expect(!disabled.selects("main.py"))
    }
}
