/// The result of rendering a template: the plain text, plus what the engine knows about the secrets in it.
///
/// `text` holds secret values in clear (it goes to the task); anything written to a log, an error or an event
/// should use `masked`, and the ledger should keep `secretUses` (names and keyed digests, never values).
/// `description` and `debugDescription` print the masked text.
public struct RenderedString: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The rendered text, secret values included.
    public let text: String
    /// The secrets `secret()` returned during the render, in first-use order.
    public let secretUses: [SecretUse]
    /// A masker for those secrets' values, to apply to anything derived from `text` (logs, errors, events).
    public let masker: SecretMasker

    init(text: String, secrets: [(name: String, value: String)]) {
        self.text = text
        self.secretUses = secrets.map { SecretUse(name: $0.name, value: $0.value) }
        self.masker = SecretMasker(values: secrets.map(\.value))
    }

    /// A result with no secret in it (a string that was returned unrendered).
    init(plain text: String) {
        self.init(text: text, secrets: [])
    }

    /// Whether a secret was used while rendering.
    public var containsSecrets: Bool { !secretUses.isEmpty }

    /// The text with every secret value replaced by Kestra's mask.
    public var masked: String { masker.mask(text) }

    public var description: String { masked }
    public var debugDescription: String { "RenderedString(\(masked.debugDescription), secrets: \(secretUses))" }

    /// `dump()` and reflection show the masked text only.
    public var customMirror: Mirror { Mirror(self, children: ["masked": masked, "secretUses": secretUses]) }

    public static func == (lhs: RenderedString, rhs: RenderedString) -> Bool {
        lhs.text == rhs.text && lhs.secretUses == rhs.secretUses
    }
}
