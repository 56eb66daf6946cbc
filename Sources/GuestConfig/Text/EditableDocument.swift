/// The state a line-based editor keeps while it edits one file: the guest path, the text as given, the
/// current lines, and what parsing and editing noticed.
///
/// Editors hold one as ``DocumentEditor/editable`` and change only its ``document`` lines and its
/// ``findings``; everything else about the result (``text``, ``result``) follows from it.
public struct EditableDocument: Sendable, Hashable {
    /// The guest path, for messages and diff headers.
    public let path: String?
    /// The text as given.
    public let original: String
    /// The current lines.
    public var document: ConfigText
    /// What parsing and editing noticed.
    public var findings: [ConfigFinding] = []

    /// Splits `text` into lines, keeping every byte; nothing is noticed yet.
    public init(_ text: String, path: String? = nil) {
        self.path = path
        self.original = text
        self.document = ConfigText(text)
    }

    /// The text after the edits made so far.
    public var text: String { document.text }

    /// The original and edited text, with the findings.
    public var result: ConfigEditResult {
        ConfigEditResult(path: path, original: original, edited: text, findings: findings)
    }
}

/// An editor whose state is one ``EditableDocument``: it gets ``path``, ``original``, ``document``,
/// ``findings``, `text` and `result` from it.
public protocol DocumentEditor: ConfigFileEditor {
    /// The file being edited: path, original text, current lines and findings.
    var editable: EditableDocument { get }
}

extension DocumentEditor {
    /// The guest path, for messages and diff headers.
    public var path: String? { editable.path }
    /// The text as given.
    public var original: String { editable.original }
    /// The current lines.
    public var document: ConfigText { editable.document }
    /// What parsing and editing noticed.
    public var findings: [ConfigFinding] { editable.findings }
    /// The text after the edits made so far.
    public var text: String { editable.text }
    /// The original and edited text, with the findings.
    public var result: ConfigEditResult { editable.result }
}
