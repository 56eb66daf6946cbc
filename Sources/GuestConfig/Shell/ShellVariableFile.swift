/// One `KEY=value` line of a shell-variable file.
public struct ShellAssignment: Sendable, Hashable {
    /// The 0-based line index in the file.
    public var lineIndex: Int
    /// The variable name.
    public var key: String
    /// The value as `sh` would read it, expansions not performed.
    public var value: String
    /// The value as written, quotes included.
    public var rawValue: String
    /// The quoting used.
    public var quoteStyle: ShellQuoteStyle
    /// True when the value contains `$` or a backquote that the shell would expand.
    public var hasExpansion: Bool
    /// True when the line starts with `export `.
    public var isExported: Bool
    /// Text before the value: indentation, `export `, `KEY=`.
    var prefix: String
    /// Text after the value: spaces and a comment, kept as written.
    var suffix: String
}

/// A file of shell variable assignments: ifcfg-*, /etc/sysconfig/*, /etc/default/grub, os-release.
///
/// Lines that are comments, blank, or `KEY=value` (optionally `export KEY=value`, optionally followed by a
/// comment) are understood. Any other line is kept unchanged and reported. Like the shell, the **last**
/// assignment of a key wins: ``value(of:)`` returns it and ``set(_:to:)`` edits it (earlier ones are
/// reported). `set` keeps the existing quoting when the new value allows it; a new key is appended in the
/// quoting most used in the file.
public struct ShellVariableFile: Sendable {
    /// The file being edited: path, original text, current lines and findings.
    public private(set) var editable: EditableDocument {
        didSet { assignments = Self.assignments(in: editable.document) }
    }

    /// Every assignment, in file order: parsed once from the lines and again after each edit, not on every
    /// look-up (readers ask for several keys, each of which used to parse the whole file again).
    public private(set) var assignments: [ShellAssignment] = []

    /// Parses `text`. Never fails: lines that are not understood are kept and reported.
    public init(_ text: String, path: String? = nil) {
        editable = EditableDocument(text, path: path)
        var parseFindings: [ConfigFinding] = []
        var seen: [String: Int] = [:]
        var assignments: [ShellAssignment] = []
        for index in document.lines.indices {
            switch ShellVariableFile.parse(document.lines[index].content, index: index) {
            case .assignment(let assignment):
                assignments.append(assignment)
                if let earlier = seen[assignment.key] {
                    parseFindings.append(
                        ConfigFinding(
                            .info, .duplicateKey, line: index + 1,
                            "\(assignment.key) is also set on line \(earlier + 1); this later one wins"))
                }
                seen[assignment.key] = index
                if assignment.hasExpansion {
                    parseFindings.append(
                        ConfigFinding(
                            .info, .variableReference, line: index + 1,
                            "\(assignment.key) refers to a variable or command; its value is read literally"))
                }
            case .malformed(let message):
                parseFindings.append(ConfigFinding(.warning, .malformedLine, line: index + 1, message))
            case .other:
                break
            }
        }
        editable.findings = parseFindings
        self.assignments = assignments
    }

    /// Every assignment of `document`, in file order.
    static func assignments(in document: ConfigText) -> [ShellAssignment] {
        document.lines.indices.compactMap { index in
            if case .assignment(let a) = ShellVariableFile.parse(document.lines[index].content, index: index) {
                return a
            }
            return nil
        }
    }

    /// The assignment that wins for `key` (the last one), or nil.
    public func assignment(of key: String) -> ShellAssignment? {
        assignments.last { $0.key == key }
    }

    /// The value of `key` as the shell would read it (the last assignment), or nil when unset.
    public func value(of key: String) -> String? { assignment(of: key)?.value }

    /// The 1-based line number of the assignment that wins for `key`, or nil when unset.
    public func lineNumber(of key: String) -> Int? { assignment(of: key).map { $0.lineIndex + 1 } }

    /// All keys, in order of their first assignment.
    public var keys: [String] {
        var seen: Set<String> = []
        return assignments.compactMap { seen.insert($0.key).inserted ? $0.key : nil }
    }

    /// Sets `key` to `value`.
    ///
    /// Edits the winning assignment in place, keeping its quoting (a bare value that now needs quotes gets
    /// double quotes), its `export` and its trailing comment; appends `KEY=value` when the key is absent.
    /// - Returns: true when the text changed.
    /// - Throws: `GuestConfigError.invalidArgument` for a key that is not a shell name, `.invalidValue` for a
    ///   value with a newline or NUL.
    @discardableResult
    public mutating func set(_ key: String, to value: String) throws(GuestConfigError) -> Bool {
        try ShellVariableFile.validate(key: key)
        guard !value.contains(where: { $0.isNewline || $0 == "\0" }) else {
            throw GuestConfigError(.invalidValue, "a value may not contain a newline or NUL", path: path, field: key)
        }
        if let existing = assignment(of: key) {
            if existing.value == value && !existing.hasExpansion { return false }
            let quoted = ShellValue.quote(value, style: existing.quoteStyle)
            let content = existing.prefix + quoted + existing.suffix
            let before = document.lines[existing.lineIndex].content
            editable.document.replaceContent(at: existing.lineIndex, with: content)
            return before != content
        }
        editable.document.append(key + "=" + ShellValue.quote(value, style: dominantStyle))
        return true
    }

