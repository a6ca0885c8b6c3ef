import Foundation

/// Decides, call by call, which fault (if any) a request gets, and which job faults a new job gets.
actor FaultInjector {
    /// The decision for one request.
    struct Decision: Sendable {
        var latency: Duration = .zero
        var status: Int?
        var drop = false
    }

    private var plan: FaultPlan
    private var callCounts: [Int: Int] = [:]
    private var consumedJobRules: Set<Int> = []
    private var generator = SystemRandomNumberGenerator()

    init(plan: FaultPlan) { self.plan = plan }

    /// Counts the call against every rule for `method` and returns what should happen to it.
    func decide(method: String) -> Decision {
        var decision = Decision()
        for (index, rule) in plan.methodRules.enumerated() where rule.method == method || rule.method == "*" {
            let number = (callCounts[index] ?? 0) + 1
            callCounts[index] = number
            let hit: Bool
            switch rule.trigger {
            case .always: hit = true
            case .firstCalls(let count): hit = number <= count
            case .rate(let rate): hit = Double.random(in: 0..<1, using: &generator) < rate
            case .calls(let numbers): hit = numbers.contains(number)
            }
            guard hit else { continue }
            switch rule.effect {
            case .latency(let duration): decision.latency += duration
            case .status(let status): if decision.status == nil, !decision.drop { decision.status = status }
            case .drop: if decision.status == nil { decision.drop = true }
            }
        }
        if decision.status == nil, !decision.drop, plan.randomRate > 0,
            Double.random(in: 0..<1, using: &generator) < plan.randomRate
        {
            let roll = Int.random(in: 0..<4, using: &generator)
            switch roll {
            case 0: decision.status = 429
            case 1: decision.status = 500
            case 2: decision.status = 503
            default: decision.drop = true
            }
        }
        return decision
    }

    /// The job faults for a newly created job; rules without a prefix are used once.
    func jobFaults(jobID: String) -> [FaultPlan.JobRule] {
        var result: [FaultPlan.JobRule] = []
        for (index, rule) in plan.jobRules.enumerated() {
            if let prefix = rule.jobIDPrefix {
                if jobID.hasPrefix(prefix) { result.append(rule) }
            } else if !consumedJobRules.contains(index) {
                consumedJobRules.insert(index)
                result.append(rule)
            }
        }
        return result
    }
}
