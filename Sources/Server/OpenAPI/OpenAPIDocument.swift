import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The OpenAPI document of everything `serve` answers under `/api/v1/main/`: `openapi/batchledger.json`, built
/// into the binary (`OpenAPIDocument+Embedded.swift`, written by `Tools/openapi/embed.sh`) and served at
/// `GET /api/v1/openapi.json`.
///
/// It is served without a token, as Kestra serves its own specification: it describes the routes and holds
/// nothing of the ledger.
public enum OpenAPIDocument {
    /// Where the server answers it (outside the tenant's paths).
    public static let path = "/api/v1/openapi.json"

    /// The document's bytes, exactly those of `openapi/batchledger.json`.
    public static let bytes = Data(text.utf8)

    /// Whether `segments` (a request path's, percent-decoded) are the document's path.
    static func isRequested(_ segments: [String]) -> Bool {
        segments == ["api", "v1", "openapi.json"]
    }

    /// The answer to `GET /api/v1/openapi.json`.
    static func response() -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
