import Foundation

/// The frame every page of the web UI shares: the head (style sheet, scripts, the CSRF token in a meta tag for
/// the scripts to send back), the navigation and, for a signed-in session, who is signed in and a sign-out form.
struct Layout {
    /// A section of the navigation.
    enum Section: String {
        case executions, flows, audit, none
    }

    /// The token the page's scripts send as `X-CSRF-Token`.
    var csrfToken: String
    /// The signed-in token's name, when the server has a token file.
    var caller: String?

    func page(title: String, section: Section, body: HTML, scripts: [String] = []) -> HTML {
        let links: [(Section, String, String)] = [
            (.executions, "/ui/", "Executions"), (.flows, "/ui/flows", "Flows"), (.audit, "/ui/audit", "Audit"),
        ]
        let nav = HTML.join(
            links.map { entry -> HTML in
                let current: HTML = entry.0 == section ? " aria-current=\"page\"" : ""
                return "<a href=\"\(entry.1)\"\(current)>\(entry.2)</a>"
            })
        let signOut: HTML =
            caller.map {
                """
                <form class="sign-out" method="post" action="/ui/sign-out"><span class="caller">\($0)</span>\
                <input type="hidden" name="csrf" value="\(csrfToken)"><button type="submit">Sign out</button></form>
                """
            } ?? ""
        let scriptTags = HTML.join(
            (["common.js"] + scripts).map { "<script src=\"/ui/assets/\($0)\" defer></script>" })
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="csrf-token" content="\(csrfToken)">
            <title>\(title) · BatchLedger</title>
            <link rel="icon" href="data:,">
            <link rel="stylesheet" href="/ui/assets/app.css">
            \(scriptTags)
            </head>
            <body>
            <header class="top"><a class="brand" href="/ui/">BatchLedger</a><nav>\(nav)</nav>\(signOut)</header>
            <main>
            \(body)
            </main>
            </body>
            </html>

            """
    }

    /// A page that says what went wrong (unknown execution, bad filter).
    func problem(title: String, message: String) -> HTML {
        page(
            title: title, section: .none,
            body:
                """
                <h1>\(title)</h1><p class="problem" role="alert">\(message)</p><p><a href="/ui/">Executions</a></p>
                """
        )
    }
}

/// Small formatting helpers the server-side pages and the scripts agree on.
enum UIFormat {
    /// `value` percent-encoded as one path segment (every character but the unreserved ones).
    static func segment(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(
            CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// `value` percent-encoded for a query component.
    static func query(_ value: String) -> String { segment(value) }

    /// A duration in seconds as the list shows it: `850ms`, `12.3s`, `4m 05s`, `2h 03m` (the script's
    /// `formatDuration` gives the same).
    static func duration(_ seconds: Double) -> String {
        let value = max(0, seconds)
        if value < 1 { return "\(Int(value * 1000))ms" }
        if value < 60 { return String(format: "%.1fs", (value * 10).rounded(.down) / 10) }
        let whole = Int(value)
        if whole < 3600 { return String(format: "%dm %02ds", whole / 60, whole % 60) }
        return String(format: "%dh %02dm", whole / 3600, (whole % 3600) / 60)
    }

    /// A Kestra instant as the list shows it: `2025-01-01 00:00:05Z` (UTC, whole seconds).
    static func instant(_ date: String?) -> String {
        guard let date, date.count >= 19 else { return "" }
        return date.prefix(10) + " " + date.dropFirst(11).prefix(8) + "Z"
    }
}
