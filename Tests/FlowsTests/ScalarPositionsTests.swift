import Foundation
import Testing

@testable import Flows

/// `FlowText.positions(of:)` places every character of a value where it is written, whatever the scalar's style.
@Suite struct ScalarPositionsTests {
    /// The place of the first character of `needle` in `value`, as `FlowText` finds it for the scalar at `line:column`.
    static func place(
        of needle: String, in value: String, at line: Int, _ column: Int, source: String
    ) throws -> String {
        let located = Located(value, at: SourceLocation(file: "f.yaml", line: line, column: column))
        let places = try #require(FlowText(source).positions(of: located), "no positions for \(value)")
        #expect(places.count == value.unicodeScalars.count + 1)
        let range = try #require(value.range(of: needle))
        let offset = value.unicodeScalars.distance(from: value.unicodeScalars.startIndex, to: range.lowerBound)
        return "\(places[offset].line):\(places[offset].column)"
    }

    /// The value the parser reads for `key` (a string property of the only mapping), and where it is.
    static func parsed(_ source: String, key: String) throws -> Located<String> {
        let (root, diagnostics) = YAMLReader(file: "f.yaml", limits: FlowParser.Limits()).read(source)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let node = try #require(root?[key])
        return Located(try #require(node.scalar?.text), at: node.location)
    }

    static func check(_ source: String, key: String = "v", _ expected: [(String, String)]) throws {
        let located = try parsed(source, key: key)
        for (needle, place) in expected {
            #expect(
                try Self.place(
                    of: needle, in: located.value, at: located.location.line, located.location.column, source: source)
                    == place, "\(needle) in \(located.value.debugDescription)")
        }
    }

    @Test func plainScalarOnOneAndSeveralLines() throws {
        try Self.check("v: echo {{ x }}\n", [("x }}", "1:12")])
        try Self.check(
            "v: first {{ a }}\n  second {{ b }}\n\n  third {{ c }}\n",
            [
                ("a }}", "1:13"), ("second", "2:3"), ("b }}", "2:13"), ("third", "4:3"), ("c }}", "4:12"),
            ])
    }

    @Test func singleQuotedWithEscapedQuoteAndFolding() throws {
        try Self.check("v: 'it''s {{ x }}'\n", [("x }}", "1:14")])
        try Self.check("v: 'one\n   two {{ y }}'\n", [("two", "2:4"), ("y }}", "2:11")])
    }

    @Test func doubleQuotedWithEscapesAndContinuations() throws {
        try Self.check(
            #"v: "tab\there \"q\" \u00e9 {{ x }}""# + "\n", [("here", "1:10"), ("q", "1:17"), ("x }}", "1:31")])
        try Self.check("v: \"joined\\\n    line {{ z }}\"\n", [("line", "2:5"), ("z }}", "2:13")])
        try Self.check("v: \"a\n\n  b {{ w }}\"\n", [("b", "3:3"), ("w }}", "3:8")])
    }

    @Test func literalAndFoldedBlocks() throws {
        let literal = "v: |\n  first {{ a }}\n    more {{ b }}\n\n  last {{ c }}\nnext: 1\n"
        try Self.check(
            literal, [("first", "2:3"), ("a }}", "2:12"), ("more", "3:5"), ("b }}", "3:13"), ("c }}", "5:11")])
        let folded = "v: >-\n  one {{ a }}\n  two {{ b }}\n\n  three\n"
        try Self.check(folded, [("a }}", "2:10"), ("two", "3:3"), ("b }}", "3:10"), ("three", "5:3")])
        let explicit = "list:\n  - key: |2\n       indented {{ q }}\n"
        let (root, _) = YAMLReader(file: "f.yaml", limits: FlowParser.Limits()).read(explicit)
        let node = try #require(root?["list"]?.items?.first?["key"])
        let value = try #require(node.scalar?.text)
        #expect(
            try Self.place(of: "q }}", in: value, at: node.location.line, node.location.column, source: explicit)
                == "3:20")
    }

    @Test func windowsLineEndingsAndAnchors() throws {
        try Self.check("a: 1\r\nv: |\r\n  x {{ y }}\r\n  z\r\n", [("y }}", "3:8"), ("z", "4:3")])
        try Self.check("v: &anchor \"{{ n }}\"\n", [("n }}", "1:16")])
    }

