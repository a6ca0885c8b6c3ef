/// Why a template could not be parsed or rendered, and where.
///
/// `description` reads `flows/x.yaml:12:17: undefined variable 'vars.regon' (did you mean 'vars.region'?)`.
/// Messages never contain a secret's value: the engine masks the secrets resolved so far before it throws.
public struct TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The family of an error, for callers that react differently (for example to a missing secret).
    public enum Kind: String, Sendable, Equatable {
        /// The template text is malformed: bad token, unclosed tag, unexpected token.
        case syntax
        /// A variable or attribute is not defined (strict mode).
        case undefinedVariable
        /// A filter, function, test or tag that the engine does not know.
        case unknownName
        /// A value of the wrong type, a bad argument, a division by zero, an overflow.
        case type
        /// `secret()` failed: missing secret, bad Base64.
        case secret
        /// A limit was hit: nesting depth, size, evaluation steps.
        case limit
        /// `read()` failed or is not available.
        case file
    }

    /// The family of the error.
    public var kind: Kind
    /// The position in the flow file of the token that caused the error.
    public var location: SourceLocation
    /// What failed and, when there is one, what to do about it.
    public var message: String

    /// An error of `kind` at `location`.
    public init(_ kind: Kind, at location: SourceLocation, _ message: String) {
        self.kind = kind
        self.location = location
        self.message = message
    }

    /// `file:line:column: message`.
    public var description: String { "\(location): \(message)" }

    /// The same error with every value known to `masker` masked in its message. The engine already masks the
    /// secrets of the failing render; callers apply the run-wide masker before logging or recording an error.
    public func masked(by masker: SecretMasker) -> TemplateError {
        TemplateError(kind, at: location, masker.mask(message))
    }
}
