import Foundation

/// An error answer from a Google API (or the emulator), in one shape for all of them: the `google.rpc.Status` body
/// of Batch and Logging, the legacy body of Cloud Storage, and OAuth's `{"error", "error_description"}`.
public struct GoogleAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// "Batch", "Cloud Storage", "Cloud Logging" or "OAuth".
    public var service: String
    /// The API method, e.g. "jobs.create".
    public var method: String
    /// The resource, e.g. "projects/p/locations/r/jobs?jobId=…".
    public var resource: String
    public var httpStatus: Int
    /// The canonical status name (`PERMISSION_DENIED`), from the body or derived from the HTTP status.
    public var status: String
    /// The machine-readable reason (`SERVICE_DISABLED`, `notFound`, `invalid_grant` …), when the body has one.
    public var reason: String?
    public var message: String

    public init(
        service: String, method: String, resource: String, httpStatus: Int, status: String? = nil,
        reason: String? = nil, message: String
    ) {
        self.service = service
        self.method = method
        self.resource = resource
        self.httpStatus = httpStatus
        self.status = status ?? Self.statusName(httpStatus)
        self.reason = reason
        self.message = message
    }

    public var description: String {
        var text = "\(service) \(method) \(resource): \(httpStatus) \(status): \(message)"
        if let hint { text += " (\(hint))" }
        return text
    }

    /// What to do about the common failures.
    public var hint: String? {
        let lowered = message.lowercased()
        let api: String
        switch service {
        case "Batch": api = "batch.googleapis.com"
        case "Cloud Storage": api = "storage.googleapis.com"
        case "Cloud Logging": api = "logging.googleapis.com"
        case "IAM Credentials": api = "iamcredentials.googleapis.com"
        default: api = ""
        }
        if reason == "SERVICE_DISABLED" || lowered.contains("has not been used in project")
            || lowered.contains("it is disabled")
        {
            return "enable the API: gcloud services enable \(api) --project PROJECT"
        }
        switch httpStatus {
        case 401:
            return "the credentials were refused: check the service account key, or run "
                + "gcloud auth application-default login"
        case 403:
            switch service {
            case "Batch":
                return "grant the caller roles/batch.jobsEditor and roles/iam.serviceAccountUser on the job's "
                    + "service account"
            case "Cloud Storage": return "grant the caller roles/storage.objectAdmin on the bucket"
            case "Cloud Logging": return "grant the caller roles/logging.viewer"
            case "IAM Credentials":
                return "grant the caller roles/iam.serviceAccountTokenCreator on the impersonated service account"
            default: return nil
            }
        case 404 where service == "Cloud Storage" && lowered.contains("bucket"):
            return "the bucket does not exist: create it, or fix the flow's bucket"
        case 429:
            return "quota exceeded: retries were exhausted; wait, or request a higher quota"
        default:
            return nil
        }
    }

    /// Parses an error body. Anything unparseable becomes a message made of the body's first line.
    static func parse(
        _ response: HTTPResponse, service: String, method: String, resource: String
    ) -> GoogleAPIError {
        var status: String?
        var reason: String?
        var message: String?
        if let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any] {
            if let error = object["error"] as? [String: Any] {
                status = error["status"] as? String
                message = error["message"] as? String
                if let details = error["details"] as? [[String: Any]] {
                    reason = details.compactMap { $0["reason"] as? String }.first
                }
                if reason == nil, let errors = error["errors"] as? [[String: Any]] {
                    reason = errors.compactMap { $0["reason"] as? String }.first
                }
            } else if let code = object["error"] as? String {
                // OAuth: {"error": "invalid_grant", "error_description": "…"}
                reason = code
                message = (object["error_description"] as? String) ?? code
            }
        }
        if message == nil {
            let text = String(decoding: response.body.prefix(300), as: UTF8.self)
                .split(separator: "\n").first.map(String.init)?.trimmingCharacters(in: .whitespaces)
            message = (text?.isEmpty ?? true) ? "no error details in the answer" : text
        }
        return GoogleAPIError(
            service: service, method: method, resource: resource, httpStatus: response.status, status: status,
            reason: reason, message: message ?? "")
    }

    /// google.rpc.Code names for HTTP statuses.
    static func statusName(_ http: Int) -> String {
        switch http {
        case 400: return "INVALID_ARGUMENT"
        case 401: return "UNAUTHENTICATED"
        case 403: return "PERMISSION_DENIED"
        case 404: return "NOT_FOUND"
        case 409: return "ALREADY_EXISTS"
        case 412: return "FAILED_PRECONDITION"
        case 429: return "RESOURCE_EXHAUSTED"
        case 499: return "CANCELLED"
        case 500: return "INTERNAL"
        case 501: return "UNIMPLEMENTED"
        case 503: return "UNAVAILABLE"
        case 504: return "DEADLINE_EXCEEDED"
        default: return "HTTP_\(http)"
        }
    }
}
