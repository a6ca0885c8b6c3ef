import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Reads a request body into memory up to a bound (`LocalCloudLimits.maxRequestBodyBytes`), so no JSON or form
/// request can make the emulator hold more than that.
enum BoundedBody {
    /// The body, or the news that it is larger than the bound.
    enum Outcome: Sendable {
        case complete(Data)
        case tooLarge
    }

    /// Collects the body; stops reading as soon as the declared or received length passes `limit`.
    static func collect(_ request: Request, limit: Int) async throws -> Outcome {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            return .tooLarge
        }
        var collected = ByteBuffer()
        for try await piece in request.body {
            guard piece.readableBytes <= limit - collected.readableBytes else { return .tooLarge }
            var piece = piece
            collected.writeBuffer(&piece)
        }
        return .complete(Data(buffer: collected))
    }

    /// The 413 for `request`, in the error shape of the API it was sent to, naming the bound and how to raise it.
    static func tooLargeError(_ request: IncomingRequest, limit: Int) -> APIError {
        let path = request.rawPath
        let shape: APIError.Shape =
            path.hasPrefix("/storage/") || path.hasPrefix("/download/")
            ? .storage : (path == "/token" || path == "/oauth2/v4/token" ? .oauth : .rpc)
        return APIError.payloadTooLarge(
            "The body of \(request.method) \(APIError.excerpt(path)) is larger than \(describe(bytes: limit)), "
                + "the most LocalCloud reads into memory for a JSON request (LocalCloudLimits.maxRequestBodyBytes); "
                + "send a smaller body, or start the emulator with a higher --max-request-bytes",
            shape: shape)
    }

    /// `8 MiB`, `512 KiB`, `100 bytes`.
    static func describe(bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }
}
