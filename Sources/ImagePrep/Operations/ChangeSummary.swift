import GuestConfig

/// A one-line summary of the difference between two texts: removed lines with `-`, added ones with `+`.
enum ChangeSummary {
    static func lines(from old: String, to new: String, limit: Int = 6) -> (before: String, after: String) {
        let a = ConfigText(old).contents, b = ConfigText(new).contents
        var countA: [String: Int] = [:], countB: [String: Int] = [:]
        for l in a { countA[l, default: 0] += 1 }
        for l in b { countB[l, default: 0] += 1 }
        var removed: [String] = [], added: [String] = []
        var seenA: [String: Int] = [:], seenB: [String: Int] = [:]
        for l in a {
            seenA[l, default: 0] += 1
            if seenA[l]! > (countB[l] ?? 0) { removed.append(l) }
        }
        for l in b {
            seenB[l, default: 0] += 1
            if seenB[l]! > (countA[l] ?? 0) { added.append(l) }
        }
        func summary(_ list: [String]) -> String {
            let shown = list.prefix(limit).map { $0.trimmingSpaces }.joined(separator: " | ")
            return list.count > limit ? shown + " | …" : (list.isEmpty ? "(nothing)" : shown)
        }
        return (summary(removed), summary(added))
    }
}