    /// Replaces the winning assignment's value text with `raw`, written as is (the caller quotes it).
    /// Used to edit a value that refers to other variables without escaping its `$`.
    mutating func setRawValue(_ key: String, to raw: String) -> Bool {
        guard let existing = assignment(of: key) else { return false }
        let content = existing.prefix + raw + existing.suffix
        let changed = document.lines[existing.lineIndex].content != content
        editable.document.replaceContent(at: existing.lineIndex, with: content)
        return changed
    }

    /// Removes every assignment of `key`.
    /// - Returns: true when a line was removed.
    @discardableResult
    public mutating func unset(_ key: String) -> Bool {
        let indices = assignments.filter { $0.key == key }.map(\.lineIndex)
        for index in indices.reversed() { removeLine(at: index) }
        return !indices.isEmpty
    }

    /// Removes the line at `index`. The lines around it stay byte-identical; when the removed line was a
    /// last line without terminator, the file now ends with the previous line's newline.
    private mutating func removeLine(at index: Int) {
        editable.document.lines.remove(at: index)
    }

    /// The quoting most used by existing assignments (bare for an empty file).
    var dominantStyle: ShellQuoteStyle {
        var counts: [ShellQuoteStyle: Int] = [:]
        for a in assignments where a.quoteStyle != .mixed { counts[a.quoteStyle, default: 0] += 1 }
        let best = counts.max { lhs, rhs in lhs.value < rhs.value || (lhs.value == rhs.value && rhs.key == .bare) }
        return best?.key ?? .bare
    }

    static func validate(key: String) throws(GuestConfigError) {
        guard let first = key.unicodeScalars.first,
            first == "_" || ("A"..."Z").contains(first)
                || ("a"..."z").contains(first),
            key.unicodeScalars.allSatisfy({
                $0 == "_" || ("A"..."Z").contains($0) || ("a"..."z").contains($0)
                    || ("0"..."9").contains($0)
            })
        else {
            throw GuestConfigError(.invalidArgument, "not a shell variable name", field: key)
        }
    }

    enum ParsedLine {
        case assignment(ShellAssignment)
        /// A line that is not understood, with the finding's whole message.
        case malformed(String)
        case other
    }

    /// `_`, an ASCII letter or an ASCII digit (what a shell variable name is made of), without a Unicode
    /// property lookup per character.
    static func isNameCharacter(_ character: Character) -> Bool {
        guard let byte = character.asciiValue else { return false }
        return byte == UInt8(ascii: "_") || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    static func parse(_ content: String, index: Int) -> ParsedLine {
        let body = content.drop { $0 == " " || $0 == "\t" }
        if body.isEmpty || body.hasPrefix("#") { return .other }
        var rest = body
        var exported = false
        if rest.hasPrefix("export ") || rest.hasPrefix("export\t") {
            exported = true
            rest = rest.dropFirst(7).drop { $0 == " " || $0 == "\t" }
        }
        let nameEnd = rest.firstIndex { !ShellVariableFile.isNameCharacter($0) } ?? rest.endIndex
        let name = rest[..<nameEnd]
        if exported, !name.isEmpty, nameEnd == rest.endIndex || rest[nameEnd] == " " || rest[nameEnd] == "\t" {
            return .other  // `export NAME`: marks an existing variable, assigns nothing
        }
        guard !name.isEmpty, !(name.first!.isNumber), nameEnd < rest.endIndex, rest[nameEnd] == "=" else {
            return .malformed("not a KEY=value assignment; kept as is")  // a literal: no String made per line
        }
        let valueStart = rest.index(after: nameEnd)
        let (word, after) = ShellValue.parseWord(rest[valueStart...])
        guard word.terminated else {
            return .malformed("\(name): unterminated quote or line continuation; kept as is")
        }
        let trailing = after.drop { $0 == " " || $0 == "\t" }
        if !trailing.isEmpty && !(trailing.hasPrefix("#") && after.count > trailing.count) {
            return .malformed("\(name): text after the value is not a comment; kept as is")
        }
        return .assignment(
            ShellAssignment(
                lineIndex: index, key: String(name), value: word.value, rawValue: word.raw, quoteStyle: word.style,
                hasExpansion: word.hasExpansion, isExported: exported,
                prefix: String(content[..<valueStart]), suffix: String(after)))
    }
}
