import Foundation
import Testing

@testable import Templates

/// The forms in which a job prints a secret: escaped inside JSON, one line of a multi-line value, a number.
struct SecretFormsTests {
    static let pem =
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0\nab\n  q9w0BAQEFAASCBKcwggSj  \n-----END PRIVATE KEY-----\n"

    @Test("each line of a multi-line secret is masked on its own; lines under 4 characters are not")
    func multiLineSecretsAreMaskedLineByLine() {
        let masker = SecretMasker(values: [Self.pem])
        #expect(
            masker.mask("key line: MIIEvQIBADANBgkqhkiG9w0 seen")
                == "key line: \(SecretMasker.mask(for: "MIIEvQIBADANBgkqhkiG9w0")) seen")
        #expect(masker.mask("q9w0BAQEFAASCBKcwggSj") == SecretMasker.mask(for: "q9w0BAQEFAASCBKcwggSj"))
        #expect(masker.mask("-----END PRIVATE KEY-----") == SecretMasker.mask(for: "-----END PRIVATE KEY-----"))
        // "ab" is too short to mask alone (it is in every other word); the whole value is masked wherever it is.
        #expect(masker.mask("about abc") == "about abc")
        #expect(!masker.mask("dump: \(Self.pem)").contains("MIIE"))
    }

    @Test("a secret read with its final line break is masked without it, at any length")
    func trailingLineBreakIsDropped() {
        let masker = SecretMasker(values: ["pw1\n"])
        #expect(masker.mask("password is pw1") == "password is ***")
        #expect(SecretMasker(values: ["e"]).mask("secret") == "s*cr*t")
    }

    @Test("a secret is masked in the escaped forms JSON encoders print it in")
    func jsonEscapedFormsAreMasked() {
        let quoted = SecretMasker(values: [#"pa"ss\wo/rd"#])
        let jsForm = #"pa\"ss\\wo/rd"#
        let foundationForm = #"pa\"ss\\wo\/rd"#
        #expect(quoted.mask("{\"password\": \"\(jsForm)\"}") == "{\"password\": \"\(SecretMasker.mask(for: jsForm))\"}")
        #expect(quoted.mask("[\"\(foundationForm)\"]") == "[\"\(SecretMasker.mask(for: foundationForm))\"]")

        let accented = SecretMasker(values: ["pässwörd"])
        // Python's json.dumps writes non-ASCII as \u escapes by default; Jackson and JSON.stringify as it is.
        let pythonForm = #"p\u00e4ssw\u00f6rd"#
        #expect(accented.mask("[\"\(pythonForm)\"]") == "[\"\(SecretMasker.mask(for: pythonForm))\"]")
        let upperHexForm = #"p\u00E4ssw\u00F6rd"#
        #expect(accented.mask("[\"\(upperHexForm)\"]") == "[\"\(SecretMasker.mask(for: upperHexForm))\"]")
        #expect(accented.mask(#"{"p": "pässwörd"}"#) == #"{"p": "********"}"#)

        let multiLine = SecretMasker(values: ["line-one\nline-two\tend"])
        #expect(!multiLine.mask(#"::{"outputs":{"k":"line-one\nline-two\tend"}}::"#).contains("line-"))

        let control = SecretMasker(values: ["a\u{1}bcd"])
        #expect(control.mask(#""a\u0001bcd""#) == "\"**masked**\"")
        #expect(control.mask(#""a\u0001BCD""#) == #""a\u0001BCD""#)

        let html = SecretMasker(values: ["x<y>&z"])
        #expect(
            html.mask(#""x\u003cy\u003e\u0026z""#) == "\"" + SecretMasker.mask(for: #"x\u003cy\u003e\u0026z"#) + "\"")
    }

    @Test("a number equal to a secret is recognised, whatever its spelling")
    func numbersEqualToSecretsAreRecognised() {
        let masker = SecretMasker(values: ["12345", "not-a-number", "1e3"])
        #expect(masker.matches(number: 12345))
        #expect(masker.matches(number: 1000))
        #expect(!masker.matches(number: 12346))
        #expect(!SecretMasker(values: ["nan", "inf"]).matches(number: .infinity))
        #expect(!SecretMasker().matches(number: 0))
    }

    @Test("a secret use never shows its value, only its name")
    func secretUseHidesItsValue() throws {
        let file = try SecretsFile(contents: "API_KEY=file-secret-value", path: "s.env")
        let rendered = try TemplateEngine.render(
            "{{ secret('api_key') }}", origin: Fixtures.origin,
            context: TemplateContext(secrets: SecretStore(environment: [:], file: file)))
        let use = try #require(rendered.secretUses.first)
        var dumped = ""
        dump(use, to: &dumped)
        for text in [dumped, "\(use)", String(reflecting: use), "\(rendered.secretUses)"] {
            #expect(!text.contains("file-secret-value"), "\(text)")
            #expect(text.contains("API_KEY"))
        }
        #expect(use.digest(using: { String(decoding: $0, as: UTF8.self) }) == "file-secret-value")
    }
}
