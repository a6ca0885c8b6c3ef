import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Builders for the responses the emulator writes.
enum Reply {
    /// A JSON response with the given status.
    static func json(_ value: JSONValue, status: Int = 200, headers: [(String, String)] = []) -> Response {
        var fields = Self.fields(headers)
        fields[.contentType] = "application/json; charset=UTF-8"
        let data = value.encoded()
        return Response(
            status: HTTPResponse.Status(code: status), headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Raw bytes with headers.
    static func bytes(_ data: Data, status: Int = 200, headers: [(String, String)]) -> Response {
        let fields = Self.fields(headers)
        return Response(
            status: HTTPResponse.Status(code: status), headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// An object's bytes, streamed from its file in pieces of 1 MiB.
    static func stream(_ bytes: ObjectBytes, status: Int = 200, headers: [(String, String)]) -> Response {
        let fields = Self.fields(headers)
        let body = ResponseBody(contentLength: Int(bytes.length)) { writer in
            var position: Int64 = 0
            while position < bytes.length {
                let piece = try bytes.read(at: position, count: 1 << 20)
                position += Int64(piece.readableBytes)
                try await writer.write(piece)
            }
            try await writer.finish(nil)
        }
        return Response(status: HTTPResponse.Status(code: status), headers: fields, body: body)
    }

    private static func fields(_ headers: [(String, String)]) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in headers {
            if let field = HTTPField.Name(name) { fields.append(HTTPField(name: field, value: value)) }
        }
        return fields
    }

    /// An empty response (e.g. 204 after a Storage delete).
    static func empty(status: Int, headers: [(String, String)] = []) -> Response {
        bytes(Data(), status: status, headers: headers)
    }

    static func error(_ error: APIError) -> Response {
        json(error.body(), status: error.httpStatus, headers: error.extraHeaders)
    }
}
