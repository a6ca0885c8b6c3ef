import Foundation
import Testing

@testable import Templates

/// `Template.check(in:secrets:)` finds, without rendering, what a render would fail on, at the same place and with
/// the same message.
@Suite struct TemplateCheckTests {
    /// Everything `Fixtures.run` defines, known exactly.
    static let knownScope = TemplateScope(
        variables: Dictionary(uniqueKeysWithValues: Fixtures.run.variables.entries.map { ($0.key, .known($0.value)) }))

    static func check(
        _ source: String, in scope: TemplateScope = knownScope, secrets: SecretStore? = nil,
        origin: Templates.SourceLocation = Fixtures.origin
    ) throws -> [String] {
        try Template.parse(source, origin: origin).check(in: scope, secrets: secrets).map(\.description)
    }

    /// (A template that `render()` renders is a value, not checked: the corpus's errors inside one are skipped.)
    @Test("the check reports the render's first error, at its place, for every undefined name of the corpus")
    func agreesWithRender() throws {
        var compared = 0
        for (template, _) in ErrorCorpusTests.corpus {
            guard let parsed = try? Template.parse(template, origin: Fixtures.origin),
                let error = Fixtures.error(template), [.undefinedVariable, .unknownName].contains(error.kind),
                !error.message.hasPrefix("in the text rendered by")
            else { continue }
            let found = parsed.check(in: Self.knownScope)
            #expect(found.first == error, "\(template): \(found) vs \(error)")
            compared += 1
        }
        #expect(compared >= 8)
    }

    @Test(arguments: [
        "{{ inputs.x ?? 'a' }}", "{{ inputs.x ??? 'a' }}", "{{ inputs.x | default('a') }}",
        "{% if inputs.x is defined %}{{ inputs.x.y }}{% endif %}", "{{ inputs.x is defined ? inputs.x : 'no' }}",
        "{% if inputs.x is defined and inputs.x == 'a' %}yes{% endif %}",
        "{% if inputs.other is defined %}{% elseif inputs.x is not defined %}{% else %}{{ inputs.x }}{% endif %}",
        "{% for item in vars.list %}{{ item }} {{ loop.index }}{% else %}none{% endfor %}",
        "{% for k, v in vars.nested %}{{ k }}={{ v }}{% endfor %}", "{% set a = 1 %}{{ a }}",
        "{{ outputs.extract.vars.rows }} {{ outputs['extract'].outputFiles['out.txt'] }}", "{{ envs.anything }}",
        "{{ vars.nested.deep.value + 1 }} {{ vars.list[2] }} {{ taskrun.value }}",
    ])
    func tolerated(template: String) throws {
        var scope = Self.knownScope
        scope.variables["inputs"] = .keys(["count": .unknown])
        scope.variables["envs"] = .unknown
        #expect(try Self.check(template, in: scope) == [], "\(template)")
    }

    @Test func everyProblemOfATemplateIsReported() throws {
        let template = "{{ nope }} {{ vars.regon }} {{ 1 | uper }} {{ nowx() }} {{ 1 is odd2 }} {{ vars.list[7] }}"
        #expect(
            try Self.check(template) == [
                "flows/etl.yaml:12:13: undefined variable 'nope' (if it may be missing, use '?? fallback' or "
                    + "'| default(fallback)')",
                "flows/etl.yaml:12:29: undefined variable 'vars.regon' (did you mean 'vars.region'?)",
                "flows/etl.yaml:12:45: unknown filter 'uper' (did you mean 'upper'?)",
                "flows/etl.yaml:12:56: unknown function 'nowx' (did you mean 'now'?)",
                "flows/etl.yaml:12:74: unknown test 'odd2' (did you mean 'odd'?); tests: defined, null, none, empty, "
                    + "even, odd, iterable, map, json",
                "flows/etl.yaml:12:94: index 7 is out of range for 'vars.list' (3 items)",
            ])
    }

    @Test func namesDefinedByTagsLiveWhereTheRenderKeepsThem() throws {
        #expect(try Self.check("{{ a }}{% set a = 1 %}").count == 1)
        #expect(try Self.check("{% for item in vars.list %}{% endfor %}{{ item }}").count == 1)
        #expect(try Self.check("{% if true %}{% set b = 2 %}{% endif %}{{ b }}") == [])
    }

    @Test func absentNamesSayWhy() throws {
        let scope = TemplateScope(
            variables: ["outputs": .keys(["first": .unknown], absent: ["later": "task 'later' runs after this one"])],
            absent: ["outputDir": "it is defined only when the task sets outputDirectory: true"])
        #expect(
            try Self.check("{{ outputs.later.vars.x }} {{ outputs.frst }} {{ outputDir }}", in: scope) == [
                "flows/etl.yaml:12:21: undefined variable 'outputs.later' (task 'later' runs after this one)",
                "flows/etl.yaml:12:48: undefined variable 'outputs.frst' (did you mean 'outputs.first'?)",
                "flows/etl.yaml:12:59: undefined variable 'outputDir' (it is defined only when the task sets "
                    + "outputDirectory: true)",
            ])
    }

    @Test func secretsAreCheckedOnlyAgainstAGivenStoreAndNeverShown() throws {
        let template =
            "{{ secret('DB_PASSWORD') }} {{ secret('nope') }} {{ secret('BROKEN') }} {{ secret(vars.region) }}"
        #expect(try Self.check(template) == [])
        let found = try Self.check(template, secrets: SecretStore(environment: Fixtures.environment))
        #expect(
            found == [
                "flows/etl.yaml:12:41: secret 'nope' is not defined: set SECRET_NOPE (Base64) in the environment or "
                    + "add NOPE=... to the secrets file",
                "flows/etl.yaml:12:62: secret 'BROKEN' in SECRET_BROKEN is not valid Base64: encode it with "
                    + "'base64 -w0'",
            ])
        #expect(!found.joined().contains("hunter2"))
    }

    @Test func exactPositionsPlaceErrorsInsideUnescapedText() throws {
        // The value of `"a \"{{ x }}\"` + line break + `  {{ y }}"` written at q.yaml:5:8: each `\"` is one
        // character of the value, and the line break folded into a space.
        let template = "a \"{{ x }}\" {{ y }}"
        let places: [(line: Int, column: Int)] = [
            (5, 9), (5, 10), (5, 11), (5, 13), (5, 14), (5, 15), (5, 16), (5, 17), (5, 18), (5, 19), (5, 20),
            (5, 22), (6, 3), (6, 4), (6, 5), (6, 6), (6, 7), (6, 8), (6, 9), (6, 10),
        ]
        let positions = try #require(TemplatePositions(text: template, places: places))
        let origin = Templates.SourceLocation(file: "q.yaml", line: 5, column: 8, positions: positions)
        let found = try Self.check(template, in: TemplateScope(variables: [:]), origin: origin)
        #expect(
            found.map { $0.components(separatedBy: " (")[0] } == [
                "q.yaml:5:16: undefined variable 'x'", "q.yaml:6:6: undefined variable 'y'",
            ])
        #expect(TemplatePositions(text: "ab", places: [(1, 1)]) == nil)
    }
}
