import Foundation
import Templates
import Testing

/// `read(path)` errors name the path and the template's location, without echoing a huge or hostile argument.
@Suite struct ReadPathMessageTests {
    struct Refused: Error, CustomStringConvertible {
        var description: String { "it resolves outside the namespace folder" }
    }

    func context() -> TemplateContext {
        TemplateContext(readNamespaceFile: { _ in throw Refused() })
    }

    @Test("a refused read names the file and why, at the template's location")
    func refusedReadIsLocated() throws {
        let error = try #require(Fixtures.error("{{ read('link.txt') }}", context: context()))
        #expect(error.kind == .file)
        #expect(
            error.description
                == "flows/etl.yaml:12:13: function 'read': cannot read 'link.txt': it resolves outside the namespace "
                + "folder")
    }

    @Test("a long path is quoted in at most 200 characters, with its size")
    func longPathIsCut() throws {
        let path = String(repeating: "a/", count: 5_000)
        let error = try #require(Fixtures.error("{{ read('\(path)') }}", context: context()))
        #expect(error.message.count < 400, "\(error.message.count) characters")
        #expect(error.message.contains("…' (10000 bytes)"))
        let unavailable = try #require(Fixtures.error("{{ read('\(path)') }}", context: TemplateContext()))
        #expect(unavailable.message.count < 400)
    }

    @Test("control characters in the path are escaped, so a message cannot rewrite the terminal")
    func controlCharactersAreEscaped() throws {
        let error = try #require(
            Fixtures.error(
                "{{ read(p) }}",
                context: {
                    var context = context()
                    context.variables["p"] = .string("x\u{1B}[2J\ny")
                    return context
                }()))
        #expect(error.message.contains("cannot read 'x\\u{1b}[2J\\u{a}y'"), "\(error.message)")
        #expect(!error.message.contains("\u{1B}"))
    }
}
