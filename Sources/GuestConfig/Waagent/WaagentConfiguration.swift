/// `/etc/waagent.conf` (WALinuxAgent): `Key=Value` lines and `#` comments.
///
/// Reading follows the agent's `conf.py` exactly: a line that does not start with `#` and contains `=` is
/// split at the first `=`; the key is trimmed; the value is cut at the first `#`, and spaces and double quotes
/// are stripped from both ends. A later line for the same key overrides an earlier one (the agent fills a
/// dictionary). The typed accessors answer what the agent will actually use, defaults included when a key
/// is absent or unreadable (``effectiveValue(of:)``).
///
/// Writing edits the winning line's value in place (spaces around `=` and a trailing comment kept), appends
/// new keys at the end, and validates known keys (`y`/`n`, numbers, enums). Unknown keys are kept and
/// can be set as free text.
public struct WaagentConfiguration: Sendable {
    /// The file being edited: path, original text, current lines and findings.
    public private(set) var editable: EditableDocument {
        didSet { entries = Self.entries(in: editable.document) }
    }

    /// Every `Key=Value` line the agent reads, in order: parsed once and again after each edit, not on every
    /// look-up.
    public private(set) var entries: [Entry] = []

    /// One parsed `Key=Value` line.
    public struct Entry: Sendable, Hashable {
        /// The 0-based line index in the file.
        public var lineIndex: Int
        /// The key as written (trimmed).
        public var key: String
        /// The value as the agent reads it (comment cut, quotes and spaces stripped); nil for `None`.
        public var value: String?
        /// Byte range of the raw value text in the line (from after `=` to before a `#`), trailing spaces
        /// excluded, for in-place edits.
        var valueRange: Range<String.Index>
    }

    /// Parses `text`. Never fails: lines that are not understood are kept and reported.
    public init(_ text: String, path: String? = nil) {
        editable = EditableDocument(text, path: path)
        entries = Self.entries(in: editable.document)
        var seen: [String: Int] = [:]
        for entry in entries {
            if let earlier = seen[entry.key] {
                editable.findings.append(
                    ConfigFinding(
                        .info, .duplicateKey, line: entry.lineIndex + 1,
                        "\(entry.key) is also set on line \(earlier + 1); the agent uses this later one"))
            }
            seen[entry.key] = entry.lineIndex
            if let option = WaagentOption.byKey[entry.key] {
                if let value = entry.value, let problem = option.problem(raw: value) {
                    editable.findings.append(
                        ConfigFinding(.warning, .invalidValue, line: entry.lineIndex + 1, "\(entry.key): \(problem)"))
                }
            } else {
                editable.findings.append(
                    ConfigFinding(
                        .info, .unknownKey, line: entry.lineIndex + 1, "\(entry.key) is not a key this tool knows; kept"
                    ))
            }
        }
    }

    static func parse(_ content: String, index: Int) -> Entry? {
        // A line without an `=` byte has no `=` character: it is passed over without walking its characters.
        guard content.utf8.contains(UInt8(ascii: "=")), !content.hasPrefix("#"),
            let equals = content.firstIndex(of: "=")
        else { return nil }
        let key = content[..<equals].trimmingWhitespace
        guard !key.isEmpty else { return nil }
        let afterEquals = content.index(after: equals)
        let valueEnd = content[afterEquals...].firstIndex(of: "#") ?? content.endIndex
        let rawValue = content[afterEquals..<valueEnd]
        // conf.py: split('#')[0].strip("\" ").strip()
        let stripped = rawValue.trimmingCharacters { $0 == " " || $0 == "\"" }.trimmingWhitespace
        // The editable range: the raw value without surrounding whitespace.
        let start = rawValue.firstIndex { $0 != " " && $0 != "\t" } ?? valueEnd
        let end = rawValue.lastIndex { $0 != " " && $0 != "\t" }.map { content.index(after: $0) } ?? start
        return Entry(
            lineIndex: index, key: key, value: stripped == "None" ? nil : stripped,
            valueRange: start..<max(start, end))
    }

    /// Every `Key=Value` line of `document`, in order.
    static func entries(in document: ConfigText) -> [Entry] {
        document.lines.indices.compactMap { WaagentConfiguration.parse(document.lines[$0].content, index: $0) }
    }

