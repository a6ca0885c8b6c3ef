import Foundation

/// Batch v1 enums (google-cloud-batch protobuf numbering), accepted as names or integers, written as names
/// unless the client asked for `enum-encoding=int`.
enum BatchEnum: Sendable {
    case jobState, taskState, destination, provisioningModel, lifecycleAction, schedulingPolicy

    var names: [String] {
        switch self {
        case .jobState:
            return [
                "STATE_UNSPECIFIED", "QUEUED", "SCHEDULED", "RUNNING", "SUCCEEDED", "FAILED", "DELETION_IN_PROGRESS",
                "CANCELLATION_IN_PROGRESS", "CANCELLED",
            ]
        case .taskState:
            return ["STATE_UNSPECIFIED", "PENDING", "ASSIGNED", "RUNNING", "FAILED", "SUCCEEDED", "UNEXECUTED"]
        case .destination: return ["DESTINATION_UNSPECIFIED", "CLOUD_LOGGING", "PATH"]
        case .provisioningModel:
            return [
                "PROVISIONING_MODEL_UNSPECIFIED", "STANDARD", "SPOT", "PREEMPTIBLE", "RESERVATION_BOUND", "FLEX_START",
            ]
        case .lifecycleAction: return ["ACTION_UNSPECIFIED", "RETRY_TASK", "FAIL_TASK"]
        case .schedulingPolicy: return ["SCHEDULING_POLICY_UNSPECIFIED", "AS_SOON_AS_POSSIBLE", "IN_ORDER"]
        }
    }

    /// The name for a value given as a name or an integer; nil when it is neither.
    func name(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text):
            if names.contains(text) { return text }
            if let number = Int(text), names.indices.contains(number) { return names[number] }
            return nil
        case .int(let number):
            return names.indices.contains(Int(number)) ? names[Int(number)] : nil
        default: return nil
        }
    }

    func number(_ name: String) -> Int64 { Int64(names.firstIndex(of: name) ?? 0) }

    /// Rewrites `object[key]` in place to a name (or an integer), throwing a 400 naming `path` if invalid.
    func normalize(_ object: inout [String: JSONValue], _ key: String, path: String, asInteger: Bool = false)
        throws(APIError)
    {
        guard let value = object[key] else { return }
        guard let name = name(value) else {
            throw APIError.invalidArgument(
                "Invalid value at '\(path)' (\(String(describing: value.stringValue ?? "?"))): expected one of "
                    + names.joined(separator: ", "))
        }
        object[key] = asInteger ? .int(number(name)) : .string(name)
    }
}

/// Helpers to rewrite nested JSON objects in place.
extension JSONValue {
    /// Applies `body` to the object at `key` (creating it when `create`), if that value is an object.
    mutating func withObject<T>(
        _ key: String, create: Bool = false, _ body: (inout [String: JSONValue]) throws(APIError) -> T
    ) throws(APIError) -> T? {
        guard case .object(var outer) = self else { return nil }
        var inner: [String: JSONValue]
        if case .object(let existing) = outer[key] ?? .null {
            inner = existing
        } else if create, outer[key] == nil {
            inner = [:]
        } else {
            return nil
        }
        let result = try body(&inner)
        outer[key] = .object(inner)
        self = .object(outer)
        return result
    }

    /// Applies `body` to every object element of the array at `key`.
    mutating func forEachObject(_ key: String, _ body: (Int, inout [String: JSONValue]) throws(APIError) -> Void)
        throws(APIError)
    {
        guard case .object(var outer) = self, case .array(var items) = outer[key] ?? .null else { return }
        for index in items.indices {
            if case .object(var element) = items[index] {
                try body(index, &element)
                items[index] = .object(element)
            }
        }
        outer[key] = .array(items)
        self = .object(outer)
    }
}
