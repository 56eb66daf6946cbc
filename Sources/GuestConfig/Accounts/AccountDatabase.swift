/// One of the colon-separated account files.
public enum AccountFileKind: String, Sendable, Hashable, CaseIterable {
    /// `/etc/passwd`: name:password:uid:gid:gecos:home:shell
    case passwd
    /// `/etc/shadow`: name:hash:lastchange:min:max:warn:inactive:expire:reserved
    case shadow
    /// `/etc/group`: name:password:gid:members
    case group
    /// `/etc/gshadow`: name:password:administrators:members
    case gshadow

    /// The number of fields a well-formed line has.
    public var fieldCount: Int {
        switch self {
        case .passwd: 7
        case .shadow: 9
        case .group, .gshadow: 4
        }
    }

    /// The fields holding comma-separated user lists.
    var memberListFields: [Int] {
        switch self {
        case .passwd, .shadow: []
        case .group: [3]
        case .gshadow: [2, 3]
        }
    }

    /// The standard path.
    public var path: String { "/etc/" + rawValue }
}

/// How to lock root's password in `/etc/shadow`.
public enum RootPasswordLock: Sendable, Hashable {
    /// Replace the hash with `*` (no password can match; virt-customize `--root-password disabled`).
    case asterisk
    /// Prefix the hash with `!` (`passwd -l`; reversible). An already `!`-prefixed hash is left alone.
    case exclamationPrefix
    /// What waagent's `DeleteRootPassword` writes: every `root:` line is dropped and
    /// `root:*LOCK*:14600::::::` is inserted as line 1 (generalize.md §a.1).
    case waagent
}

/// A passwd, shadow, group or gshadow file.
///
/// Lines are split at `:` only for reading and for the lines an edit touches; every other line, including
/// comments (`#`), blank lines, NIS `+`/`-` entries and lines with the wrong number of fields (reported), is
/// kept byte for byte and in place.
public struct AccountDatabase: Sendable {
    /// The waagent lock line.
    public static let waagentRootLine = "root:*LOCK*:14600::::::"

    /// Which of the four files this is.
    public let kind: AccountFileKind
    /// The file being edited: path, original text, current lines and findings.
    public private(set) var editable: EditableDocument

    /// One parsed line.
    public struct Record: Sendable, Hashable {
        /// The 0-based line index in the file.
        public var lineIndex: Int
        /// The colon-separated fields, as written.
        public var fields: [String]
        /// The first field: the user or group name.
        public var name: String { fields[0] }
    }

    /// Parses `text` as a `kind` file; lines with the wrong number of fields are kept and reported.
    public init(_ text: String, kind: AccountFileKind, path: String? = nil) {
        self.kind = kind
        editable = EditableDocument(text, path: path ?? kind.path)
        // Each line is split once: the well-formed ones are the records, the others are reported.
        // A line's fields are counted before they are made: a malformed line needs only the count.
        for (index, line) in editable.document.lines.enumerated() where !AccountDatabase.isIgnorable(line.content) {
            let count = AccountDatabase.fieldCount(of: line.content)
            if count == kind.fieldCount {
                records.append(Record(lineIndex: index, fields: AccountDatabase.fields(of: line.content)))
            } else {
                editable.findings.append(
                    ConfigFinding(
                        .warning, .malformedLine, line: index + 1,
                        "\(count) fields, \(kind.rawValue) lines have \(kind.fieldCount); kept as is"))
            }
        }
    }

    static func isIgnorable(_ content: String) -> Bool {
        content.isEmpty || content.hasPrefix("#") || content.hasPrefix("+") || content.hasPrefix("-")
    }

    /// The colon-separated fields of a line, as written (`Character`s: a `:` that a combining mark follows is
    /// part of a field). A line of one character per scalar (`isOneCharacterPerScalar`;
    /// no line holds a `\n`) is split at its bytes, which gives the same fields without breaking it into
    /// grapheme clusters.
    static func fields(of content: String) -> [String] {
        guard content.isOneCharacterPerScalar else {
            return content.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        }
        // One pass at the bytes, each field made a String as it ends.
        let bytes = content.utf8
        var fields: [String] = []
        var start = bytes.startIndex
        for index in bytes.indices where bytes[index] == UInt8(ascii: ":") {
            fields.append(String(decoding: bytes[start..<index], as: UTF8.self))
            start = bytes.index(after: index)
        }
        fields.append(String(decoding: bytes[start...], as: UTF8.self))
        return fields
    }

    /// How many fields ``fields(of:)`` gives for `content` (its `:` characters plus one), without making them.
    static func fieldCount(of content: String) -> Int {
        guard content.isOneCharacterPerScalar else { return content.reduce(1) { $1 == ":" ? $0 + 1 : $0 } }
        return content.utf8.reduce(1) { $1 == UInt8(ascii: ":") ? $0 + 1 : $0 }
    }

