import Foundation
import Testing

@testable import Templates

/// No input crashes or hangs the engine: seeded fuzzing of lexer, parser and evaluator, plus the pathological
/// inputs from the acceptance criteria. Each case must end with a rendered string or a `TemplateError`.
struct RobustnessTests {
    /// SplitMix64: a tiny deterministic generator, so a failure replays from its seed.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// A context with tight limits, so that fuzzed loops end quickly.
    static var fuzzContext: TemplateContext {
        var context = Fixtures.context()
        context.limits = TemplateLimits(maxSteps: 20_000, maxOutputBytes: 1 << 20, maxRangeLength: 1_000)
        return context
    }

    /// Renders and reports whether it ended normally or with a TemplateError (it cannot end any other way: a crash
    /// would kill the test process).
    @discardableResult
    static func exercise(_ source: String, context: TemplateContext = fuzzContext) -> Bool {
        do {
            _ = try TemplateEngine.render(source, origin: Fixtures.origin, context: context)
            return true
        } catch {
            #expect(!error.description.isEmpty)
            return false
        }
    }

    static let vocabulary = [
        "{{", "}}", "{%", "%}", "{#", "#}", "{{-", "-}}", "{%-", "-%}", " ", "\n", "if", "elseif", "else", "endif",
        "for", "in", "endfor", "set", "raw", "endraw", "x", "=", "vars", "vars.list", "inputs.count", ".", "[", "]",
        "(", ")", "{", "}", ",", ":", "|", "upper", "join(',')", "default('d')", "date('yyyy')", "dateAdd(1,'DAYS')",
        "length", "chunk(2)", "split(',')", "'", "\"", "'str'", "1", "2.5", "-", "+", "*", "/", "%", "~", "..", "??",
        "?", "==", "<", "and", "or", "not", "is", "in", "not in", "contains", "defined", "null", "empty", "loop.index",
        "secret('short')",
        "render(vars.template)", "render('{{ 1 }}')", "fromJson('[1,{\"a\":2}]')", "range(1, 500)", "1..400",
        "now()", "uuid()", "slice(1, 2)", "merge([1])", "flatten", "???", "abbreviate(3)", "timestampNano",
        "date('yyyy', existingFormat='SSSSSSSSSSSSSSSSSSSSSSSS')", "'99999999999999999999999'",
        "existingFormat='yyyyMMddHHmm'", "'2024-05-01'", "[x]", "x ~ x", "{'k': x}", "\u{0}", "é", "😀", "\\",
    ]

    @Test func fuzzTokenSoup() {
        var generator = SeededGenerator(state: 0xC0FFEE)
        var rendered = 0
        var failed = 0
        for _ in 0..<1_500 {
            let count = Int.random(in: 1...40, using: &generator)
            let source = (0..<count).map { _ in Self.vocabulary.randomElement(using: &generator)! }.joined()
            if Self.exercise(source) { rendered += 1 } else { failed += 1 }
        }
        // Both outcomes must occur, or the fuzzer is not exploring anything.
        #expect(rendered > 50)
        #expect(failed > 50)
    }

