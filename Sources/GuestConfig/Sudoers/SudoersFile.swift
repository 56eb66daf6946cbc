/// A sudoers file (`/etc/sudoers`, `/etc/sudoers.d/*`).
///
/// Physical lines ending in a backslash are joined into one logical line, as sudo's lexer does. `#include`,
/// `#includedir`, `@include` and `@includedir` are directives, not comments: they are listed in
/// ``includes`` and reported. Edits comment lines out with `# ` (a `#` followed by a space, so that the
/// result can never read as `#include` or as a `#uid`); every physical line of a commented logical line gets
/// the prefix.
public struct SudoersFile: Sendable {
    /// An include directive.
    public struct Include: Sendable, Hashable {
        /// `#include`, `@include`, `#includedir` or `@includedir`.
        public var directive: String
        /// The file or directory named.
        public var target: String
        /// 1-based line number.
        public var line: Int
        /// True for the `…includedir` forms.
        public var isDirectory: Bool { directive.hasSuffix("includedir") }
    }

    /// A logical line: one or more physical lines joined at trailing backslashes.
    struct LogicalLine {
        var lines: Range<Int>
        /// The joined text (backslash-newline removed).
        var text: String
    }

    /// The file being edited: path, original text, current lines and findings.
    public private(set) var editable: EditableDocument

    /// Parses `text`. Never fails: lines that are not understood are kept and reported.
    public init(_ text: String, path: String? = nil) {
        editable = EditableDocument(text, path: path)
        for include in includes {
            editable.findings.append(
                ConfigFinding(
                    .info, .include, line: include.line,
                    "\(include.directive) \(include.target): rules in that \(include.isDirectory ? "directory" : "file") apply too"
                ))
        }
        if let last = document.lines.last, last.content.hasSuffix("\\") {
            editable.findings.append(
                ConfigFinding(
                    .warning, .malformedLine, line: document.lines.count, "the file ends in a line continuation"))
        }
    }

    var logicalLines: [LogicalLine] {
        var result: [LogicalLine] = []
        var start = 0
        var joined = ""
        for (index, line) in document.lines.enumerated() {
            // A comment does not continue onto the next line in sudo's lexer, but a directive or rule does.
            let isComment = SudoersFile.isComment(joined.isEmpty ? line.content : joined)
            if line.content.hasSuffix("\\") && !isComment && index + 1 < document.lines.count {
                joined += line.content.dropLast()
                continue
            }
            joined += line.content
            result.append(LogicalLine(lines: start..<(index + 1), text: joined))
            joined = ""
            start = index + 1
        }
        return result
    }

    /// True for a comment line: `#` not starting an include directive or a `#uid`.
    static func isComment(_ text: String) -> Bool {
        let body = text.drop { $0 == " " || $0 == "\t" }
        guard body.hasPrefix("#") else { return false }
        if directive(of: String(body)) != nil { return false }
        let afterHash = body.dropFirst()
        if let first = afterHash.first, first.isNumber || first == "-" {
            // `#1000 ALL=(ALL) ALL` is a rule for uid 1000; a comment such as `#1 thing` is rare.
            return !afterHash.contains("=")
        }
        return true
    }

    private static func directive(of body: String) -> (String, String)? {
        for name in ["#includedir", "@includedir", "#include", "@include"] {
            if body.hasPrefix(name), let next = body.dropFirst(name.count).first, next == " " || next == "\t" {
                return (name, String(body.dropFirst(name.count).drop { $0 == " " || $0 == "\t" }))
            }
        }
        return nil
    }

    /// Every include directive, in order.
    public var includes: [Include] {
        logicalLines.compactMap { logical in
            let body = logical.text.drop { $0 == " " || $0 == "\t" }
            guard let (name, target) = SudoersFile.directive(of: String(body)) else { return nil }
            return Include(directive: name, target: target, line: logical.lines.lowerBound + 1)
        }
    }

    /// The words of a logical line without its trailing comment, with whitespace collapsed and no spaces
    /// around `=`.
    static func normalized(_ text: String) -> String {
        var withoutComment = Substring(text)
        if let hash = text.firstIndex(of: "#"), hash != text.startIndex,
            text[text.index(before: hash)] == " " || text[text.index(before: hash)] == "\t"
        {
            withoutComment = text[..<hash]
        }
        let words = withoutComment.split { $0 == " " || $0 == "\t" }.joined(separator: " ")
        return words.replacingAll(" = ", with: "=").replacingAll("= ", with: "=").replacingAll(" =", with: "=")
    }

    private mutating func commentOut(_ logical: LogicalLine) {
        for index in logical.lines { editable.document.lines[index].content = "# " + document.lines[index].content }
    }

    /// Comments out `Defaults targetpw` and, when it was present, SUSE's paired `ALL ALL=(ALL) ALL`
    /// (which is only safe together with targetpw).
    ///
    /// A `Defaults` line that sets other options besides `targetpw` is not changed, and is reported; the
    /// paired rule is then kept too (it stays paired with a targetpw that is still in effect).
    /// - Returns: true when the text changed.
    @discardableResult
    public mutating func disableTargetpw() -> Bool {
        var changed = false
        var sawTargetpw = false
        for logical in logicalLines where !SudoersFile.isComment(logical.text) {
            let words = SudoersFile.normalized(logical.text)
            guard words.hasPrefix("Defaults ") else { continue }
            let options = words.dropFirst("Defaults ".count).split(separator: ",").map {
                $0.trimmingSpaces
            }
            guard options.contains("targetpw") else { continue }
            if options == ["targetpw"] {
                sawTargetpw = true
                commentOut(logical)
                changed = true
            } else {
                editable.findings.append(
                    ConfigFinding(
                        .warning, .skipped, line: logical.lines.lowerBound + 1,
                        "targetpw is set together with other options on this line; not changed"))
            }
        }
        guard sawTargetpw else { return changed }
        for logical in logicalLines where !SudoersFile.isComment(logical.text) {
            if SudoersFile.normalized(logical.text) == "ALL ALL=(ALL) ALL" {
                commentOut(logical)
                changed = true
            }
        }
        return changed
    }

    /// Removes every rule whose first word is `user` (a provisioned admin's line in `/etc/sudoers.d/waagent`
    /// or `90-cloud-init-users`). Comments and other rules are kept.
    /// - Returns: true when the text changed.
    @discardableResult
    public mutating func removeRules(forUser user: String) -> Bool {
        var removed = false
        for logical in logicalLines.reversed() where !SudoersFile.isComment(logical.text) {
            let first = logical.text.split { $0 == " " || $0 == "\t" }.first
            if first.map(String.init) == user {
                editable.document.lines.removeSubrange(logical.lines)
                removed = true
            }
        }
        return removed
    }
}
