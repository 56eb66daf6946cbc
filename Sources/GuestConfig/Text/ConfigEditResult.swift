/// The outcome of one edit of one file: the text before and after, whether anything changed, what was
/// noticed on the way, and a unified diff on request.
public struct ConfigEditResult: Sendable, Hashable {
    /// The guest path, when the caller gave one (used in diff headers and messages).
    public var path: String?
    /// The text before the edit.
    public var original: String
    /// The text after the edit. Equal to `original` when nothing changed.
    public var edited: String
    /// What the editor noticed (malformed lines kept, duplicates, includes, edits skipped).
    public var findings: [ConfigFinding]

    /// A result; repeated findings are kept once.
    public init(path: String? = nil, original: String, edited: String, findings: [ConfigFinding] = []) {
        self.path = path
        self.original = original
        self.edited = edited
        // An editor called twice may notice the same thing twice; report it once.
        var seen: Set<ConfigFinding> = []
        self.findings = findings.filter { seen.insert($0).inserted }
    }

    /// The edited text as UTF-8 bytes, to write back.
    public var editedBytes: [UInt8] { Array(edited.utf8) }

    /// True when the edit changed at least one byte.
    public var changed: Bool { original != edited }

    /// A unified diff from `original` to `edited` (empty when nothing changed).
    ///
    /// - Parameter context: lines of context around each change (3, like `diff -u`).
    public func unifiedDiff(context: Int = 3) -> String {
        let name = path ?? "file"
        return UnifiedDiff(
            old: ConfigText(original), new: ConfigText(edited), oldName: "a" + slashed(name),
            newName: "b" + slashed(name), context: context
        ).rendered
    }

    private func slashed(_ name: String) -> String { name.hasPrefix("/") ? name : "/" + name }
}