    /// The value the file gives `key` (the last line wins), or nil when absent or `None`.
    public func value(of key: String) -> String? { entries.last { $0.key == key }?.value }

    /// What the agent will use for `key`: the file's value read with the key's type, or the code default.
    /// Unknown keys give their raw value (or `.none`).
    public func effectiveValue(of key: String) -> WaagentValue {
        let raw = value(of: key)
        if let option = WaagentOption.byKey[key] { return option.effectiveValue(raw: raw) }
        return raw.map(WaagentValue.string) ?? .none
    }

    /// The effective value of a boolean option (false for unknown or non-boolean keys).
    public func isEnabled(_ key: String) -> Bool {
        if case .boolean(let on) = effectiveValue(of: key) { return on }
        return false
    }

    /// `Provisioning.RegenerateSshHostKeyPair` as the agent reads it (default false).
    public var regeneratesSshHostKeys: Bool { isEnabled("Provisioning.RegenerateSshHostKeyPair") }
    /// `Provisioning.DeleteRootPassword` (default false).
    public var deletesRootPassword: Bool { isEnabled("Provisioning.DeleteRootPassword") }
    /// `ResourceDisk.Format` (default false).
    public var formatsResourceDisk: Bool { isEnabled("ResourceDisk.Format") }
    /// `ResourceDisk.EnableSwap` (default false).
    public var enablesSwap: Bool { isEnabled("ResourceDisk.EnableSwap") }
    /// `AutoUpdate.Enabled` (default true).
    public var autoUpdateEnabled: Bool { isEnabled("AutoUpdate.Enabled") }
    /// `Provisioning.Agent` (default `auto`).
    public var provisioningAgent: String { effectiveValue(of: "Provisioning.Agent").description }
    /// `OS.PasswordPath` (default `/etc/shadow`).
    public var passwordPath: String { effectiveValue(of: "OS.PasswordPath").description }
    /// `OS.SshDir` (default `/etc/ssh`).
    public var sshDirectory: String { effectiveValue(of: "OS.SshDir").description }
    /// `OS.SudoersDir` (default `/etc/sudoers.d`).
    public var sudoersDirectory: String { effectiveValue(of: "OS.SudoersDir").description }
    /// `Lib.Dir` (default `/var/lib/waagent`).
    public var libraryDirectory: String { effectiveValue(of: "Lib.Dir").description }

    /// Sets `key=value`.
    /// - Throws: `.invalidArgument` for a key with `=`, `#`, spaces or a newline; `.invalidValue` when a known
    ///   key's type or enum rejects the value.
    @discardableResult
    public mutating func set(_ key: String, to value: String) throws(GuestConfigError) -> Bool {
        guard !key.isEmpty, !key.hasPrefix("#"),
            !key.contains(where: { $0 == "=" || $0 == "#" || $0.isWhitespace })
        else { throw GuestConfigError(.invalidArgument, "not a waagent.conf key", path: path, field: key) }
        if let option = WaagentOption.byKey[key] {
            do { try option.validate(value) } catch {
                throw GuestConfigError(error.code, error.message, path: path, field: key)
            }
        } else {
            try WaagentOption(key, .string, default: .none).validate(value)
        }
        if let entry = entries.last(where: { $0.key == key }) {
            var content = document.lines[entry.lineIndex].content
            // An empty value right before a comment gets a space so the comment stays separate.
            let beforeComment = entry.valueRange.isEmpty && content[entry.valueRange.upperBound...].hasPrefix("#")
            content.replaceSubrange(entry.valueRange, with: beforeComment ? value + " " : value)
            let changed = content != document.lines[entry.lineIndex].content
            editable.document.replaceContent(at: entry.lineIndex, with: content)
            return changed
        }
        editable.document.append(key + "=" + value)
        return true
    }

    /// Removes every line that sets `key`. - Returns: true when a line was removed.
    @discardableResult
    public mutating func unset(_ key: String) -> Bool {
        let indices = entries.filter { $0.key == key }.map(\.lineIndex)
        // Other lines stay byte-identical (so removing a last line without newline leaves the previous one's).
        for index in indices.reversed() { editable.document.lines.remove(at: index) }
        return !indices.isEmpty
    }
}
