import Foundation
import Testing

/// `batchledger help X` and `X --help` on an 80-column terminal: every line fits, every option states its
/// default once, and prose is wrapped once, by ArgumentParser (hand-wrapped text that it wraps again leaves lines
/// broken early, often a word or two long).
@Suite("Help texts at 80 columns")
struct HelpTextTests {
    static let width = 80

    /// Every subcommand, and the root command ("").
    static let commands = [
        "", "run", "kill", "recover", "resume", "replay", "fork", "validate", "show", "executions", "logs", "verify",
        "emulator", "events", "audit", "export", "import", "serve", "ledger",
    ]

    /// Both ways of asking for a command's help, each as it prints at COLUMNS=80.
    func helpTexts(_ command: String) throws -> [(asked: String, text: String)] {
        let cli = try CLI()
        let forms = command.isEmpty ? [["--help"], ["help"]] : [[command, "--help"], ["help", command]]
        return try forms.map { arguments in
            let result = try cli.run(arguments, environment: ["COLUMNS": "80", "LINES": "25"])
            #expect(result.status == 0, "batchledger \(arguments.joined(separator: " ")): \(result.stderr)")
            return ("batchledger " + arguments.joined(separator: " "), result.stdout)
        }
    }

    @Test("the subcommands listed are every subcommand the root help names")
    func everySubcommandIsChecked() throws {
        let root = try #require(try helpTexts("").first).text
        let section = root.components(separatedBy: "SUBCOMMANDS:\n").last ?? ""
        let listing = section.split(separator: "\n", omittingEmptySubsequences: false).prefix { !$0.isEmpty }
        let named = listing.compactMap { line -> String? in
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
            return line.split(separator: " ").first.map(String.init)
        }
        #expect(named.sorted() == Self.commands.filter { !$0.isEmpty }.sorted())
    }

    @Test("no line is wider than 80 columns", arguments: commands)
    func linesFit(_ command: String) throws {
        for (asked, text) in try helpTexts(command) {
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) where line.count > Self.width {
                Issue.record("\(asked): \(line.count) columns: \(line)")
            }
        }
    }

    @Test("no option or argument states its default twice", arguments: commands)
    func defaultsOnce(_ command: String) throws {
        for (asked, text) in try helpTexts(command) {
            for entry in Self.entries(text) {
                let count = entry.lowercased().components(separatedBy: "default").count - 1
                #expect(count <= 1, "\(asked): the default said \(count) times in\n\(entry)")
            }
        }
    }

    @Test("no prose line is broken early: the next line's first word would have fitted on it", arguments: commands)
    func wrappedOnce(_ command: String) throws {
        for (asked, text) in try helpTexts(command) {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for (line, next) in zip(lines, lines.dropFirst()) {
                guard let column = Self.textColumn(line), Self.indent(next) == column,
                    Self.wrappedColumns.contains(column), !Self.isPreformatted(line, from: column),
                    let word = next.split(separator: " ").first
                else { continue }
                let words = line.dropFirst(column).split(separator: " ").count
                // ArgumentParser fills a line up to width - 1 columns when more text follows.
                #expect(
                    line.count + 1 + word.count >= Self.width,
                    "\(asked): a line broken early ('\(word)' fits after it):\n\(line)\n\(next)")
                #expect(words > 2, "\(asked): a fragment of \(words) word(s) inside a paragraph:\n\(line)\n\(next)")
            }
        }
    }

    /// The columns ArgumentParser wraps prose at: the overview and discussion (0), an option's discussion (8),
    /// and the abstract column next to option names (26). Text at other indents is laid out by hand (tables,
    /// examples) and left as it is.
    static let wrappedColumns: Set<Int> = [0, 8, 26]

    static func indent(_ line: String) -> Int {
        line.prefix { $0 == " " }.count
    }

    /// Where a line's prose starts: after its indent, or, for an option's first line, in the abstract column.
    static func textColumn(_ line: String) -> Int? {
        guard !line.isEmpty else { return nil }
        let characters = Array(line)
        if indent(line) == 2, characters.count > 26, characters[24] == " ", characters[25] == " ",
            characters[26] != " "
        {
            return 26
        }
        return indent(line)
    }

    /// A line with a run of spaces inside its text is a table row or an aligned example, not prose.
    static func isPreformatted(_ line: String, from column: Int) -> Bool {
        String(line.dropFirst(column)).trimmingCharacters(in: .whitespaces).contains("  ")
    }

    /// Each argument's and option's entry (its name line and the lines under it) in the ARGUMENTS and OPTIONS
    /// sections.
    static func entries(_ text: String) -> [String] {
        var entries: [String] = []
        var current: [Substring] = []
        var inSection = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "ARGUMENTS:" || line == "OPTIONS:" {
                inSection = true
                continue
            }
            if line.isEmpty || !line.hasPrefix(" ") {
                if !current.isEmpty { entries.append(current.joined(separator: "\n")) }
                current = []
                inSection = inSection && line.isEmpty
                continue
            }
            guard inSection else { continue }
            if indent(String(line)) == 2, !current.isEmpty {
                entries.append(current.joined(separator: "\n"))
                current = []
            }
            current.append(line)
        }
        if !current.isEmpty { entries.append(current.joined(separator: "\n")) }
        return entries
    }
}
