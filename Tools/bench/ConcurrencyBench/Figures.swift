import Foundation

/// Calls per polling round and per minute, computed from the samples of one run.
struct Figures {
    var samples: [Sample]
    var executions: Int

    /// Batch calls that watch jobs: the watchers' `jobs.list` pages and `jobs.get` calls.
    static func watchCalls(_ sample: Sample) -> Int { sample.count("jobs.list") + sample.count("jobs.get") }

    /// Totals over the run, per method, for the Batch and Logging calls.
    var totals: [String: Int] {
        guard let first = samples.first, let last = samples.last else { return [:] }
        var result: [String: Int] = [:]
        for method in Set(first.requests.keys).union(last.requests.keys) {
            let delta = last.count(method) - first.count(method)
            if delta > 0 { result[method] = delta }
        }
        return result
    }

    /// (watch calls, entries.list calls, rounds) between two samples.
    static func delta(_ a: Sample, _ b: Sample) -> (batch: Int, logging: Int, rounds: Int) {
        (watchCalls(b) - watchCalls(a), b.count("entries.list") - a.count("entries.list"), b.rounds - a.rounds)
    }

    /// Every sample as one JSON line: time, request counts, job states, rounds and lone calls.
    var samplesJSONLines: String {
        samples.map { sample in
            let object: [String: Any] = [
                "t": sample.time, "requests": sample.requests, "jobStates": sample.jobStates, "rounds": sample.rounds,
                "lone": sample.lone, "rssKiB": sample.rssKiB, "threads": sample.threads,
            ]
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            return String(decoding: data, as: UTF8.self) + "\n"
        }.joined()
    }

    /// Over the stretch where at least 90 % of the most jobs seen running at once ran: the calls of that stretch per round, and
    /// the largest number of Batch watch calls between two samples per round started between them.
    var steady: (batchPerRound: Double, loggingPerRound: Double, worstBatchPerRound: Double, seconds: Double)? {
        let most = samples.map { $0.jobStates["RUNNING"] ?? 0 }.max() ?? 0
        let running = samples.enumerated().filter {
            most > 0 && Double($0.element.jobStates["RUNNING"] ?? 0) >= 0.9 * Double(most)
        }
        guard let first = running.first, let last = running.last, last.offset > first.offset else { return nil }
        let total = Self.delta(samples[first.offset], samples[last.offset])
        guard total.rounds > 0 else { return nil }
        var worst = 0.0
        for index in (first.offset + 1)...last.offset {
            let step = Self.delta(samples[index - 1], samples[index])
            if step.rounds > 0 { worst = max(worst, Double(step.batch) / Double(step.rounds)) }
        }
        return (
            Double(total.batch) / Double(total.rounds), Double(total.logging) / Double(total.rounds), worst,
            samples[last.offset].time - samples[first.offset].time
        )
    }

    /// Batch watch calls per second over the stretch where at least 90 % of the most jobs seen running ran, and
    /// how many jobs ran then (for a comparison with one `jobs.get` per job per poll).
    var steadyRate: (callsPerSecond: Double, jobsRunning: Int)? {
        let most = samples.map { $0.jobStates["RUNNING"] ?? 0 }.max() ?? 0
        let running = samples.filter { most > 0 && Double($0.jobStates["RUNNING"] ?? 0) >= 0.9 * Double(most) }
        guard let first = running.first, let last = running.last, last.time > first.time else { return nil }
        return (Double(Self.watchCalls(last) - Self.watchCalls(first)) / (last.time - first.time), most)
    }

    /// The most `method` calls in any 60-second window of the run (the whole run when it is shorter).
    func mostPerMinute(_ method: String) -> Int {
        var most = 0
        var end = 0
        for start in samples.indices {
            while end + 1 < samples.count && samples[end + 1].time - samples[start].time <= 60 { end += 1 }
            most = max(most, samples[end].count(method) - samples[start].count(method))
        }
        return most
    }

    var json: [String: Any] {
        var result: [String: Any] = ["apiCalls": totals]
        if let first = samples.first, let last = samples.last {
            let total = Self.delta(first, last)
            let rounds = max(1, total.rounds)
            result["batchWatchCallsPerRound"] = Double(total.batch) / Double(rounds)
            result["jobsListPagesPerRound"] = Double(last.count("jobs.list") - first.count("jobs.list")) / Double(rounds)
            result["jobsGetPerRound"] = Double(last.count("jobs.get") - first.count("jobs.get")) / Double(rounds)
            result["mostJobsRunningAtOnce"] = samples.map { $0.jobStates["RUNNING"] ?? 0 }.max() ?? 0
            result["loggingCallsPerRound"] = Double(total.logging) / Double(rounds)
            let minutes = max(last.time - first.time, 1) / 60
            result["loggingCallsPerMinuteAverage"] = Double(total.logging) / minutes
        }
        result["loggingCallsMostInAnyMinute"] = mostPerMinute("entries.list")
        if let steady {
            result["steady"] = [
                "seconds": steady.seconds, "batchWatchCallsPerRound": steady.batchPerRound,
                "loggingCallsPerRound": steady.loggingPerRound, "worstBatchWatchCallsPerRound": steady.worstBatchPerRound,
            ]
        } else {
            result["steady"] = "n/a (no two samples with 90 % of the most jobs seen running)"
        }
        if let steadyRate {
            result["steadyBatchWatchCallsPerSecond"] = steadyRate.callsPerSecond
        }
        result["mostThreads"] = samples.map(\.threads).max() ?? 0
        result["samples"] = samples.count
        return result
    }
}
