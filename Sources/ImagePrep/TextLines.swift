/// A text file as lines, edited line by line: every line not edited comes back byte-identical, including its
/// terminator (`\n` or `\r\n`) and a missing final newline.
struct TextLines: Equatable {
    /// The lines without their terminators.
    var lines: [String]
    /// The terminator of each line (`""` for a last line without one).
    var terminators: [String]

    init(_ text: String) {
        lines = []
        terminators = []
        var current = ""
        var iterator = text.unicodeScalars.makeIterator()
        var pendingCR = false
        while let scalar = iterator.next() {
            if scalar == "\n" {
                lines.append(current)
                terminators.append(pendingCR ? "\r\n" : "\n")
                current = ""
                pendingCR = false
                continue
            }
            if pendingCR { current.unicodeScalars.append("\r"); pendingCR = false }
            if scalar == "\r" { pendingCR = true; continue }
            current.unicodeScalars.append(scalar)
        }
        if pendingCR { current.unicodeScalars.append("\r") }
        if !current.isEmpty { lines.append(current); terminators.append("") }
    }

    /// The text again.
    var text: String {
        var out = ""
        for (line, end) in zip(lines, terminators) { out += line + end }
        return out
    }

    /// The terminator new lines get: the file's own, `\n` by default.
    var newline: String { terminators.first(where: { !$0.isEmpty }) ?? "\n" }

    /// Appends `line`, first giving a final line without a terminator one.
    mutating func append(_ line: String) {
        if let last = terminators.indices.last, terminators[last].isEmpty { terminators[last] = newline }
        lines.append(line)
        terminators.append(newline)
    }

    mutating func insert(_ line: String, at index: Int) {
        lines.insert(line, at: index)
        terminators.insert(newline, at: index)
    }

    mutating func remove(at index: Int) {
        lines.remove(at: index)
        let end = terminators.remove(at: index)
        if end.isEmpty, let last = terminators.indices.last { terminators[last] = "" }
    }
}

/// A one-line summary of the difference between two texts: removed lines with `-`, added ones with `+`.
enum ChangeSummary {
    static func lines(from old: String, to new: String, limit: Int = 6) -> (before: String, after: String) {
        let a = TextLines(old).lines, b = TextLines(new).lines
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

extension String {
    /// The string without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" || last == "\r" { scalars.removeLast() }
        return String(scalars)
    }

    /// Whitespace-separated words.
    var words: [String] { split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) }
}
