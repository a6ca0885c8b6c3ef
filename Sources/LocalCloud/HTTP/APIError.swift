import Foundation

/// An error answered over HTTP, in the shape of the API that raised it.
struct APIError: Error, Sendable {
    /// Which error body to write: google.rpc.Status (Batch, Logging) or the legacy Storage shape.
    enum Shape: Sendable { case rpc, storage, oauth }

    var httpStatus: Int
    var status: String
    var message: String
    var reason: String
    var shape: Shape = .rpc
    var extraHeaders: [(String, String)] = []

    static func invalidArgument(_ message: String, shape: Shape = .rpc) -> APIError {
        APIError(httpStatus: 400, status: "INVALID_ARGUMENT", message: message, reason: "invalid", shape: shape)
    }

    static func notFound(_ message: String, shape: Shape = .rpc) -> APIError {
        APIError(httpStatus: 404, status: "NOT_FOUND", message: message, reason: "notFound", shape: shape)
    }

    static func alreadyExists(_ message: String) -> APIError {
        APIError(httpStatus: 409, status: "ALREADY_EXISTS", message: message, reason: "alreadyExists")
    }

    static func preconditionFailed(_ message: String, location: String) -> APIError {
        APIError(
            httpStatus: 412, status: "FAILED_PRECONDITION", message: message, reason: "conditionNotMet",
            shape: .storage)
    }

    static func unauthenticated(_ message: String) -> APIError {
        APIError(httpStatus: 401, status: "UNAUTHENTICATED", message: message, reason: "authError")
    }

    /// 429 RESOURCE_EXHAUSTED: one of the emulator's stores is full (`LocalCloudLimits`).
    static func resourceExhausted(_ message: String, shape: Shape = .rpc) -> APIError {
        APIError(
            httpStatus: 429, status: "RESOURCE_EXHAUSTED", message: message, reason: "rateLimitExceeded", shape: shape)
    }

    /// 413: a request body larger than the emulator reads into memory.
    static func payloadTooLarge(_ message: String, shape: Shape = .rpc) -> APIError {
        APIError(
            httpStatus: 413, status: "INVALID_ARGUMENT", message: message, reason: "requestTooLarge", shape: shape)
    }

    /// Client text quoted in an error message, cut to `limit` characters so an error never echoes a whole body.
    static func excerpt(_ text: String, limit: Int = 120) -> String {
        text.count <= limit ? text : String(text.prefix(limit)) + "…"
    }

    /// The google.rpc.Code name for an HTTP status, used by injected faults.
    static func statusName(for code: Int) -> String {
        switch code {
        case 400: return "INVALID_ARGUMENT"
        case 401: return "UNAUTHENTICATED"
        case 403: return "PERMISSION_DENIED"
        case 404: return "NOT_FOUND"
        case 409: return "ABORTED"
        case 412: return "FAILED_PRECONDITION"
        case 413: return "INVALID_ARGUMENT"
        case 429: return "RESOURCE_EXHAUSTED"
        case 499: return "CANCELLED"
        case 501: return "UNIMPLEMENTED"
        case 503: return "UNAVAILABLE"
        case 504: return "DEADLINE_EXCEEDED"
        default: return code >= 500 ? "INTERNAL" : "UNKNOWN"
        }
    }

    /// The JSON body for this error.
    func body() -> JSONValue {
        switch shape {
        case .rpc:
            return .object([
                "error": .object([
                    "code": .int(Int64(httpStatus)), "message": .string(message), "status": .string(status),
                    "details": .array([
                        .object([
                            "@type": .string("type.googleapis.com/google.rpc.ErrorInfo"),
                            "reason": .string(reason), "domain": .string("localcloud.emulator"),
                        ])
                    ]),
                ])
            ])
        case .storage:
            return .object([
                "error": .object([
                    "code": .int(Int64(httpStatus)), "message": .string(message),
                    "errors": .array([
                        .object([
                            "message": .string(message), "domain": .string("global"), "reason": .string(reason),
                        ])
                    ]),
                ])
            ])
        case .oauth:
            return .object(["error": .string(reason), "error_description": .string(message)])
        }
    }
}
