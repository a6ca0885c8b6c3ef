import Foundation

@testable import Templates

/// A deterministic context shared by the table-driven tests.
enum Fixtures {
    static let origin = SourceLocation(file: "flows/etl.yaml", line: 12, column: 10)

    static let environment: [String: String] = [
        "SECRET_DB_PASSWORD": Data("hunter2-very-secret".utf8).base64EncodedString(),
        "SECRET_SHORT": Data("abc".utf8).base64EncodedString(),
        "SECRET_WRAPPED": "aHVudGVy\nMi13cmFw\ncGVk",  // "hunter2-wrapped" split over lines
        "SECRET_BROKEN": "!!not base64!!",
        "ENV_REGION": "eu",
        "PATH": "/usr/bin",
    ]

    static let clock: @Sendable () -> Date = { Date(timeIntervalSince1970: 1_714_557_600.5) }  // 2024-05-01T10:00:00.5Z

    static var run: RunVariables {
        RunVariables(
            flow: .init(id: "etl", namespace: "company.team", revision: 3),
            execution: .init(id: "exec123", startDate: "2024-05-01T10:00:00.123456Z"),
            task: .init(id: "extract", type: "io.kestra.plugin.scripts.shell.Commands", value: "item1", iteration: 2),
            inputs: ["count": 5, "name": "world", "ratio": 2.5],
            outputs: ["extract": ["vars": ["rows": 10], "outputFiles": ["out.txt": "kestra:///etl/out.txt"]]],
            vars: [
                "region": "europe-west1", "bucket": "data", "list": [1, 2, 3], "names": ["b", "a", "c"],
                "nested": ["deep": ["value": 42]], "blank": "  ", "nothing": .null, "template": "{{ vars.region }}",
                "json": "{\"b\":1,\"a\":[true,null]}",
            ],
            labels: ["team": "data"],
            envs: TemplateContext.environmentVariables(from: environment),
            workingDir: "/abc123", bucketPath: "gs://bucket/abc123")
    }

    static func context(files: [String: String] = ["queries/q.sql": "SELECT 1"]) -> TemplateContext {
        TemplateContext(
            variables: run.variables,
            secrets: SecretStore(environment: environment),
            clock: clock,
            makeUUID: { "00000000-0000-4000-8000-000000000001" },
            readNamespaceFile: { path in
                guard let content = files[path] else { throw NamespaceFileMissing(path: path) }
                return content
            })
    }

    struct NamespaceFileMissing: Error, CustomStringConvertible {
        var path: String
        var description: String { "no namespace file '\(path)'" }
    }

    static func render(_ source: String, context: TemplateContext = context()) throws(TemplateError) -> String {
        try TemplateEngine.render(source, origin: origin, context: context).text
    }

    /// The rendered text, or the error's description: lets one table hold both outcomes.
    static func outcome(_ source: String, context: TemplateContext = context()) -> String {
        do {
            return try render(source, context: context)
        } catch {
            return "error: \(error.description)"
        }
    }

    /// The error rendering `source` throws, or nil if it renders.
    static func error(_ source: String, origin: SourceLocation = origin, context: TemplateContext = context())
        -> TemplateError?
    {
        do {
            _ = try TemplateEngine.render(source, origin: origin, context: context)
            return nil
        } catch {
            return error
        }
    }
}
