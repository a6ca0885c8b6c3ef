import Testing

@testable import Templates

/// The broken-template corpus: each template, rendered from `flows/etl.yaml:12:10`, must fail with exactly this
/// description (file, line, column of the offending token, and the message).
struct ErrorCorpusTests {
    static let corpus: [(template: String, expected: String)] = [
        // Undefined variables (strict mode), with suggestions
        ("{{ vars.regon }}", "flows/etl.yaml:12:18: undefined variable 'vars.regon' (did you mean 'vars.region'?)"),
        (
            "{{ undefinedVar }}",
            "flows/etl.yaml:12:13: undefined variable 'undefinedVar' (if it may be missing, use '?? fallback' or "
                + "'| default(fallback)')"
        ),
        ("{{ input.name }}", "flows/etl.yaml:12:13: undefined variable 'input' (did you mean 'inputs'?)"),
        (
            "{{ outputs.extrct.vars.rows }}",
            "flows/etl.yaml:12:21: undefined variable 'outputs.extrct' (did you mean 'outputs.extract'?)"
        ),
        ("{{ outputDir }}", "flows/etl.yaml:12:13: undefined variable 'outputDir' (did you mean 'outputs'?)"),
        (
            "{{ outputs['extrct'] }}",
            "flows/etl.yaml:12:20: undefined variable 'outputs['extrct']' (did you mean 'outputs.extract'?)"
        ),
        ("{{ vars.list[5] }}", "flows/etl.yaml:12:22: index 5 is out of range for 'vars.list' (3 items)"),
        (
            "{{ vars.region.name }}",
            "flows/etl.yaml:12:25: cannot read attribute 'name' of 'vars.region': it is a string, not a map"
        ),
        ("{{ vars.nothing.x }}", "flows/etl.yaml:12:26: cannot read 'x' of 'vars.nothing': it is null"),
        // Lexical errors
        ("{{ vars.region ", "flows/etl.yaml:12:10: unclosed '{{': add '}}' to close it"),
        ("{{ 'abc }}", "flows/etl.yaml:12:13: unterminated string: add the closing '"),
        ("{{ a @ b }}", "flows/etl.yaml:12:15: unexpected character '@' in an expression"),
        ("text {# comment", "flows/etl.yaml:12:15: unclosed comment '{#': add '#}' to close it"),
        ("{% raw %}abc", "flows/etl.yaml:12:10: unclosed '{% raw %}': add '{% endraw %}' to close it"),
        // Syntax errors
        ("{{ }}", "flows/etl.yaml:12:13: expected an expression but found '}}'"),
        ("{% %}", "flows/etl.yaml:12:13: expected a name after '{%' but found '%}'"),
        ("{{ 1 + }}", "flows/etl.yaml:12:17: expected an expression but found '}}'"),
        ("{{ vars.list[0 }}", "flows/etl.yaml:12:25: expected ']' to close the '[' but found '}}'"),
        ("{{ (1 + 2 }}", "flows/etl.yaml:12:20: expected ')' to close the '(' at line 1, column 4 but found '}}'"),
        ("{{ flow.id | upper(] }}", "flows/etl.yaml:12:29: expected an expression but found ']'"),
        ("{{ vars.region | join(', ', 1, ) }}", "flows/etl.yaml:12:41: expected an expression but found ')'"),
        (
            "{{ vars.region.upper() }}",
            "flows/etl.yaml:12:25: method calls such as '.upper(…)' are not supported: use a filter ('| upper')"
        ),
        // Tags
        (
            "{% iff true %}",
            "flows/etl.yaml:12:13: unknown tag 'iff' (did you mean 'if'?): supported tags are if/elseif/else/endif, "
                + "for/else/endfor, set, raw/endraw"
        ),
        ("{% if true %}yes", "flows/etl.yaml:12:13: unclosed '{% if %}': add '{% endif %}' to close it"),
        ("{% for x in vars.list %}x", "flows/etl.yaml:12:13: unclosed '{% for %}': add '{% endfor %}' to close it"),
        ("{% endif %}", "flows/etl.yaml:12:13: '{% endif %}' without an open '{% if %}'"),
        (
            "{% if true %}{% else %}{% else %}{% endif %}",
            "flows/etl.yaml:12:36: '{% else %}' after '{% else %}': the '{% else %}' must come last in an 'if'"
        ),
        ("{% set = 1 %}", "flows/etl.yaml:12:17: expected a name after 'set' but found '='"),
        ("{% for x of vars.list %}", "flows/etl.yaml:12:19: expected 'in' in the 'for' tag but found 'of'"),
        (
            "{% for x in inputs.count %}{% endfor %}",
            "flows/etl.yaml:12:29: cannot loop over 'inputs.count': it is an integer, not a list or a map"
        ),
        // Operators
        ("{{ 'a' + 1 }}", "flows/etl.yaml:12:17: cannot apply '+' to a string and an integer: use '~' to join strings"),
        ("{{ 1 / 0 }}", "flows/etl.yaml:12:15: division by zero"),
        ("{{ 9223372036854775807 + 1 }}", "flows/etl.yaml:12:33: integer overflow in '+'"),
        ("{{ 1 in 5 }}", "flows/etl.yaml:12:15: 'in' needs a list, map or string, not an integer"),
        ("{{ 1 < 'a' }}", "flows/etl.yaml:12:15: cannot compare an integer with a string using '<'"),
        ("{{ 1..1000000 }}", "flows/etl.yaml:12:14: range 1..1000000 has more than 100000 items"),
        // Unknown names
        ("{{ vars.region | uper }}", "flows/etl.yaml:12:27: unknown filter 'uper' (did you mean 'upper'?)"),
        ("{{ secrt('x') }}", "flows/etl.yaml:12:13: unknown function 'secrt' (did you mean 'secret'?)"),
        (
            "{{ 1 is defind }}",
            "flows/etl.yaml:12:18: unknown test 'defind' (did you mean 'defined'?); tests: defined, null, none, empty, "
                + "even, odd, iterable, map, json"
        ),
        // Filter and function arguments
        (
            "{{ vars.list | slice(2, 5) }}",
            "flows/etl.yaml:12:25: filter 'slice': indices 2..<5 are out of range for 3 items"
        ),
        (
            "{{ '9999-01-01' | timestampNano }}",
            "flows/etl.yaml:12:28: filter 'timestampNano': the date is out of the range of nanosecond timestamps"
        ),
        ("{{ vars.list | chunk(0) }}", "flows/etl.yaml:12:25: filter 'chunk': size must be positive"),
        (
            "{{ vars.list | join(1) }}",
            "flows/etl.yaml:12:25: filter 'join': argument 'separator' must be a string, not an integer"
        ),
        (
            "{{ 'x1y22z' | replace({'[0-9]+': '#'}, regexp=true) }}",
            "flows/etl.yaml:12:24: filter 'replace': regexp=true is not supported: replace literal text, or do it in the "
                + "script"
        ),
        ("{{ 'abc' | number }}", "flows/etl.yaml:12:21: filter 'number': 'abc' is not a number"),
        ("{{ '%%%' | base64decode }}", "flows/etl.yaml:12:21: filter 'base64decode': the input is not valid Base64"),
        (
            "{{ 'x' | date('yyyy') }}",
            "flows/etl.yaml:12:19: filter 'date': cannot read a string 'x' as a date: use ISO-8601 (2024-05-01T10:00:00Z) "
                + "or epoch seconds"
        ),
        (
            "{{ execution.startDate | date('yyyy Q') }}",
            "flows/etl.yaml:12:35: filter 'date': unsupported letter 'Q' in date pattern 'yyyy Q'"
        ),
        (
            "{{ now() | dateAdd(1, 'FORTNIGHTS') }}",
            "flows/etl.yaml:12:21: filter 'dateAdd': cannot add 1 'FORTNIGHTS': use a unit such as SECONDS, MINUTES, "
                + "HOURS, DAYS, WEEKS, MONTHS, YEARS"
        ),
        (
            "{{ now() | date('yyyy', timeZone='Mars/Olympus') }}",
            "flows/etl.yaml:12:21: filter 'date': unknown time zone 'Mars/Olympus': use an IANA name such as "
                + "'Europe/Paris' or 'UTC'"
        ),
        (
            "{{ fromJson('{bad') }}",
            "flows/etl.yaml:12:13: function 'fromJson': invalid JSON at character 2: expected a string key"
        ),
        (
            "{{ read('missing.sql') }}",
            "flows/etl.yaml:12:13: function 'read': cannot read 'missing.sql': no namespace file 'missing.sql'"
        ),
        (
            "{{ render('{{ nope }}') }}",
            "flows/etl.yaml:12:13: in the text rendered by render() (line 1, column 4): undefined variable 'nope' "
                + "(if it may be missing, use '?? fallback' or '| default(fallback)')"
        ),
        // Secrets
        (
            "{{ secret('nope') }}",
            "flows/etl.yaml:12:13: secret 'nope' is not defined: set SECRET_NOPE (Base64) in the environment or add "
                + "NOPE=... to the secrets file"
        ),
        (
            "{{ secret('broken') }}",
            "flows/etl.yaml:12:13: secret 'broken' in SECRET_BROKEN is not valid Base64: encode it with 'base64 -w0'"
        ),
    ]

