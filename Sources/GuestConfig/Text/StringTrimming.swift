/// Small string helpers the editors share (no Foundation).

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs. The one trimming rule of the package's guest
    /// text readers (ImagePrep uses it too): a CRLF terminator is already gone from a ``ConfigText`` line.
    package var trimmingSpaces: String {
        let start = firstIndex { $0 != " " && $0 != "\t" } ?? endIndex
        let end = lastIndex { $0 != " " && $0 != "\t" }.map { index(after: $0) } ?? start
        return start < end ? String(self[start..<end]) : ""
    }

    /// The words of the text, separated by spaces and tabs.
    package var words: [String] {
        let parts: [SubSequence] = split(whereSeparator: { $0 == " " || $0 == "\t" })
        return parts.map { String($0) }
    }

    /// Replaces every occurrence of `target` (no Foundation).
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return String(self) }
        var out = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        return out + rest
    }
}

extension StringProtocol {
    /// Without leading and trailing whitespace (spaces, tabs, `\r`, …).
    var trimmingWhitespace: String { trimmingCharacters { $0.isWhitespace } }

    /// Without leading and trailing characters matching `predicate`.
    func trimmingCharacters(_ predicate: (Character) -> Bool) -> String {
        guard let start = firstIndex(where: { !predicate($0) }) else { return "" }
        let end = lastIndex { !predicate($0) }!
        return String(self[start...end])
    }
}
