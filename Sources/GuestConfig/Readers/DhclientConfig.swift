/// `dhclient.conf`: the `send host-name` statements (generalize.md §a.2).
public struct DhclientConfig: Sendable {
    public let path: String?
    public let original: String
    public private(set) var document: ConfigText
    public private(set) var findings: [ConfigFinding] = []

    /// One `send host-name …;` line.
    public struct HostNameSend: Sendable, Hashable {
        public var lineIndex: Int
        /// The operand as written, without the `;` (for example `"vm1"`, `= gethostname()`, `"<hostname>"`).
        public var operand: String
        /// True when dhclient takes the name from the running system (`gethostname()` or `<hostname>`).
        public var isAutomatic: Bool { operand.contains("gethostname()") || operand.contains("<hostname>") }
    }

    public init(_ text: String, path: String? = nil) {
        self.path = path
        self.original = text
        self.document = ConfigText(text)
    }

    public var text: String { document.text }
    public var result: ConfigEditResult {
        ConfigEditResult(path: path, original: original, edited: text, findings: findings)
    }

    /// Every uncommented `send host-name` statement.
    public var hostNameSends: [HostNameSend] {
        document.lines.enumerated().compactMap { index, line in
            let body = line.content.trimmingWhitespace
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
            document.append(statement)
            return true
        }
        var changed = false
        for send in sends {
            let content = document.lines[send.lineIndex].content
            let indentation = content.prefix { $0 == " " || $0 == "\t" }
            let new = indentation + statement
            if new != content {
                document.replaceContent(at: send.lineIndex, with: String(new))
                changed = true
            }
        }
        return changed
    }
}

/// udev rules that pin interface names to MAC addresses (`70-persistent-net.rules`, generalize.md §a.3).
public enum PersistentNetRules {
    /// The paths the tools delete or move.
    public static let paths = [
        "/etc/udev/rules.d/70-persistent-net.rules", "/etc/udev/rules.d/75-persistent-net-generator.rules",
        "/lib/udev/rules.d/75-persistent-net-generator.rules",
    ]

    /// One rule naming an interface after its MAC address.
    public struct Rule: Sendable, Hashable {
        public var line: Int
        public var address: String
        public var name: String
    }

    /// The rules with `SUBSYSTEM=="net"`, `ATTR{address}=="…"` and `NAME="…"`.
    public static func rules(in text: String) -> [Rule] {
        ConfigText(text).lines.enumerated().compactMap { index, line in
            let body = line.content
            guard !body.trimmingWhitespace.hasPrefix("#"), body.contains("SUBSYSTEM==\"net\"") else { return nil }
            guard let address = quoted(after: "ATTR{address}==\"", in: body),
                let name = quoted(after: "NAME=\"", in: body)
            else { return nil }
            return Rule(line: index + 1, address: address, name: name)
        }
    }

    static func quoted(after marker: String, in text: String) -> String? {
        guard let range = text.firstRange(of: marker) else { return nil }
        let rest = text[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }
}
