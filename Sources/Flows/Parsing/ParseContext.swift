/// State shared while one flow file is turned into a model: the file name and the diagnostics so far.
final class ParseContext {
    let file: String
    private(set) var sink = DiagnosticSink()

    init(file: String) {
        self.file = file
    }

    func error(_ message: String, at location: SourceLocation) {
        sink.error(message, at: location)
    }

    func warning(_ message: String, at location: SourceLocation) {
        sink.warning(message, at: location)
    }

    var diagnostics: [FlowDiagnostic] { sink.diagnostics }
}
