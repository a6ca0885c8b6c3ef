/// A value from an untrusted file, made fit for a message: at most `limit` characters (the rest replaced by
/// "…") and control characters escaped, so a crafted export can neither flood a terminal nor drive it.
public enum Excerpt {
    /// The default number of characters kept.
    public static let limit = 200

    /// `text` shortened to `limit` characters, with control characters written as `\u{…}` escapes.
    public static func of(_ text: String, limit: Int = Excerpt.limit) -> String {
        var out = ""
        var kept = 0
        for scalar in text.unicodeScalars {
            if kept >= limit {
                out += "…"
                break
            }
            kept += 1
            if scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}" {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
