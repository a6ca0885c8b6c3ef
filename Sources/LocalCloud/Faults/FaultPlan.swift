import Foundation

/// What faults the emulator injects, parsed from `--faults SPEC` and `--fault-rate R`.
///
/// Grammar (rules separated by `,` or `;`, whitespace ignored):
/// ```
/// METHOD=STATUS            every call of METHOD answers STATUS (e.g. jobs.get=503)
/// METHOD=STATUSxN          the first N calls answer STATUS     (jobs.create=503x2)
/// METHOD=STATUS@R          a random fraction R in [0,1]         (jobs.get=429@0.3)
/// METHOD=STATUS#I+J+K      the calls numbered I, J, K (1-based) (objects.insert=500#2+4)
/// METHOD=drop[xN|@R|#I+J]  perform the call, then drop the connection without answering
/// METHOD=latency:D         delay every call by D (500ms, 2s, 1.5s)
/// job:KIND[@PREFIX][/D]    KIND = preempt (exit 50001), vm-lost (exit 50002), stuck-queued;
///                          without PREFIX it applies to the next job created, with it to every job whose
///                          id starts with PREFIX; D = how long the job runs before it happens (default 0s)
/// ```
/// METHOD is an API method name as counted in `/_emulator/stats` (`jobs.create`, `jobs.get`, `jobs.list`,
/// `jobs.delete`, `jobs.cancel`, `tasks.list`, `tasks.get`, `operations.get`, `buckets.insert`, `buckets.get`,
/// `objects.insert`, `objects.get`, `objects.download`, `objects.list`, `objects.delete`, `entries.list`,
/// `token`), or `*` for every method.
public struct FaultPlan: Sendable, Equatable {
    /// One targeted rule.
    public struct MethodRule: Sendable, Equatable {
        /// How a rule chooses the calls it hits.
        public enum Trigger: Sendable, Equatable {
            case always
            case firstCalls(Int)
            case rate(Double)
            case calls(Set<Int>)
        }

        /// What happens to a hit call.
        public enum Effect: Sendable, Equatable {
            case status(Int)
            case drop
            case latency(Duration)
        }

        /// The method name (`jobs.create`) or `*`.
        public var method: String
        /// What happens to a hit call.
        public var effect: Effect
        /// Which calls are hit.
        public var trigger: Trigger

        /// A rule for `method`.
        public init(method: String, effect: Effect, trigger: Trigger) {
            self.method = method
            self.effect = effect
            self.trigger = trigger
        }
    }

    /// A fault that happens to a job rather than to a request.
    public struct JobRule: Sendable, Equatable {
        /// The kinds of job faults.
        public enum Kind: String, Sendable, Equatable {
            case preempt
            case vmLost = "vm-lost"
            case stuckQueued = "stuck-queued"
        }

        /// Which fault.
        public var kind: Kind
        /// nil: the next job created (once); otherwise every job whose id starts with it.
        public var jobIDPrefix: String?
        /// How long the task runs before the fault happens.
        public var after: Duration

        /// A job fault.
        public init(kind: Kind, jobIDPrefix: String?, after: Duration) {
            self.kind = kind
            self.jobIDPrefix = jobIDPrefix
            self.after = after
        }
    }

    /// Faults on requests, in the order given.
    public var methodRules: [MethodRule] = []
    /// Faults on jobs.
    public var jobRules: [JobRule] = []
    /// `--fault-rate`: fraction of all API requests answered with 429, 500 or 503 (some connections dropped).
    public var randomRate: Double = 0

    /// No faults.
    public static let none = FaultPlan()

    /// A plan from rules (see `parse` for the text form).
    public init(methodRules: [MethodRule] = [], jobRules: [JobRule] = [], randomRate: Double = 0) {
        self.methodRules = methodRules
        self.jobRules = jobRules
        self.randomRate = randomRate
    }

    /// Parses `--faults SPEC`; the error names the rule and what is wrong with it.
    public static func parse(_ spec: String, randomRate: Double = 0) throws -> FaultPlan {
        guard (0...1).contains(randomRate) else {
            throw LocalCloudError.faultSpec("--fault-rate must be between 0 and 1, got \(randomRate)")
        }
        var plan = FaultPlan(randomRate: randomRate)
        let rules = spec.split(whereSeparator: { $0 == "," || $0 == ";" })
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for rule in rules {
            if rule.hasPrefix("job:") {
                plan.jobRules.append(try parseJobRule(rule))
            } else {
                plan.methodRules.append(try parseMethodRule(rule))
            }
        }
        return plan
    }

    /// The longest fault duration (latency, or time before a job fault): one day.
    static let maxDurationMilliseconds: Int64 = 86_400_000

