/// Why a secret could not be loaded or resolved. Never carries a secret's value.
public enum SecretError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No `SECRET_<NAME>` variable and no `NAME=` line in the secrets file.
    case notDefined(name: String)
    /// The `SECRET_<NAME>` variable does not hold valid Base64.
    case invalidBase64(name: String, variable: String)
    /// A line of the secrets file is not `NAME=value`.
    case malformedLine(file: String, line: Int, reason: String)
    /// The secrets file could not be read.
    case unreadableFile(path: String, reason: String)

    /// What failed and what to do, without any value.
    public var description: String {
        switch self {
        case .notDefined(let name):
            let upper = name.uppercased()
            return "secret '\(name)' is not defined: set SECRET_\(upper) (Base64) in the environment "
                + "or add \(upper)=... to the secrets file"
        case .invalidBase64(let name, let variable):
            return "secret '\(name)' in \(variable) is not valid Base64: encode it with 'base64 -w0'"
        case .malformedLine(let file, let line, let reason):
            return "\(file):\(line): \(reason): expected NAME=value (the line is not shown, it may hold a secret)"
        case .unreadableFile(let path, let reason):
            return "cannot read the secrets file \(path): \(reason): check the --secrets-file path and its permissions"
        }
    }
}
