/// Levenshtein distance, to suggest the defined name closest to a misspelt one.
enum EditDistance {
    /// The candidate closest to `name`, if one is close enough to be a plausible typo.
    static func closest(to name: String, among candidates: [String]) -> String? {
        let target = Array(name.lowercased())
        let threshold = max(1, min(3, target.count / 3))
        var best: (String, Int)?
        for candidate in Set(candidates).sorted() where candidate != name {
            let distance = distance(target, Array(candidate.lowercased()), limit: threshold)
            if distance <= threshold, distance < (best?.1 ?? Int.max) { best = (candidate, distance) }
        }
        return best?.0
    }

    /// The edit distance between `a` and `b`, or a value above `limit` as soon as it is known to exceed it.
    static func distance(_ a: [Character], _ b: [Character], limit: Int) -> Int {
        if abs(a.count - b.count) > limit { return limit + 1 }
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            var rowMinimum = current[0]
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                rowMinimum = min(rowMinimum, current[j])
            }
            if rowMinimum > limit { return limit + 1 }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
