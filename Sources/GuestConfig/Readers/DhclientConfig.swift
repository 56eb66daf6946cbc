/// `dhclient.conf`: the `send host-name` statements (generalize.md §a.2).
public struct DhclientConfig: Sendable {
    /// The file being edited: path, original text, current lines and findings.
    public private(set) var editable: EditableDocument

    /// One `send host-name …;` line.
    public struct HostNameSend: Sendable, Hashable {
        /// The 0-based line index in the file.
        public var lineIndex: Int
        /// The operand as written, without the `;` (for example `"vm1"`, `= gethostname()`, `"<hostname>"`).
        public var operand: String
        /// True when dhclient takes the name from the running system (`gethostname()` or `<hostname>`).
        public var isAutomatic: Bool { operand.contains("gethostname()") || operand.contains("<hostname>") }
    }

    /// Parses `text`. Never fails: lines that are not understood are kept and reported.
    public init(_ text: String, path: String? = nil) {
        editable = EditableDocument(text, path: path)
    }

    /// Every uncommented `send host-name` statement.
    public var hostNameSends: [HostNameSend] {
        document.lines.enumerated().compactMap { index, line in
            // Trimmed as a slice, and split only when it can be a send statement (most lines are not).
            let body = line.content.trimmedWhitespace
            guard body.hasPrefix("send") else { return nil }
            let words = body.split(maxSplits: 2) { $0 == " " || $0 == "\t" }
            guard words.count == 3, words[0] == "send", words[1] == "host-name" else { return nil }
            var operand = String(words[2]).trimmingWhitespace
            if let semicolon = operand.lastIndex(of: ";") { operand = String(operand[..<semicolon]).trimmingWhitespace }
            return HostNameSend(lineIndex: index, operand: operand)
        }
    }

    /// What waagent does: unless an automatic send is present, every fixed `send host-name` gets `name`,
    /// and one is appended when there is none.
    /// - Throws: `.invalidValue` for a name with quotes, spaces or `;`.
    @discardableResult
    public mutating func sendHostName(_ name: String) throws(GuestConfigError) -> Bool {
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") })
        else { throw GuestConfigError(.invalidValue, "not a host name", path: path, field: "host-name") }
        let sends = hostNameSends
        if sends.contains(where: \.isAutomatic) { return false }
        let statement = "send host-name \"\(name)\";"
        if sends.isEmpty {
            editable.document.append(statement)
            return true
        }
        var changed = false
        for send in sends {
            let content = document.lines[send.lineIndex].content
            let indentation = content.prefix { $0 == " " || $0 == "\t" }
            let new = indentation + statement
            if new != content {
                editable.document.replaceContent(at: send.lineIndex, with: String(new))
                changed = true
            }
        }
        return changed
    }
}
