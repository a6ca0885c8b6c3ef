import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The web UI's answers, each with the same protective headers: a Content-Security-Policy that runs only the
/// scripts served from `/ui/assets/` (no inline script, no `eval`) and forbids framing, `nosniff`, no referrer,
/// and no caching of pages that show the ledger.
enum UIResponse {
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

    static func headers(contentType: String, cache: String = "no-store") -> HTTPFields {
        [
            .contentType: contentType,
            .contentSecurityPolicy: contentSecurityPolicy,
            HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            HTTPField.Name("X-Frame-Options")!: "DENY",
            HTTPField.Name("Referrer-Policy")!: "no-referrer",
            HTTPField.Name("Cross-Origin-Opener-Policy")!: "same-origin",
            HTTPField.Name("Cross-Origin-Resource-Policy")!: "same-origin",
            .cacheControl: cache,
        ]
    }

    /// A page.
    static func page(_ html: HTML, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: headers(contentType: "text/html; charset=utf-8"),
            body: ResponseBody(byteBuffer: ByteBuffer(string: html.text)))
    }

    /// JSON for the UI's own scripts.
    static func json(_ data: Data, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: headers(contentType: "application/json"),
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A JSON error in Kestra's shape.
    static func error(_ error: APIError, path: String) -> Response {
        json(error.body(path: path), status: HTTPResponse.Status(code: error.status))
    }

    /// 303 to `location` (a path of this server).
    static func redirect(_ location: String, setCookie: String? = nil) -> Response {
        var fields = headers(contentType: "text/plain; charset=utf-8")
        fields[.location] = location
        if let setCookie { fields[.setCookie] = setCookie }
        return Response(status: .seeOther, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer()))
    }

    /// A script or the style sheet, which may be cached (revalidated by its ETag).
    static func asset(_ asset: UIAsset, ifNoneMatch: String?) -> Response {
        var fields = headers(contentType: asset.contentType, cache: "no-cache")
        fields[.eTag] = asset.etag
        if ifNoneMatch == asset.etag {
            return Response(status: .notModified, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer()))
        }
        return Response(
            status: .ok, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: asset.body)))
    }
}
