import Testing

@testable import Templates

/// A script block as a real flow writes it, rendered end to end (golden output), and the masking a caller applies
/// to what it logs.
struct RealisticFlowTests {
    static let script = """
        #!/bin/bash
        set -euo pipefail
        {#- Kestra-style script for a Batch task #}
        echo "Run {{ execution.id }} of {{ flow.namespace }}.{{ flow.id }} (rev {{ flow.revision }})"
        export DB_PASSWORD='{{ secret('db_password') }}'
        cd {{ workingDir }}
        {% for name in vars.names | sort -%}
        echo "{{ loop.index + 1 }}/{{ loop.length }} {{ name | upper }}{{ loop.last ? '.' : ',' }}"
        {% endfor -%}
        {% if outputs.extract.vars.rows > 0 -%}
        echo "{{ outputs.extract.vars.rows }} rows in {{ outputs.extract.outputFiles['out.txt'] }}"
        {% else -%}
        echo "no rows"
        {% endif -%}
        gsutil cp result.csv {{ bucketPath }}/{{ execution.startDate | date('yyyy/MM/dd') }}/{{ taskrun.value | slugify }}.csv
        echo '{% raw %}{{ left as is }}{% endraw %}'
        echo "region={{ envs.region ?? vars.region }} output={{ outputDir ?? 'disabled' }}"
        """

    static let expected = """
        #!/bin/bash
        set -euo pipefail
        echo "Run exec123 of company.team.etl (rev 3)"
        export DB_PASSWORD='hunter2-very-secret'
        cd /abc123
        echo "1/3 A,"
        echo "2/3 B,"
        echo "3/3 C."
        echo "10 rows in kestra:///etl/out.txt"
        gsutil cp result.csv gs://bucket/abc123/2024/05/01/item1.csv
        echo '{{ left as is }}'
        echo "region=eu output=disabled"
        """

    @Test func scriptRendersToGoldenOutput() throws {
        let origin = SourceLocation(file: "flows/etl.yaml", line: 30, column: 11, blockIndent: 10)
        let rendered = try TemplateEngine.render(Self.script, origin: origin, context: Fixtures.context())
        #expect(rendered.text == Self.expected)
        #expect(rendered.secretUses.map(\.name) == ["DB_PASSWORD"])
        #expect(rendered.masked.contains("export DB_PASSWORD='**masked***********'"))
        #expect(!rendered.masked.contains("hunter2"))
    }

    @Test func errorDeepInTheScriptPointsAtItsFileLine() throws {
        let origin = SourceLocation(file: "flows/etl.yaml", line: 30, column: 11, blockIndent: 10)
        let broken = Self.script.replacingOccurrences(of: "{{ bucketPath }}", with: "{{ bucketPth }}")
        let error = try #require(Fixtures.error(broken, origin: origin))
        // Line 15 of the script (index 14) is file line 44; `bucketPth` is at column 25 of that line, after 10 columns of indentation.
        #expect(
            error.description == "flows/etl.yaml:44:35: undefined variable 'bucketPth' (did you mean 'bucketPath'?)")
    }
}