    @Test(arguments: corpus)
    func failsWithExactMessage(template: String, expected: String) {
        #expect(Fixtures.outcome(template) == "error: \(expected)", "template: \(template)")
    }

    @Test func corpusIsLargeEnough() {
        #expect(Self.corpus.count >= 25)
    }

    @Test func errorKindsLetCallersReact() throws {
        let cases: [(String, TemplateError.Kind)] = [
            ("{{ nope }}", .undefinedVariable), ("{{ 'a }}", .syntax), ("{{ 1 | nope }}", .unknownName),
            ("{{ 1 / 0 }}", .type), ("{{ secret('nope') }}", .secret), ("{{ read('x') }}", .file),
            ("{{ 1..999999999 }}", .limit),
        ]
        for (template, kind) in cases {
            let error = try #require(Fixtures.error(template), "template: \(template)")
            #expect(error.kind == kind, "template: \(template)")
        }
    }

    @Test func multiLineBlockScalarReportsFileLineAndIndentedColumn() throws {
        // A `|` block whose first content line is flows/etl.yaml:20, indented by 6 columns.
        let origin = SourceLocation(file: "flows/etl.yaml", line: 20, column: 7, blockIndent: 6)
        let template = "echo start\n  {{ vars.regon }}\necho end"
        let error = try #require(Fixtures.error(template, origin: origin))
        #expect(error.location == SourceLocation(file: "flows/etl.yaml", line: 21, column: 17, blockIndent: 6))
        #expect(error.description.hasPrefix("flows/etl.yaml:21:17: undefined variable 'vars.regon'"))
    }

    @Test func firstLineOfScalarShiftsByOriginColumn() throws {
        let origin = SourceLocation(file: "f.yaml", line: 3, column: 15)
        let error = try #require(Fixtures.error("gs://{{ vars.bucket }}/{{ nope }}", origin: origin))
        // `nope` is at template column 27 → file column 15 + 26.
        #expect(error.description.hasPrefix("f.yaml:3:41: undefined variable 'nope' (if it may be missing"))
    }
}
