import Foundation

/// Kestra's checks of an input's value given as text, for the scalar types: the type's format and the input's own
/// constraints (`validator`, `min`/`max`, `after`/`before`, `values`). Structured types (JSON, YAML, ARRAY,
/// MULTISELECT) are parsed by the engine, which checks each item here.
public enum InputValueRules {
    /// Why `text` is not a value of `type` under `constraints`, or nil when it is. The message follows the input's
    /// name ("x is an INT input; …").
    public static func problem(
        _ text: String, type: FlowInput.InputType, constraints: FlowInput.Constraints = .init()
    ) -> String? {
        switch type.canonical {
        case .string:
            if let validator = constraints.validator, !fullMatch(text, validator.value) {
                return "is a STRING input whose value must match the regular expression \(validator.value)"
            }
        case .int:
            guard let value = Int64(text) else {
                if fullMatch(text, #"[+-]?\d+"#) {
                    return "is an INT input and this number is out of range: give a whole number from \(Int64.min) to "
                        + "\(Int64.max)"
                }
                return "is an INT input; give a whole number such as 42 or -7"
            }
            if let min = constraints.min.flatMap({ Int64($0.value) }), value < min {
                return "is an INT input of at least \(min)"
            }
            if let max = constraints.max.flatMap({ Int64($0.value) }), value > max {
                return "is an INT input of at most \(max)"
            }
        case .float:
            guard let value = Double(text), value.isFinite, isDecimal(text) else {
                return "is a FLOAT input; give a finite decimal number such as 3.14, -2 or 6.02e23"
            }
            if let min = constraints.min.flatMap({ Double($0.value) }), value < min {
                return "is a FLOAT input of at least \(constraints.min!.value)"
            }
            if let max = constraints.max.flatMap({ Double($0.value) }), value > max {
                return "is a FLOAT input of at most \(constraints.max!.value)"
            }
        case .boolean:
            if !["true", "false"].contains(text.lowercased()) { return "is a BOOLEAN input; give true or false" }
        case .datetime, .date, .time:
            guard let value = temporal(text, type) else { return "is a \(type.rawValue) input; give \(example(type))" }
            if let after = constraints.after, let bound = temporal(after.value, type), !(value > bound) {
                return "is a \(type.rawValue) input after \(after.value)"
            }
            if let before = constraints.before, let bound = temporal(before.value, type), !(value < bound) {
                return "is a \(type.rawValue) input before \(before.value)"
            }
        case .duration:
            guard text.uppercased().hasPrefix("P") || text.hasPrefix("-P"), let value = ISODuration.parse(text) else {
                return "is a DURATION input; give an ISO-8601 duration such as PT5M, PT1H30M or P1D"
            }
            if let min = constraints.min.flatMap({ ISODuration.parse($0.value) }), value < min {
                return "is a DURATION input of at least \(constraints.min!.value)"
            }
            if let max = constraints.max.flatMap({ ISODuration.parse($0.value) }), value > max {
                return "is a DURATION input of at most \(constraints.max!.value)"
            }
        case .uri:
            guard let url = URL(string: text), let scheme = url.scheme, !scheme.isEmpty,
                !text.contains(where: { $0.isWhitespace })
            else { return "is a URI input; give an absolute URI such as https://example.com/data.csv" }
        case .email:
            if !fullMatch(text, #"[^@\s]+@[^@\s]+\.[^@\s]+"#) {
                return "is an EMAIL input; give an address such as someone@example.com"
            }
        case .enumeration, .select:
            let allowed = constraints.values.map(\.value)
            if !allowed.contains(text) && !(type == .select && constraints.allowCustomValue) {
                return "is a \(type.rawValue) input; give one of \(allowed.joined(separator: ", "))"
            }
        case .multiselect:
            if !constraints.allowCustomValue && !constraints.values.map(\.value).contains(text) {
                return
                    "is a MULTISELECT input whose items are among \(constraints.values.map(\.value).joined(separator: ", "))"
            }
        case .json, .yaml, .array, .file, .secret, .bool:
            break
        }
        return nil
    }

