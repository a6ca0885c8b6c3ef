import Foundation
import Primitives
import Testing

@testable import Templates

/// Secrets: Kestra's `SECRET_` convention, the secrets file, masking, and the guarantee that no error or
/// description prints a value.
struct SecretTests {
    static let password = "hunter2-very-secret"

    @Test func environmentSecretsAreBase64DecodedAndCaseInsensitive() throws {
        let store = SecretStore(environment: Fixtures.environment)
        #expect(try store.value(of: "db_password") == Self.password)
        #expect(try store.value(of: "DB_Password") == Self.password)
        #expect(try store.value(of: "wrapped") == "hunter2-wrapped")
        #expect(store.names == ["BROKEN", "DB_PASSWORD", "SHORT", "WRAPPED"])
    }

    @Test func missingPaddingIsAcceptedAsJavaDoes() throws {
        let store = SecretStore(environment: ["SECRET_PW": "cHctbm8tcGFkZGluZyE"])
        #expect(try store.value(of: "pw") == "pw-no-padding!")
    }

    @Test func brokenVariableOnlyFailsWhenUsedAndNeverPrintsItsValue() throws {
        let store = SecretStore(environment: ["SECRET_BAD": "%%%leaked-value%%%", "SECRET_GOOD": "b2s="])
        #expect(try store.value(of: "good") == "ok")
        #expect(throws: SecretError.invalidBase64(name: "bad", variable: "SECRET_BAD")) { try store.value(of: "bad") }
        let message = SecretError.invalidBase64(name: "bad", variable: "SECRET_BAD").description
        #expect(!message.contains("leaked-value"))
    }

    @Test func missingSecretNamesItButNotItsNeighbours() throws {
        let error = try #require(Fixtures.error("{{ secret('db_passwrd') }}"))
        #expect(error.kind == .secret)
        #expect(error.message.contains("'db_passwrd'"))
        #expect(error.message.contains("SECRET_DB_PASSWRD"))
        #expect(!error.message.contains(Self.password))
        #expect(!error.message.contains("abc"))
    }

    @Test func secretsFileParsesCommentsBlanksAndEqualsInValues() throws {
        let file = try SecretsFile(
            contents: "# comment\n\nDB_PASSWORD=from-file\r\n  api_key = k=v==\nEMPTY=\n", path: "secrets.env")
        #expect(file.entries == ["DB_PASSWORD": "from-file", "API_KEY": " k=v==", "EMPTY": ""])
    }

    @Test func fileWinsOverEnvironment() throws {
        let file = try SecretsFile(contents: "DB_PASSWORD=from-file", path: "s.env")
        let store = SecretStore(environment: Fixtures.environment, file: file)
        #expect(try store.value(of: "db_password") == "from-file")
        #expect(try store.value(of: "short") == "abc")
    }

