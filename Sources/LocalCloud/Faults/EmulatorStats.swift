import Foundation

/// Counters served at `GET /_emulator/stats`, so a test can prove e.g. that no duplicate job was created.
actor EmulatorStats {
    private var requests: [String: Int] = [:]
    private(set) var jobsCreated = 0
    private(set) var jobsDeleted = 0
    private var faultsInjected = 0
    /// Calls made with a token issued here, per account the token stands for.
    private var callers: [String: Int] = [:]

    func countRequest(_ method: String) { requests[method, default: 0] += 1 }
    func countJobCreated() { jobsCreated += 1 }
    func countJobDeleted() { jobsDeleted += 1 }
    func countFault() { faultsInjected += 1 }
    func countCall(by account: String) { callers[account, default: 0] += 1 }

    /// The JSON answer: top-level integers plus `requests` per method, also flattened as `"jobs.create": 3`, and
    /// `callers`, the calls made with a token issued here per account it stands for (the responder adds
    /// `jobStates`, the number of jobs per state, and `impersonations`, the tokens `generateAccessToken` issued per
    /// account).
    func snapshot() -> JSONValue {
        var object: [String: JSONValue] = [
            "jobsCreated": .int(Int64(jobsCreated)), "jobsDeleted": .int(Int64(jobsDeleted)),
            "faultsInjected": .int(Int64(faultsInjected)),
            "requests": .object(requests.mapValues { .int(Int64($0)) }),
            "callers": .object(callers.mapValues { .int(Int64($0)) }),
        ]
        for (method, count) in requests { object[method] = .int(Int64(count)) }
        return .object(object)
    }
}