    /// `500ms`, `2s`, `1.5s`, `3m`: a decimal number (no sign, exponent, `inf` or `nan`) and a unit, at most a day.
    static func parseDuration(_ text: String, rule: String) throws -> Duration {
        let units: [(String, Double)] = [("ms", 1), ("s", 1000), ("m", 60_000)]
        guard let (suffix, scale) = units.first(where: { text.hasSuffix($0.0) }) else {
            throw LocalCloudError.faultSpec(
                "rule '\(rule)': '\(text)' is not a duration; write e.g. 500ms, 2s, 1.5s or 3m")
        }
        let number = text.dropLast(suffix.count)
        let parts = number.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let decimal =
            !number.isEmpty && number.count <= 32
            && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
        guard decimal, let value = Double(number) else {
            throw LocalCloudError.faultSpec(
                "rule '\(rule)': '\(text)' is not a duration; write a plain decimal number and a unit, e.g. 500ms, "
                    + "2s, 1.5s or 3m")
        }
        let milliseconds = (value * scale).rounded()
        guard milliseconds <= Double(maxDurationMilliseconds) else {
            throw LocalCloudError.faultSpec(
                "rule '\(rule)': '\(text)' is longer than the longest fault duration, one day (86400s)")
        }
        return .milliseconds(Int64(milliseconds))
    }

    /// Whole milliseconds of `duration`, saturated to 0...one day (a plan built in code may hold any `Duration`).
    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        guard seconds < maxDurationMilliseconds / 1000 else { return maxDurationMilliseconds }
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    private static func parseJobRule(_ rule: String) throws -> JobRule {
        var body = Substring(rule.dropFirst(4))
        var after: Duration = .zero
        if let slash = body.firstIndex(of: "/") {
            after = try parseDuration(String(body[body.index(after: slash)...]), rule: rule)
            body = body[..<slash]
        }
        var prefix: String?
        if let at = body.firstIndex(of: "@") {
            prefix = String(body[body.index(after: at)...])
            body = body[..<at]
            if prefix!.isEmpty { throw LocalCloudError.faultSpec("rule '\(rule)': empty job id prefix after '@'") }
        }
        guard let kind = JobRule.Kind(rawValue: String(body)) else {
            throw LocalCloudError.faultSpec(
                "rule '\(rule)': unknown job fault '\(body)'; use preempt, vm-lost or stuck-queued")
        }
        return JobRule(kind: kind, jobIDPrefix: prefix, after: after)
    }

    private static func parseMethodRule(_ rule: String) throws -> MethodRule {
        let parts = rule.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw LocalCloudError.faultSpec("rule '\(rule)': expected METHOD=ACTION, e.g. jobs.create=503x2")
        }
        let method = parts[0]
        let action = parts[1]
        if action.hasPrefix("latency:") {
            let duration = try parseDuration(String(action.dropFirst(8)), rule: rule)
            return MethodRule(method: method, effect: .latency(duration), trigger: .always)
        }
        var head = action
        var trigger = MethodRule.Trigger.always
        if let mark = action.firstIndex(where: { $0 == "x" || $0 == "@" || $0 == "#" }) {
            head = String(action[..<mark])
            let argument = String(action[action.index(after: mark)...])
            switch action[mark] {
            case "x":
                guard let count = Int(argument), count > 0 else {
                    throw LocalCloudError.faultSpec(
                        "rule '\(rule)': 'x' needs a positive call count, got '\(argument)'")
                }
                trigger = .firstCalls(count)
            case "@":
                guard let rate = Double(argument), (0...1).contains(rate) else {
                    throw LocalCloudError.faultSpec(
                        "rule '\(rule)': '@' needs a rate between 0 and 1, got '\(argument)'")
                }
                trigger = .rate(rate)
            default:
                let numbers = argument.split(separator: "+").map { Int($0) }
                guard !numbers.isEmpty, numbers.allSatisfy({ ($0 ?? 0) > 0 }) else {
                    throw LocalCloudError.faultSpec(
                        "rule '\(rule)': '#' needs call numbers joined by '+', e.g. #2+5, got '\(argument)'")
                }
                trigger = .calls(Set(numbers.compactMap { $0 }))
            }
        }
        let effect: MethodRule.Effect
        if head == "drop" {
            effect = .drop
        } else if let status = Int(head), (400...599).contains(status) {
            effect = .status(status)
        } else {
            throw LocalCloudError.faultSpec(
                "rule '\(rule)': '\(head)' is not an HTTP status 400-599, 'drop' or 'latency:D'")
        }
        return MethodRule(method: method, effect: effect, trigger: trigger)
    }
}
