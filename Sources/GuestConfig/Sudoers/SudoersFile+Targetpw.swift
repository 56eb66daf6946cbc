extension SudoersFile {
    /// A rule that makes sudo ask for the target user's (root's) password: `Defaults targetpw` (alone or with
    /// other options) or SUSE's paired `ALL ALL=(ALL) ALL`.
    public struct TargetpwRule: Sendable, Hashable {
        /// 1-based line number of the logical line's first physical line.
        public var line: Int
        /// The logical line, whitespace collapsed, without its trailing comment.
        public var text: String
    }

    /// Every active `Defaults` line that sets `targetpw` and every `ALL ALL=(ALL) ALL` rule, in order.
    /// Commented lines do not count; `!targetpw` (turning it off) does not either.
    public var targetpwRules: [TargetpwRule] {
        var found: [TargetpwRule] = []
        for logical in logicalLines where !SudoersFile.isComment(logical.text) {
            let words = SudoersFile.normalized(logical.text)
            let line = logical.lines.lowerBound + 1
            if words.hasPrefix("Defaults ") || words.hasPrefix("Defaults:") || words.hasPrefix("Defaults>") {
                guard let space = words.firstIndex(of: " ") else { continue }
                let options = words[words.index(after: space)...].split(separator: ",").map { $0.trimmingSpaces }
                if options.contains("targetpw") { found.append(TargetpwRule(line: line, text: words)) }
            } else if words == "ALL ALL=(ALL) ALL" || words == "ALL ALL=(ALL:ALL) ALL" {
                found.append(TargetpwRule(line: line, text: words))
            }
        }
        return found
    }
}