    /// Every scalar (values and keys) of 400 mutated samples and fixtures: when `FlowText` places it, each of its
    /// characters other than whitespace is placed on that very character in the file, or on the escape that
    /// writes it (`\` in double quotes, `''` in single quotes).
    @Test func mutatedFlowsPlaceEveryCharacterOnItself() throws {
        let corpus = try FuzzTests.corpus()
        var random = SplitMix64(state: 0x0A11_6E5)
        var placed = 0
        for _ in 0..<400 {
            let bytes = FuzzTests.mutate(corpus[Int.random(in: 0..<corpus.count, using: &random)], &random)
            guard let text = String(data: Data(bytes), encoding: .utf8) else { continue }
            let (root, _) = YAMLReader(file: "f.yaml", limits: FlowParser.Limits()).read(text)
            guard let root else { continue }
            let flowText = FlowText(text)
            let lines = flowText.source
            var scalars: [Located<String>] = []
            func collect(_ node: YAMLNode) {
                switch node.kind {
                case .scalar(let scalar): scalars.append(Located(scalar.text, at: node.location))
                case .sequence(let items): items.forEach(collect)
                case .mapping(let entries):
                    for entry in entries {
                        scalars.append(entry.key)
                        collect(entry.value)
                    }
                }
            }
            collect(root)
            for located in scalars {
                guard let places = flowText.positions(of: located) else { continue }
                let value = Array(located.value.unicodeScalars)
                #expect(places.count == value.count + 1)
                for (offset, character) in value.enumerated()
                where !character.properties.isWhitespace && character != "\u{0}" {
                    let place = places[offset]
                    let index = try #require(lines.index(line: place.line, column: place.column))
                    let written = lines.scalars[index]
                    #expect(
                        written == character || written == "\\" || (written == "'" && character == "'"),
                        "\(located.value.debugDescription) at \(located.location): offset \(offset)")
                }
                placed += 1
            }
        }
        #expect(placed > 500)
    }

    /// Every scalar of the samples and fixtures as written (values and keys) is placed.
    @Test func everyScalarOfTheCorpusIsPlaced() throws {
        var missed: [String] = []
        var count = 0
        for text in try FuzzTests.corpus() {
            let (root, _) = YAMLReader(file: "f.yaml", limits: FlowParser.Limits()).read(text)
            guard let root else { continue }
            let flowText = FlowText(text)
            func visit(_ located: Located<String>) {
                count += 1
                if flowText.positions(of: located) == nil {
                    missed.append("\(located.location): \(located.value.debugDescription)")
                }
            }
            func collect(_ node: YAMLNode) {
                switch node.kind {
                case .scalar(let scalar): visit(Located(scalar.text, at: node.location))
                case .sequence(let items): items.forEach(collect)
                case .mapping(let entries):
                    for entry in entries {
                        visit(entry.key)
                        collect(entry.value)
                    }
                }
            }
            collect(root)
        }
        #expect(missed == [], "of \(count)")
        #expect(count > 500)
    }

    @Test func noPositionsForValuesNotWrittenAtTheirPlace() {
        let text = FlowText("v: '{\"a.txt\": \"{{ x }}\"}'\n")
        let fromJSON = Located("{{ x }}", at: SourceLocation(file: "f.yaml", line: 1, column: 4))
        #expect(text.positions(of: fromJSON) == nil)
        let byDefault = Located("{{ x }}", at: SourceLocation(file: "f.yaml", line: 1, column: 4), isDefault: true)
        #expect(text.positions(of: byDefault) == nil)
    }
}

/// Cloud Storage's bucket name rules, as `validate` and `run` check them.
@Suite struct GoogleBucketRulesTests {
    @Test(arguments: ["my-bucket", "a_b.c-d", "abc", "example.com.backup", String(repeating: "a", count: 63)])
    func validNames(name: String) {
        #expect(GoogleBucketRules.problem(name) == nil)
    }

    @Test(arguments: [
        ("gs://bucket", "without 'gs://'"), ("bucket/folder", "has no '/'"), ("My_Bucket", "write 'my_bucket'"),
        ("ab", "3 to 63"), (String(repeating: "a", count: 64), "3 to 63"), ("-bucket", "start and end"),
        ("bucket.", "start and end"), ("a..b", "'..'"), ("192.168.5.4", "IP address"), ("goog-data", "'goog'"),
        ("my-google-bucket", "'google'"), ("bucket name", "only lowercase letters"),
    ])
    func invalidNames(name: String, reason: String) throws {
        let problem = try #require(GoogleBucketRules.problem(name))
        #expect(problem.contains(reason), "\(name): \(problem)")
    }
}
