/// `/etc/ssh/sshd_config` (and the files it `Include`s).
///
/// Keywords are case-insensitive and separated from their value by whitespace or `=`. For most keywords the
/// **first** value sshd reads wins; lines after the first `Match` apply only to matching connections. This
/// editor therefore works in the *global section* (before the first `Match`): it edits the first global
/// occurrence of a keyword, reports later global duplicates (sshd ignores them), and inserts a missing
/// keyword just before the first `Match` (or at the end). `Include` lines are reported: an included file read
/// before our line may set the keyword first.
public struct SSHDaemonConfig: Sendable {
    /// The range sshd accepts for ClientAliveInterval by the Azure certification test (generalize.md §b.22).
    public static let azureClientAliveRange: ClosedRange<Int> = 30...235
    /// The recommended value.
    public static let recommendedClientAliveInterval = 180

    /// The file being edited: path, original text, current lines and findings.
    public private(set) var editable: EditableDocument

    /// One keyword line.
    public struct Directive: Sendable, Hashable {
        /// The 0-based line index in the file.
        public var lineIndex: Int
        /// As written.
        public var keyword: String
        /// The value text (rest of the line, comment included if any follows on the line).
        public var value: String
        /// False for lines inside a `Match` block.
        public var isGlobal: Bool
    }

    /// Parses `text`. Never fails: lines that are not understood are kept and reported.
    public init(_ text: String, path: String? = nil) {
        editable = EditableDocument(text, path: path)
        for directive in directives where directive.keyword.lowercased() == "include" {
            editable.findings.append(
                ConfigFinding(
                    .info, .include, line: directive.lineIndex + 1,
                    "Include \(directive.value): settings there count where the Include line is"))
        }
    }

    /// Every keyword line, in order.
    public var directives: [Directive] {
        var result: [Directive] = []
        var global = true
        for (index, line) in document.lines.enumerated() {
            let parts = CommandLineParts(line.content, allowEquals: true)
            if parts.isCommentOrBlank { continue }
            if parts.keyword.lowercased() == "match" { global = false }
            result.append(
                Directive(lineIndex: index, keyword: String(parts.keyword), value: String(parts.rest), isGlobal: global)
            )
        }
        return result
    }

    /// The paths named by `Include` lines.
    public var includes: [String] {
        directives.filter { $0.keyword.lowercased() == "include" }.flatMap {
            $0.value.split(separator: " ").map(String.init)
        }
    }

    /// The value sshd uses globally for `keyword` (its first global occurrence), or nil.
    public func globalValue(of keyword: String) -> String? {
        directives.first { $0.isGlobal && $0.keyword.lowercased() == keyword.lowercased() }?.value.trimmingSpaces
    }

    /// Sets a keyword in the global section, as described in the type's discussion.
    /// - Throws: `.invalidArgument` for a keyword that is not one word, `.invalidValue` for an empty value or
    ///   one with a newline.
    @discardableResult
    public mutating func setGlobal(_ keyword: String, to value: String) throws(GuestConfigError) -> Bool {
        guard !keyword.isEmpty, keyword.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            throw GuestConfigError(.invalidArgument, "not an sshd keyword", path: path, field: keyword)
        }
        guard !value.trimmingSpaces.isEmpty, !value.contains(where: \.isNewline) else {
            throw GuestConfigError(
                .invalidValue, "the value must be non-empty and on one line", path: path, field: keyword)
        }
        let matching = directives.filter { $0.isGlobal && $0.keyword.lowercased() == keyword.lowercased() }
        for duplicate in matching.dropFirst() {
            editable.findings.append(
                ConfigFinding(
                    .warning, .duplicateKey, line: duplicate.lineIndex + 1,
                    "\(duplicate.keyword) is also set on line \(matching[0].lineIndex + 1); sshd uses the first value"))
        }
        if let first = matching.first {
            let parts = CommandLineParts(document.lines[first.lineIndex].content, allowEquals: true)
            // Keep the keyword's spelling and separator and any trailing comment.
            let rest = parts.rest
            let valueEnd = rest.firstIndex(of: "#") ?? rest.endIndex
            var trailing = String(rest[valueEnd...])
            if !trailing.isEmpty {
                let spaces = rest[..<valueEnd].reversed().prefix { $0 == " " || $0 == "\t" }
                trailing = String(spaces.reversed()) + trailing
            }
            let content = String(parts.indentation) + parts.keyword + parts.separator + value + trailing
            let changed = content != document.lines[first.lineIndex].content
            editable.document.replaceContent(at: first.lineIndex, with: content)
            return changed
        }
        let firstMatch = directives.first { !$0.isGlobal }?.lineIndex ?? document.lines.count
        editable.document.insert(keyword + " " + value, at: firstMatch)
        return true
    }

    /// Sets `ClientAliveInterval`. - Throws: `.invalidValue` outside 30...235 (Azure's accepted range).
    @discardableResult
    public mutating func setClientAliveInterval(
        _ seconds: Int = recommendedClientAliveInterval
    )
        throws(GuestConfigError)
        -> Bool
    {
        guard Self.azureClientAliveRange.contains(seconds) else {
            throw GuestConfigError(
                .invalidValue, "must be in 30...235 (180 recommended)", path: path, field: "ClientAliveInterval")
        }
        return try setGlobal("ClientAliveInterval", to: String(seconds))
    }
}
