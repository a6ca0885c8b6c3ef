import Testing

@testable import Templates

/// Table-driven tests of each language feature: (template, expected output).
struct RenderingTests {
    static let cases: [(String, String)] = [
        // Text and untouched strings
        ("plain text, no braces", "plain text, no braces"),
        ("a } alone", "a } alone"),
        ("{ not a tag }", "{ not a tag }"),
        // Literals and output of non-strings (JSON)
        ("{{ 'single' }} {{ \"double\" }}", "single double"),
        ("{{ 'it\\'s' }}", "it's"),
        ("{{ 42 }} {{ 2.5 }} {{ 1.0 }} {{ true }} {{ null }}|", "42 2.5 1.0 true |"),
        ("{{ [1, 'a', null, {'k': 2}] }}", "[1,\"a\",null,{\"k\":2}]"),
        ("{{ {'b': 1, 'a': 2} }}", "{\"b\":1,\"a\":2}"),
        ("{{ vars.nested }}", "{\"deep\":{\"value\":42}}"),
        ("{{ 10000000.0 }} {{ 0.0001 }}", "1.0E7 1.0E-4"),
        // Access
        ("{{ vars.region }}", "europe-west1"),
        ("{{ vars['region'] }}", "europe-west1"),
        ("{{ vars.list[1] }} {{ vars.list.0 }}", "2 1"),
        ("{{ outputs.extract.vars.rows }}", "10"),
        ("{{ outputs.extract.outputFiles['out.txt'] }}", "kestra:///etl/out.txt"),
        ("{{ vars.nested.deep.value }}", "42"),
        // Context variables
        ("{{ flow.id }}/{{ flow.namespace }}/{{ flow.revision }}", "etl/company.team/3"),
        ("{{ execution.id }} {{ task.id }} {{ taskrun.value }} {{ taskrun.iteration }}", "exec123 extract item1 2"),
        ("{{ inputs.name }} {{ labels.team }} {{ envs.region }}", "world data eu"),
        ("{{ workingDir }} {{ bucketPath }}", "/abc123 gs://bucket/abc123"),
        ("{{ envs }}", "{\"region\":\"eu\"}"),
        // Arithmetic and precedence
        ("{{ 1 + 2 * 3 }}", "7"),
        ("{{ (1 + 2) * 3 }}", "9"),
        ("{{ 7 / 2 }} {{ 7 % 3 }} {{ 7.0 / 2 }}", "3 1 3.5"),
        ("{{ -inputs.count + 1 }}", "-4"),
        ("{{ inputs.ratio * 2 }}", "5.0"),
        ("{{ [1] + [2] }}", "[1,2]"),
        // Concatenation
        ("{{ 'a' ~ 1 ~ true ~ null }}", "a1true"),
        ("{{ 'x' ~ vars.list }}", "x[1,2,3]"),
        // Comparisons and logic
        ("{{ 1 == 1.0 }} {{ 'a' != 'b' }} {{ 2 > 1 }} {{ 2 <= 1 }} {{ 'a' < 'b' }}", "true true true false true"),
        ("{{ 1 equals 1 }}", "true"),
        ("{{ not false and false }} {{ not (false and false) }}", "false true"),
        ("{{ vars.list | length is even }} {{ 1 + 1 == 2 is not null }}", "false true"),
        ("{{ true and false }} {{ true or false }} {{ not true }}", "false true false"),
        ("{{ vars.list contains 2 }} {{ 'abc' contains 'b' }} {{ vars.nested contains 'deep' }}", "true true true"),
        (
            "{{ 2 in vars.list }} {{ 'z' not in vars.names }} {{ 'deep' in vars.nested }} {{ 1 + 1 in [2] }}",
            "true true true true"
        ),
        ("{{ inputs.count > 3 ? 'big' : 'small' }}", "big"),
        ("{{ false ? 1 : true ? 2 : 3 }}", "2"),
        // Null coalescing and tests
        ("{{ vars.missing ?? 'fallback' }}", "fallback"),
        ("{{ undefinedThing ?? vars.nothing ?? 'last' }}", "last"),
        ("{{ vars.region ?? 'x' }}", "europe-west1"),
        ("{{ vars.missing.deeper ?? 'ok' }}", "ok"),
        ("{{ vars.nothing ??? 'undefined only' }}|{{ vars.missing ??? 'fallback' }}", "|fallback"),
        ("{{ vars.region is defined }} {{ vars.missing is defined }} {{ nope is not defined }}", "true false true"),
        ("{{ vars.nothing is null }} {{ vars.region is null }}", "true false"),
        ("{{ vars.blank is empty }} {{ [] is empty }} {{ vars.list is not empty }}", "true true true"),
        ("{{ 4 is even }} {{ 3 is odd }} {{ vars.json is json }}", "true true true"),
        // Tags
        ("{% if inputs.count > 3 %}yes{% endif %}", "yes"),
        ("{% if false %}a{% elseif inputs.count == 5 %}b{% else %}c{% endif %}", "b"),
        ("{% if false %}a{% elseif false %}b{% else %}c{% endif %}", "c"),
        (
            "{% for x in vars.list %}{{ loop.index }}:{{ x }}{% if not loop.last %},{% endif %}{% endfor %}",
            "0:1,1:2,2:3"
        ),
        ("{% for x in vars.list %}{% if loop.first %}first={{ x }}{% endif %}{% endfor %}", "first=1"),
        ("{% for x in [] %}x{% else %}empty{% endfor %}", "empty"),
        ("{% for e in {'a': 1, 'b': 2} %}{{ e.key }}={{ e.value }};{% endfor %}", "a=1;b=2;"),
        ("{% for k, v in {'a': 1, 'b': 2} %}{{ k }}{{ v }}{% endfor %}", "a1b2"),
        ("{% for i in 1..3 %}{{ i }}{% endfor %}", "123"),
        ("{% set x = inputs.count * 2 %}{{ x }}", "10"),
        ("{% for i in [1,2] %}{% set inner = i %}{% endfor %}{{ inner ?? 'scoped' }}", "scoped"),
        ("{% raw %}{{ not rendered }}{% endraw %}", "{{ not rendered }}"),
        ("a{# a comment #}b", "ab"),
        // Whitespace control
        ("a   {{- 'b' -}}   c", "abc"),
        ("x\n  {%- if true -%}\n  y\n  {%- endif %}", "xy"),
        ("{%- raw -%}  {{ kept }}  {%- endraw %}", "{{ kept }}"),
        // String filters
        ("{{ 'hello' | upper }} {{ 'HeLLo' | lower }}", "HELLO hello"),
        ("{{ 'hello world' | capitalize }} {{ 'hello big world' | title }}", "Hello world Hello Big World"),
        ("[{{ '  pad  ' | trim }}]", "[pad]"),
        ("{{ 'a-b-c' | replace({'-': '+'}) }} {{ 'aaa' | replace('a', 'b') }}", "a+b+c bbb"),
        ("{{ 'a,b,,c,,' | split(',') }}", "[\"a\",\"b\",\"\",\"c\"]"),
        ("{{ 'a,b,c' | split(',', 2) }}", "[\"a\",\"b,c\"]"),
        ("{{ vars.names | join(', ') }}", "b, a, c"),
        ("{{ 'gs://b/p/f.csv' | startsWith('gs://') }} {{ 'f.csv' | endsWith('.json') }}", "true false"),
        ("{{ 'a.b.c' | substringBefore('.') }} {{ 'a.b.c' | substringAfter('.') }}", "a b.c"),
        ("{{ 'a.b.c' | substringBeforeLast('.') }} {{ 'a.b.c' | substringAfterLast('.') }}", "a.b c"),
        ("{{ 'no-sep' | substringBefore('.') }}|{{ 'no-sep' | substringAfter('.') }}|", "no-sep||"),
        ("{{ 'a\nb\n\nc' | indent(2) }}", "a\n  b\n  \n  c"),
        ("{{ 'a\r\nb' | indent(1, '>') }}", "a\r\n>b"),
        ("{{ 'a\nb' | nindent(2) }}", "\n  a\n  b"),
        ("{{ [' a-b ', {'k': 'c-d'}, 1] | replace({'-': '_'}) }}", "[\" a_b \",{\"k\":\"c_d\"},\"1\"]"),
        ("{{ 'Héllo, Wörld! 2024' | slugify }}", "hello-world-2024"),
        // Collection filters
        ("{{ vars.list | first }} {{ vars.list | last }} {{ 'abc' | first }}", "1 3 a"),
        ("{{ vars.list | length }} {{ 'héllo' | length }} {{ vars.nested | length }}", "3 5 1"),
        ("{{ outputs.extract | keys }} {{ {'a': 1, 'b': 2} | values }}", "[\"vars\",\"outputFiles\"] [1,2]"),
        ("{{ vars.names | sort }} {{ vars.list | reverse }}", "[\"a\",\"b\",\"c\"] [3,2,1]"),
        ("{{ [1,2,3,4,5] | chunk(2) }}", "[[1,2],[3,4],[5]]"),
        ("{{ vars.names | rsort }} {{ [[1, 2], 3, [4]] | flatten }}", "[\"c\",\"b\",\"a\"] [1,2,3,4]"),
        ("{{ [1] | merge([2]) }} {{ {'a': 1, 'b': 2} | merge({'b': 3}) }}", "[1,2] {\"a\":1,\"b\":3}"),
        ("{{ vars.list | slice(1) }} {{ 'héllo' | slice(1, 3) }}", "[2,3] él"),
        ("{{ 'a long sentence' | abbreviate(9) }} {{ 'short' | abbreviate(9) }}", "a long... short"),
        (
            "{{ vars.missing | default('d') }} {{ vars.blank | default('d') }} {{ vars.region | default('d') }}",
            "d d europe-west1"
        ),
        ("{{ vars.missing.deeper | default('deep-default') }}", "deep-default"),
        ("{{ 'x' | json }} {{ vars.list | toJson }} {{ {'a': 'q\"'} | toJson }}", "\"x\" [1,2,3] {\"a\":\"q\\\"\"}"),
        ("{{ '42' | number + 1 }} {{ '2.5' | number }} {{ '7.9' | number('INT') }}", "43 2.5 7"),
        ("{{ -5 | abs }} {{ -2.5 | abs }}", "5 2.5"),
        // Encoding and hashes
        ("{{ 'a b&c=d/é' | urlencode }}", "a+b%26c%3Dd%2F%C3%A9"),
        ("{{ 'a+b%26c' | urldecode }}", "a b&c"),
        ("{{ 'hello' | base64encode }} {{ 'aGVsbG8=' | base64decode }}", "aGVsbG8= hello"),
        ("{{ 'abc' | md5 }}", "900150983cd24fb0d6963f7d28e17f72"),
        ("{{ 'abc' | sha1 }}", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("{{ 'abc' | sha256 }}", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "{{ 'abc' | sha512 }}",
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
                + "454d4423643ce80e2a9ac94fa54ca49f"
        ),
        // Dates
        ("{{ execution.startDate | date('yyyy-MM-dd') }}", "2024-05-01"),
        ("{{ execution.startDate | date(\"yyyy-MM-dd'T'HH:mm:ss.SSSXXX\") }}", "2024-05-01T10:00:00.123Z"),
        ("{{ execution.startDate | date('HH:mm XXX', timeZone='Europe/Paris') }}", "12:00 +02:00"),
        ("{{ execution.startDate | date('EEE d MMM yy, h a') }}", "Wed 1 May 24, 10 AM"),
        ("{{ execution.startDate | date }}", "2024-05-01T10:00:00.123456Z"),
        ("{{ '2024-01-31' | dateAdd(1, 'MONTHS') | date('yyyy-MM-dd') }}", "2024-02-29"),
        ("{{ execution.startDate | dateAdd(-2, 'HOURS') }}", "2024-05-01T08:00:00.123456Z"),
        ("{{ '2024-05-01T12:00:00+02:00' | date('HH:mm') }}", "10:00"),
        ("{{ 0 | date('yyyy-MM-dd HH:mm:ss') }}", "1970-01-01 00:00:00"),
        ("{{ execution.startDate | timestamp }}", "1714557600"),
        (
            "{{ execution.startDate | timestampMilli }} {{ execution.startDate | timestampMicro }}",
            "1714557600123 1714557600123456"
        ),
        ("{{ execution.startDate | timestampNano }}", "1714557600123456000"),
        ("{{ '01/05/2024 14:30' | date('yyyy-MM-dd HH:mm', existingFormat='dd/MM/yyyy HH:mm') }}", "2024-05-01 14:30"),
        (
            "{{ '20240501T023000.25+0200' | date('iso', existingFormat=\"yyyyMMdd'T'HHmmss.SSXX\") }}",
            "2024-05-01T00:30:00.250000Z"
        ),
        ("{{ 'May 1, 2024 2:05 PM' | date('HH:mm', existingFormat='MMM d, yyyy h:mm a') }}", "14:05"),
        ("{{ '01.05.2024' | dateAdd(1, 'DAYS', 'yyyy-MM-dd', existingFormat='dd.MM.yyyy') }}", "2024-05-02"),
        // Functions
        ("{{ now() }}", "2024-05-01T10:00:00.500000Z"),
        ("{{ now() | date('yyyy') }}", "2024"),
        ("{{ now(format='HH:mm', timeZone='America/New_York') }}", "06:00"),
        ("{{ null ?? now() | date('yyyy-MM-dd') }}", "2024-05-01"),
        ("{{ uuid() }}", "00000000-0000-4000-8000-000000000001"),
        (
            "{{ fromJson(vars.json).a[0] }} {{ json('[1,2]')[1] }} {{ fromJson(vars.json) }}",
            "true 2 {\"b\":1,\"a\":[true,null]}"
        ),
        ("{{ vars.template }}", "{{ vars.region }}"),
        ("{{ render(vars.template) }}", "europe-west1"),
        ("{{ read('queries/q.sql') }}", "SELECT 1"),
        ("{{ range(1, 5, 2) }} {{ max(3, 9, 4) }} {{ min(vars.list) }}", "[1,3,5] 9 1"),
        ("{{ secret('short') }}", "abc"),
        ("{{ secret('wrapped') }}", "hunter2-wrapped"),
    ]

    @Test(arguments: cases)
    func renders(template: String, expected: String) {
        #expect(Fixtures.outcome(template) == expected, "template: \(template)")
    }

    @Test func stringWithoutBraceIsReturnedUntouchedEvenIfInvalid() throws {
        // Kestra does not parse such strings, so nothing in them can fail.
        let text = "%} #} }} endif"
        let result = try TemplateEngine.render(text, origin: Fixtures.origin, context: Fixtures.context())
        #expect(result.text == text)
        #expect(!TemplateEngine.needsRendering(text))
    }

    @Test func renderingHappensOnce() throws {
        // A variable holding template syntax is printed as is; only render() evaluates it.
        var context = Fixtures.context()
        context.variables["payload"] = "{{ secret('db_password') }}"
        let result = try TemplateEngine.render("{{ payload }}", origin: Fixtures.origin, context: context)
        #expect(result.text == "{{ secret('db_password') }}")
        #expect(result.secretUses.isEmpty)
    }

    @Test func recursiveRenderStopsWhenStable() throws {
        var context = Fixtures.context()
        context.variables["a"] = "{{ b }}"
        context.variables["b"] = "{{ vars.region }}"
        #expect(try Fixtures.render("{{ render(a) }}", context: context) == "{{ vars.region }}")
        #expect(try Fixtures.render("{{ render(a, recursive=true) }}", context: context) == "europe-west1")
    }

    @Test func parsedTemplateRendersManyTimes() throws {
        let template = try Template.parse("{{ inputs.name | upper }}", origin: Fixtures.origin)
        var context = Fixtures.context()
        #expect(try template.render(in: context).text == "WORLD")
        context.variables["inputs"] = ["name": "again"]
        #expect(try template.render(in: context).text == "AGAIN")
    }
}