    /// The well-formed lines (as many fields as ``AccountFileKind/fieldCount``, not a comment, blank or NIS
    /// line), in order: split when the text is read and again only after an edit changes lines.
    public private(set) var records: [Record] = []

    /// Splits the current lines again after an edit.
    private mutating func recordsChanged() {
        records = editable.document.lines.enumerated().compactMap { index, line in
            guard !AccountDatabase.isIgnorable(line.content),
                AccountDatabase.fieldCount(of: line.content) == kind.fieldCount
            else { return nil }
            return Record(lineIndex: index, fields: AccountDatabase.fields(of: line.content))
        }
    }

    /// The record named `name` (the first, as getpwnam reads), or nil.
    public func record(named name: String) -> Record? { records.first { $0.name == name } }

    private mutating func setField(_ field: Int, of record: Record, to value: String) -> Bool {
        var fields = record.fields
        guard fields[field] != value else { return false }
        fields[field] = value
        editable.document.replaceContent(at: record.lineIndex, with: fields.joined(separator: ":"))
        recordsChanged()
        return true
    }

    /// Locks root's password (shadow only; the password field of passwd is left alone).
    /// - Returns: true when the text changed.
    /// - Throws: `.unsupportedFile` on a file that is not shadow; `.malformed` when there is no root line
    ///   (for `.asterisk` and `.exclamationPrefix`).
    @discardableResult
    public mutating func lockRootPassword(_ style: RootPasswordLock) throws(GuestConfigError) -> Bool {
        guard kind == .shadow else {
            throw GuestConfigError(.unsupportedFile, "root's password is locked in /etc/shadow", path: path)
        }
        switch style {
        case .waagent:
            let rootLines = document.lines.indices.filter { document.lines[$0].content.hasPrefix("root:") }
            if rootLines == [0], document.lines[0].content == Self.waagentRootLine { return false }
            var lines = document.lines
            let terminator = document.dominantTerminator
            for index in rootLines.reversed() { lines.remove(at: index) }
            lines.insert(ConfigLine(Self.waagentRootLine, terminator: terminator), at: 0)
            editable.document.lines = lines
            recordsChanged()
            return true
        case .asterisk, .exclamationPrefix:
            guard let root = record(named: "root") else {
                throw GuestConfigError(.malformed, "there is no well-formed root line", path: path, field: "root")
            }
            let hash = root.fields[1]
            if style == .asterisk { return setField(1, of: root, to: "*") }
            if hash.hasPrefix("!") || hash == "*" || hash.hasPrefix("*") { return false }
            return setField(1, of: root, to: "!" + hash)
        }
    }

    /// What waagent's `Provisioning.DeleteRootPassword` does (``RootPasswordLock/waagent``). It does not
    /// empty the field: an empty password field would let anyone log in as root without a password.
    @discardableResult
    public mutating func deleteRootPassword() throws(GuestConfigError) -> Bool {
        try lockRootPassword(.waagent)
    }

    /// True when root cannot log in with a password: its hash is `*`, starts with `!`, or is `*LOCK*`.
    public var isRootPasswordLocked: Bool {
        guard kind == .shadow, let root = record(named: "root") else { return false }
        let hash = root.fields[1]
        return hash.hasPrefix("!") || hash.hasPrefix("*")
    }

    /// Removes `user`: its own line (passwd, shadow; in group/gshadow the group named after it when no one
    /// else is a member), and its name from every member list (group members; gshadow administrators and
    /// members), keeping the order of the others.
    /// - Returns: true when the text changed.
    @discardableResult
    public mutating func removeUser(_ user: String) -> Bool {
        guard !user.isEmpty, !user.contains(":"), !user.contains(",") else { return false }
        var changed = false
        for record in records.reversed() {
            if record.name == user {
                let otherMembers = kind.memberListFields.flatMap { AccountDatabase.members(record.fields[$0]) }
                    .filter { $0 != user }
                if otherMembers.isEmpty {
                    editable.document.lines.remove(at: record.lineIndex)
                    changed = true
                    continue
                }
                editable.findings.append(
                    ConfigFinding(
                        .warning, .skipped, line: record.lineIndex + 1,
                        "group \(user) still has members (\(otherMembers.joined(separator: ","))); kept"))
            }
            var updated = record
            for field in kind.memberListFields {
                let members = AccountDatabase.members(record.fields[field])
                if members.contains(user) {
                    updated.fields[field] = members.filter { $0 != user }.joined(separator: ",")
                }
            }
            if updated.fields != record.fields {
                editable.document.replaceContent(at: record.lineIndex, with: updated.fields.joined(separator: ":"))
                changed = true
            }
        }
        if changed { recordsChanged() }
        return changed
    }

    static func members(_ field: String) -> [String] {
        field.isEmpty ? [] : field.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    }
}