    /// Why the input's own constraints cannot be used (a regular expression that does not compile, a bound that
    /// is not of the input's type, a constraint its type does not have), each with where it is written.
    public static func constraintProblems(
        _ type: FlowInput.InputType, _ constraints: FlowInput.Constraints, input location: SourceLocation
    ) -> [(String, SourceLocation)] {
        var problems: [(String, SourceLocation)] = []
        let canonical = type.canonical
        func only(_ value: Located<String>?, _ name: String, _ types: [FlowInput.InputType]) {
            if let value, !types.contains(canonical) {
                problems.append(
                    (
                        "'\(name)' applies to \(types.map(\.rawValue).joined(separator: ", ")) inputs, not \(type.rawValue)",
                        value.location
                    ))
            }
        }
        only(constraints.validator, "validator", [.string])
        only(constraints.min, "min", [.int, .float, .duration])
        only(constraints.max, "max", [.int, .float, .duration])
        only(constraints.after, "after", [.datetime, .date, .time])
        only(constraints.before, "before", [.datetime, .date, .time])
        if let first = constraints.values.first, ![.enumeration, .select, .multiselect].contains(canonical) {
            problems.append(
                ("'values' applies to ENUM, SELECT and MULTISELECT inputs, not \(type.rawValue)", first.location))
        }
        if let itemType = constraints.itemType {
            if canonical != .array {
                problems.append(("'itemType' applies to ARRAY inputs, not \(type.rawValue)", itemType.location))
            } else if [.array, .file, .secret, .json, .yaml, .multiselect].contains(itemType.value.canonical) {
                problems.append(
                    (
                        "itemType \(itemType.value.rawValue) is not an item type: use STRING, INT, FLOAT, BOOLEAN, "
                            + "DATETIME, DATE, TIME, DURATION, URI, EMAIL, ENUM or SELECT", itemType.location
                    ))
            }
        }
        if let validator = constraints.validator, (try? NSRegularExpression(pattern: validator.value)) == nil {
            problems.append(("validator \(validator.value) is not a valid regular expression", validator.location))
        }
        for bound in [constraints.min, constraints.max].compactMap({ $0 })
        where [.int, .float, .duration].contains(canonical) {
            if let problem = problem(bound.value, type: canonical == .float ? .float : canonical) {
                problems.append(("'\(bound.value)' is not a bound of this input: it \(problem)", bound.location))
            }
        }
        for bound in [constraints.after, constraints.before].compactMap({ $0 }) where temporal(bound.value, type) == nil
        {
            if [.datetime, .date, .time].contains(canonical) {
                problems.append(("'\(bound.value)' is not a \(type.rawValue): give \(example(type))", bound.location))
            }
        }
        if [.enumeration, .select, .multiselect].contains(canonical) && constraints.values.isEmpty {
            problems.append(("a \(type.rawValue) input needs 'values': the list of allowed values", location))
        }
        if canonical == .array && constraints.itemType == nil {
            problems.append(("an ARRAY input needs 'itemType' (for example STRING or INT)", location))
        }
        return problems
    }

    /// A value's text for templates: DATETIME, DATE and TIME as given (checked), others unchanged.
    static func fullMatch(_ text: String, _ pattern: String) -> Bool {
        guard let regex = try? NSRegularExpression(pattern: "^(?:" + pattern + ")$") else { return false }
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    static func example(_ type: FlowInput.InputType) -> String {
        switch type {
        case .datetime: return "an ISO-8601 instant such as 2026-12-07T10:15:30Z"
        case .date: return "an ISO-8601 date such as 2026-12-07"
        default: return "an ISO-8601 time such as 10:15:30"
        }
    }

    /// A comparable form of a DATETIME (seconds since 1970), DATE or TIME (seconds since midnight); nil when the
    /// text is not one.
    static func temporal(_ text: String, _ type: FlowInput.InputType) -> Double? {
        switch type.canonical {
        case .datetime:
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let date = formatter.date(from: text) { return date.timeIntervalSince1970 }
            formatter.formatOptions = [.withInternetDateTime]
            return formatter.date(from: text)?.timeIntervalSince1970
        case .date:
            guard fullMatch(text, #"\d{4}-\d{2}-\d{2}"#) else { return nil }
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withFullDate]
            formatter.timeZone = TimeZone(identifier: "UTC")
            return formatter.date(from: text)?.timeIntervalSince1970
        case .time:
            guard fullMatch(text, #"\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?"#) else { return nil }
            let parts = text.split(separator: ":").map { Double($0) ?? -1 }
            guard parts[0] < 24, parts[1] < 60, parts.count < 3 || parts[2] < 60 else { return nil }
            return parts[0] * 3600 + parts[1] * 60 + (parts.count > 2 ? parts[2] : 0)
        default:
            return nil
        }
    }

    /// Decimal notation only (`-1.5`, `.5`, `2e10`): no `nan`, `inf`, hexadecimal floats or spaces.
    static func isDecimal(_ text: String) -> Bool {
        fullMatch(text, #"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"#)
    }
}