    @Test func malformedFileLineNamesFileAndLineWithoutContent() {
        #expect(throws: SecretError.malformedLine(file: "s.env", line: 2, reason: "missing '='")) {
            try SecretsFile(contents: "OK=1\nthis-line-is-a-password\n", path: "s.env")
        }
        let description = SecretError.malformedLine(file: "s.env", line: 2, reason: "missing '='").description
        #expect(
            description == "s.env:2: missing '=': expected NAME=value (the line is not shown, it may hold a secret)")
        #expect(throws: SecretError.self) { try SecretsFile(contents: "=value", path: "s.env") }
        #expect(throws: SecretError.self) { try SecretsFile(contents: "BAD NAME=value", path: "s.env") }
    }

    @Test func maskFollowsKestra() {
        #expect(SecretMasker.mask(for: "abc") == "***")
        #expect(SecretMasker.mask(for: "123456789") == "**masked*")
        #expect(SecretMasker.mask(for: "hunter2-very-secret") == "**masked*" + String(repeating: "*", count: 10))
        #expect(SecretMasker.mask(for: "é😀") == "***")  // Java counts UTF-16 units
    }

    @Test func maskerReplacesEveryOccurrenceLongestFirst() {
        let masker = SecretMasker(values: ["abc", "abcdefghij", "", "*"])
        #expect(masker.mask("x abcdefghij y abc z abcd") == "x **masked** y *** z ***d")
        // `*` is itself a secret: masks already written are not masked again, the lone star is.
        #expect(masker.mask("* and abc") == "* and ***")
        #expect(masker.description == "SecretMasker(3 secrets)")
    }

    @Test func maskerHandlesOverlapsAndMultibyteText() {
        let masker = SecretMasker(values: ["aaa", "pässwörd"])
        #expect(masker.mask("aaaa") == "***a")
        #expect(masker.mask("[pässwörd]") == "[********]")
        #expect(SecretMasker().mask("nothing") == "nothing")
    }

    @Test func renderedStringCarriesUsesAndMasksItsDescriptions() throws {
        let rendered = try TemplateEngine.render(
            "--password={{ secret('db_password') }} --again={{ secret('DB_PASSWORD') }}", origin: Fixtures.origin,
            context: Fixtures.context())
        #expect(rendered.text == "--password=\(Self.password) --again=\(Self.password)")
        #expect(rendered.containsSecrets)
        #expect(rendered.secretUses.map(\.name) == ["DB_PASSWORD"])
        // The value is reachable only through a digest the caller chooses (the engine: HMAC under its key).
        #expect(
            rendered.secretUses.first?.digest(using: { Hex.encode(Digest.of(.sha256, $0)) })
                == "c4ca24390c4f02e16e1e5eb2bf35134105f400a903fde0d89ccf7e5913508fbb")
        let mask = SecretMasker.mask(for: Self.password)
        #expect(rendered.masked == "--password=\(mask) --again=\(mask)")
        #expect(!"\(rendered)".contains(Self.password))
        #expect(!String(reflecting: rendered).contains(Self.password))
        #expect(!"\(rendered.secretUses)".contains(Self.password))
        #expect(rendered.masker.mask("log: \(Self.password)") == "log: \(mask)")
    }

    @Test func errorsAfterASecretWasResolvedAreMasked() throws {
        let error = try #require(Fixtures.error("{{ secret('db_password') | number }}"))
        let mask = SecretMasker.mask(for: Self.password)
        #expect(error.message == "filter 'number': '\(mask)' is not a number")
        #expect(!error.description.contains(Self.password))
    }

    @Test func callersMaskErrorsWithTheRunWideMasker() throws {
        // The value reaches the error through a variable, not through secret(): only the caller's masker knows it.
        var context = Fixtures.context()
        context.variables["leak"] = .string(Self.password)
        let error = try #require(Fixtures.error("{{ leak | number }}", context: context))
        #expect(error.message.contains(Self.password))
        let masked = error.masked(by: SecretMasker(values: [Self.password]))
        #expect(!masked.description.contains(Self.password))
        #expect(masked.location == error.location && masked.kind == error.kind)
    }

    @Test func plainStringsCarryNoSecret() throws {
        let rendered = try TemplateEngine.render("no braces", origin: Fixtures.origin, context: Fixtures.context())
        #expect(!rendered.containsSecrets)
        #expect(rendered.masked == "no braces")
    }

    @Test func secretCarryingTypesNeverPrintValues() throws {
        let file = try SecretsFile(contents: "API_KEY=file-secret-value", path: "s.env")
        let store = SecretStore(environment: Fixtures.environment, file: file)
        let rendered = try TemplateEngine.render(
            "{{ secret('api_key') }}", origin: Fixtures.origin,
            context: TemplateContext(secrets: store))
        let masker = rendered.masker
        var dumps: [String] = []
        for value in [store, file, masker, rendered] as [Any] {
            var text = ""
            dump(value, to: &text)
            dumps.append(text)
            dumps.append(String(describing: value))
            dumps.append(String(reflecting: value))
        }
        var contextDump = ""
        dump(TemplateContext(secrets: store), to: &contextDump)
        dumps.append(contextDump)
        for text in dumps {
            #expect(!text.contains("file-secret-value"), "\(text)")
            #expect(!text.contains(Self.password), "\(text)")
        }
        #expect(store.description == "SecretStore(API_KEY, BROKEN, DB_PASSWORD, SHORT, WRAPPED)")
    }
}