    @Test func fuzzMutatedValidTemplates() {
        var generator = SeededGenerator(state: 42)
        let seeds = RenderingTests.cases.map(\.0).filter { $0.contains("{") }
        var outcomes = Set<Bool>()
        for _ in 0..<1_500 {
            var scalars = Array(seeds.randomElement(using: &generator)!.unicodeScalars)
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let position = Int.random(in: 0...scalars.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0 where position < scalars.count: scalars.remove(at: position)
                case 1:
                    let pick = Self.vocabulary.randomElement(using: &generator)!.unicodeScalars
                    scalars.insert(contentsOf: pick, at: position)
                default:
                    if position < scalars.count {
                        scalars[position] = Unicode.Scalar(UInt8.random(in: 0x20...0x7E, using: &generator))
                    }
                }
            }
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars)
            outcomes.insert(Self.exercise(String(view)))
        }
        #expect(outcomes == [true, false])
    }

    @Test func fuzzRandomBytesIncludingInvalidUTF8() {
        var generator = SeededGenerator(state: 7)
        for _ in 0..<500 {
            let count = Int.random(in: 0...200, using: &generator)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            // Make template syntax likely.
            if count > 4 {
                bytes[0] = UInt8(ascii: "{")
                bytes[1] = UInt8(ascii: "{")
            }
            Self.exercise(String(decoding: bytes, as: UTF8.self))
        }
        // Invalid UTF-8 is repaired with U+FFFD on decoding, then rejected or rendered.
        let invalid = String(decoding: [0x7B, 0x7B, 0x20, 0xFF, 0xFE, 0x20, 0x7D, 0x7D], as: UTF8.self)
        let error = Fixtures.error(invalid)
        #expect(error?.message == "unexpected character '\u{FFFD}' in an expression")
    }

    @Test func tenMegabytesOfNestedBracketsFailFast() throws {
        let opening = String(repeating: "[", count: 10 << 20)
        let error = try #require(Fixtures.error("{{ " + opening))
        #expect(error.kind == .limit)
        #expect(error.message == "expression nested deeper than 256 levels")
        let braces = try #require(Fixtures.error("{{ " + String(repeating: "{", count: 1 << 20)))
        #expect(braces.kind == .limit)
        let parens = try #require(Fixtures.error("{{ " + String(repeating: "(", count: 1 << 20) + "1"))
        #expect(parens.kind == .limit)
    }

    @Test func tenMegabytesOfBracesAsTextRenderUnchanged() throws {
        // `{` followed by something else than `{`, `%`, `#` is plain text.
        let text = String(repeating: "{ ", count: 5 << 20)
        #expect(try Fixtures.render(text) == text)
    }

    @Test func nestingAtTheLimitWorksAndOneMoreFails() throws {
        let depth = 250
        let nested = String(repeating: "(", count: depth) + "1" + String(repeating: ")", count: depth)
        #expect(try Fixtures.render("{{ \(nested) }}") == "1")
        let tooDeep = String(repeating: "(", count: 300) + "1" + String(repeating: ")", count: 300)
        #expect(Fixtures.error("{{ \(tooDeep) }}")?.kind == .limit)
        // Left-deep chains are built by a loop, not by recursion: their depth is checked too.
        let chain = "{{ 1" + String(repeating: " + 1", count: 10_000) + " }}"
        #expect(Fixtures.error(chain)?.message == "expression nested deeper than 256 levels")
        let attributes = "{{ vars" + String(repeating: ".a", count: 10_000) + " }}"
        #expect(Fixtures.error(attributes)?.kind == .limit)
        let filters = "{{ 'x'" + String(repeating: " | upper", count: 10_000) + " }}"
        #expect(Fixtures.error(filters)?.kind == .limit)
        let unary = "{{ " + String(repeating: "- ", count: 10_000) + "1 }}"
        #expect(Fixtures.error(unary)?.kind == .limit)
        let tags = String(repeating: "{% if true %}", count: 300) + "x" + String(repeating: "{% endif %}", count: 300)
        #expect(Fixtures.error(tags)?.message == "tags nested deeper than 256 levels")
        let deepTags =
            String(repeating: "{% if true %}", count: 200) + "x" + String(repeating: "{% endif %}", count: 200)
        #expect(try Fixtures.render(deepTags) == "x")
    }

    @Test func runawayLoopsAndGrowthHitLimitsInsteadOfHanging() {
        let loops = "{% for a in 1..99999 %}{% for b in 1..99999 %}{{ a }}{% endfor %}{% endfor %}"
        #expect(Fixtures.error(loops)?.kind == .limit)
        let doubling = "{% set s = 'xx' %}{% for i in 1..200 %}{% set s = s ~ s %}{% endfor %}{{ s | length }}"
        #expect(Fixtures.error(doubling)?.kind == .limit)
        let wrapping = "{% set x = 1 %}{% for i in 1..5000 %}{% set x = [x] %}{% endfor %}{{ x }}"
        #expect(Fixtures.error(wrapping)?.message == "value nested deeper than 256 levels")
        var context = Fixtures.context()
        context.variables["loop1"] = "{{ render(loop1) }}"
        #expect(Fixtures.error("{{ render(loop1) }}", context: context)?.kind == .limit)
        #expect(Fixtures.error("{{ range(-9223372036854775807, 9223372036854775807) }}")?.kind == .limit)
        #expect(Fixtures.error("{{ range(0, 9223372036854775807) }}")?.kind == .limit)
        #expect(Fixtures.error("{{ range(9223372036854775807, 0, -1) }}")?.kind == .limit)
        #expect(Fixtures.error("{{ '999999999999' | date('y', existingFormat='yyyyyyyyyyyy') }}")?.kind == .type)
        #expect(Fixtures.error("{{ '9999-01-01' | timestampNano }}")?.kind == .type)
        #expect(Fixtures.error("{{ -9223372036854775807..9223372036854775807 }}")?.kind == .limit)
        #expect(Fixtures.error("{{ 9223372036854775807 | date }}")?.kind == .type)
        #expect(Fixtures.error("{{ now() | dateAdd(9223372036854775807, 'SECONDS') }}")?.kind == .type)
    }

    @Test func deepestNestingInsideDeepestRenderChainDoesNotOverflowTheStack() throws {
        // Each render() level evaluates an expression and tags nested close to the limit, then renders itself
        // again: the worst stack depth the limits allow.
        let depth = 120
        let expression = String(repeating: "1 + (", count: depth) + "render(t)" + String(repeating: ")", count: depth)
        let tags =
            String(repeating: "{% if true %}", count: 200) + "{{ \(expression) }}"
            + String(repeating: "{% endif %}", count: 200)
        var context = Fixtures.context()
        context.variables["t"] = .string(tags)
        let error = try #require(Fixtures.error("{{ render(t) }}", context: context))
        #expect(error.kind == .limit)
        #expect(error.message.hasSuffix("template nests expressions, tags and render() calls deeper than 400 levels"))
        // The same shape within the limits renders.
        let shallow =
            String(repeating: "{% if true %}", count: 100) + "{{ 1 ~ (1 ~ render(u)) }}"
            + String(repeating: "{% endif %}", count: 100)
        context.variables["u"] = .string(shallow.replacingOccurrences(of: "render(u)", with: "2"))
        context.variables["t"] = .string(shallow)
        #expect(try Fixtures.render("{{ render(t) }}", context: context) == "11112")
    }
}
