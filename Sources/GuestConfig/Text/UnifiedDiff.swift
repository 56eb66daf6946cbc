/// A line-based unified diff (the `diff -u` format) between two texts.
///
/// Lines are compared with their terminators, so a line that only gained or lost `\r` or its final newline
/// shows as changed; a last line without a terminator is followed by `\ No newline at end of file`, as GNU
/// diff prints it. The longest-common-subsequence table is only built for the part between the common prefix
/// and suffix, and only up to ``maximumTableCells`` cells; beyond that the middle is shown as one replacement,
/// so memory stays bounded for any input.
public struct UnifiedDiff: Sendable {
    /// One step of the edit script.
    public enum Operation: Sendable, Hashable {
        case equal(old: Int, new: Int)
        case delete(old: Int)
        case insert(new: Int)
    }

    /// The largest LCS table built, in cells.
    public static let maximumTableCells = 4_000_000

    /// The lines before.
    public let old: [ConfigLine]
    /// The lines after.
    public let new: [ConfigLine]
    /// The name printed after `---`.
    public let oldName: String
    /// The name printed after `+++`.
    public let newName: String
    /// Unchanged lines shown around each change.
    public let context: Int
    /// The edit script from `old` to `new`.
    public let operations: [Operation]

    /// Computes the diff.
    /// - Parameters:
    ///   - oldName: the name after `---` (for example `a/etc/default/grub`).
    ///   - newName: the name after `+++`.
    ///   - context: unchanged lines shown around each change.
    ///   - old: the text before the change.
    ///   - new: the text after the change.
    public init(old: ConfigText, new: ConfigText, oldName: String = "a", newName: String = "b", context: Int = 3) {
        self.old = old.lines
        self.new = new.lines
        self.oldName = oldName
        self.newName = newName
        self.context = max(0, context)
        self.operations = UnifiedDiff.script(self.old, self.new)
    }

    /// True when the two texts are identical.
    public var isEmpty: Bool {
        operations.allSatisfy { if case .equal = $0 { true } else { false } }
    }

    /// The diff text; empty when the texts are identical.
    public var rendered: String {
        if isEmpty { return "" }
        var out = "--- \(oldName)\n+++ \(newName)\n"
        for hunk in hunks() { out += render(hunk) }
        return out
    }

    // MARK: - Edit script

    static func script(_ a: [ConfigLine], _ b: [ConfigLine]) -> [Operation] {
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix,
            a[a.count - 1 - suffix] == b[b.count - 1 - suffix]
        { suffix += 1 }
        var ops: [Operation] = (0..<prefix).map { .equal(old: $0, new: $0) }
        let aMid = prefix..<(a.count - suffix)
        let bMid = prefix..<(b.count - suffix)
        let n = aMid.count
        let m = bMid.count
        if n > 0, m > 0, (n + 1) * (m + 1) <= maximumTableCells {
            // lengths[i][j] = LCS length of a[aMid][i...] and b[bMid][j...], flattened.
            let width = m + 1
            var lengths = [Int32](repeating: 0, count: (n + 1) * width)
            for i in stride(from: n - 1, through: 0, by: -1) {
                for j in stride(from: m - 1, through: 0, by: -1) {
                    lengths[i * width + j] =
                        a[aMid.lowerBound + i] == b[bMid.lowerBound + j]
                        ? lengths[(i + 1) * width + j + 1] + 1
                        : max(lengths[(i + 1) * width + j], lengths[i * width + j + 1])
                }
            }
            var i = 0
            var j = 0
            while i < n || j < m {
                if i < n, j < m, a[aMid.lowerBound + i] == b[bMid.lowerBound + j] {
                    ops.append(.equal(old: aMid.lowerBound + i, new: bMid.lowerBound + j))
                    i += 1
                    j += 1
                } else if j < m, i == n || lengths[i * width + j + 1] >= lengths[(i + 1) * width + j] {
                    ops.append(.insert(new: bMid.lowerBound + j))
                    j += 1
                } else {
                    ops.append(.delete(old: aMid.lowerBound + i))
                    i += 1
                }
            }
            // Show deletions before insertions inside each changed run, as diff does.
            ops = UnifiedDiff.orderRuns(ops)
        } else {
            ops += aMid.map { .delete(old: $0) }
            ops += bMid.map { .insert(new: $0) }
        }
        for k in 0..<suffix { ops.append(.equal(old: a.count - suffix + k, new: b.count - suffix + k)) }
        return ops
    }

    private static func orderRuns(_ ops: [Operation]) -> [Operation] {
        var out: [Operation] = []
        var deletes: [Operation] = []
        var inserts: [Operation] = []
        func flush() {
            out += deletes
            out += inserts
            deletes.removeAll()
            inserts.removeAll()
        }
        for op in ops {
            switch op {
            case .equal:
                flush()
                out.append(op)
            case .delete: deletes.append(op)
            case .insert: inserts.append(op)
            }
        }
        flush()
        return out
    }

    // MARK: - Hunks

    private struct Hunk {
        var range: Range<Int>  // indices into operations
    }

    private func hunks() -> [Hunk] {
        var changeIndices: [Int] = []
        for (index, op) in operations.enumerated() {
            if case .equal = op { continue }
            changeIndices.append(index)
        }
        var hunks: [Hunk] = []
        var start = -1
        var end = -1
        for index in changeIndices {
            let lower = max(0, index - context)
            let upper = min(operations.count, index + context + 1)
            if start >= 0, lower <= end {
                end = max(end, upper)
            } else {
                if start >= 0 { hunks.append(Hunk(range: start..<end)) }
                start = lower
                end = upper
            }
        }
        if start >= 0 { hunks.append(Hunk(range: start..<end)) }
        return hunks
    }

    private func render(_ hunk: Hunk) -> String {
        var oldStart = -1
        var newStart = -1
        var oldCount = 0
        var newCount = 0
        var body = ""
        // Position of the first line of the hunk in each file, even when the hunk has none of that file's lines.
        var oldBefore = 0
        var newBefore = 0
        for op in operations[..<hunk.range.lowerBound] {
            switch op {
            case .equal:
                oldBefore += 1
                newBefore += 1
            case .delete: oldBefore += 1
            case .insert: newBefore += 1
            }
        }
        for op in operations[hunk.range] {
            switch op {
            case .equal(let o, let n):
                if oldStart < 0 { oldStart = o }
                if newStart < 0 { newStart = n }
                oldCount += 1
                newCount += 1
                body += line(" ", old[o])
            case .delete(let o):
                if oldStart < 0 { oldStart = o }
                oldCount += 1
                body += line("-", old[o])
            case .insert(let n):
                if newStart < 0 { newStart = n }
                newCount += 1
                body += line("+", new[n])
            }
        }
        let oldLabel = oldCount == 0 ? "\(oldBefore)" : "\(oldStart + 1)"
        let newLabel = newCount == 0 ? "\(newBefore)" : "\(newStart + 1)"
        return "@@ -\(range(oldLabel, oldCount)) +\(range(newLabel, newCount)) @@\n" + body
    }

    private func range(_ start: String, _ count: Int) -> String {
        count == 1 ? start : "\(start),\(count)"
    }

    private func line(_ marker: String, _ line: ConfigLine) -> String {
        switch line.terminator {
        case .none: marker + line.content + "\n\\ No newline at end of file\n"
        default: marker + line.rawText
        }
    }
}
