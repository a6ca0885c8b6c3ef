import Engine
import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import NIOCore

extension LedgerAPI {
    /// The formats of `batchledger export`, with their content types and file name endings.
    enum ExportKind: String, CaseIterable {
        case ndjson, csv, html

        var contentType: String {
            switch self {
            case .ndjson: return "application/x-ndjson"
            case .csv: return "text/csv; charset=utf-8"
            case .html: return "text/html; charset=utf-8"
            }
        }

        static func parse(_ text: String?, allowed: [ExportKind]) throws -> ExportKind {
            guard let text else { return .ndjson }
            guard let kind = ExportKind(rawValue: text), allowed.contains(kind) else {
                throw APIError.badRequest(
                    "format must be one of \(allowed.map(\.rawValue).joined(separator: ", ")), "
                        + "not \(MessageQuote.quoted(text))"
                        + (text == "html" ? " (html is one page per execution: ask executions/{id}/export)" : ""))
            }
            return kind
        }
    }

    /// `GET executions/{id}/export?format=…`: one execution as `batchledger export ID --format …` writes it.
    func exportExecution(_ id: String, _ request: APIRequest) async throws -> Response {
        try Self.refuseUnknown(request, accepted: ["format"])
        let kind = try ExportKind.parse(request["format"], allowed: ExportKind.allCases)
        try requireExecution(id)
        switch kind {
        case .html:
            let store = store
            let page = try await BlockingWork.run { try TimelinePageBuilder.page(store, id) }
            return Response(
                status: .ok, headers: Self.headers(kind, fileName: ExecutionID.fileName(for: id, suffix: ".html")),
                body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
        case .ndjson, .csv:
            return try stream(
                ExportSelection(executions: [id]), kind,
                fileName: ExecutionID.fileName(for: id, suffix: "." + kind.rawValue))
        }
    }

    /// `GET export?format=ndjson|csv`: the whole ledger as `batchledger export --format …` writes it, streamed.
    func exportLedger(_ request: APIRequest) throws -> Response {
        try Self.refuseUnknown(request, accepted: ["format"])
        let kind = try ExportKind.parse(request["format"], allowed: [.ndjson, .csv])
        return try stream(ExportSelection(), kind, fileName: "ledger." + kind.rawValue)
    }

    /// The export of `selection`, a page of events at a time as the client takes them (`ExportPages`: no read
    /// transaction is held while the response waits on the client).
    private func stream(_ selection: ExportSelection, _ kind: ExportKind, fileName: String) throws -> Response {
        let format: ExportPages.Format =
            kind == .csv
            ? .csv(describe: { event in
                let description = EventDescription(event)
                return (description.taskRun, description.summary)
            }) : .ndjson
        let first: ExportPages
        do {
            first = try ExportPages(store, selection, format: format)
        } catch let error as ExportError {
            throw APIError.notFound("\(error)")
        }
        return Response(
            status: .ok, headers: Self.headers(kind, fileName: fileName),
            body: ResponseBody { writer in
                var pages = first
                while let page = try pages.next() {
                    try await writer.write(ByteBuffer(bytes: page))
                }
                try await writer.finish(nil)
            })
    }

    static func headers(_ kind: ExportKind, fileName: String) -> HTTPFields {
        [
            .contentType: kind.contentType,
            .contentDisposition: "attachment; filename=\"\(fileName)\"",
            HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        ]
    }
}
