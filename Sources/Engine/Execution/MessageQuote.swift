/// A value from outside (a flag, an object name, an imported ledger's field) as a message shows it: in single
/// quotes, control characters escaped so it cannot rewrite the terminal, and cut after `limit` characters so it
/// cannot flood the message.
public enum MessageQuote {
    public static func quoted(_ text: String, limit: Int = 200) -> String {
        var shown = ""
        for scalar in text.unicodeScalars.prefix(limit) {
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                shown += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                shown.unicodeScalars.append(scalar)
            }
        }
        guard text.unicodeScalars.count > limit else { return "'\(shown)'" }
        return "'\(shown)…' (\(text.utf8.count) bytes)"
    }
}
