import Ledger

/// A value from outside (a flag, an object name, an imported ledger's field) as a message shows it: in single
/// quotes, control characters escaped so it cannot rewrite the terminal, and cut after `limit` characters so it
/// cannot flood the message (`Excerpt` does both; this adds the quotes and, when cut, the value's size).
public enum MessageQuote {
    public static func quoted(_ text: String, limit: Int = Excerpt.limit) -> String {
        let shown = Excerpt.of(text, limit: limit)
        guard text.unicodeScalars.count > limit else { return "'\(shown)'" }
        return "'\(shown)' (\(text.utf8.count) bytes)"
    }
}
