/// The per-execution cap on stored log text (`maxStoredLogBytes`): a line that no longer fits is counted as
/// dropped, not stored. A long line that does not fit does not stop a shorter one after it from being kept.
struct LogBudget: Equatable {
    /// UTF-8 bytes that may still be stored.
    private(set) var remaining: Int

    /// The budget left when `stored` bytes of an execution's log lines are already in the ledger.
    init(cap: Int, stored: Int) {
        remaining = cap - stored
    }

    /// Splits `lines`, in order, into those stored and the number dropped, and spends what the stored ones use.
    mutating func admit(_ lines: [LogLine]) -> (kept: [LogLine], dropped: Int) {
        var kept: [LogLine] = []
        var dropped = 0
        for line in lines {
            let size = line.text.utf8.count
            if remaining >= size {
                remaining -= size
                kept.append(line)
            } else {
                dropped += 1
            }
        }
        return (kept, dropped)
    }
}
