/// How `read(path)` names its path in an error: quoted, control characters escaped, and cut after
/// `quotedPathLength` characters, so a long or hostile argument cannot flood a message.
extension Evaluator {
    static let quotedPathLength = 200

    static func quotedPath(_ path: String) -> String {
        var text = ""
        for scalar in path.unicodeScalars.prefix(quotedPathLength) {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                text += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                text.unicodeScalars.append(scalar)
            }
        }
        guard path.unicodeScalars.count > quotedPathLength else { return "'\(text)'" }
        return "'\(text)…' (\(path.utf8.count) bytes)"
    }
}
