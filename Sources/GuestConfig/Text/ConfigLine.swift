/// How one physical line of a text file ends.
///
/// Kept exactly as read so that an unedited line is written back byte for byte.
public enum LineTerminator: String, Sendable, Hashable {
    /// `\n` (Unix).
    case lf = "\n"
    /// `\r\n` (DOS/Windows).
    case crlf = "\r\n"
    /// No terminator: the last line of a file without a final newline.
    case none = ""
}

/// One physical line: its text (without the terminator) and the terminator it had.
public struct ConfigLine: Sendable, Hashable {
    /// The characters of the line, without `\n` or `\r\n`.
    public var content: String
    /// How the line ended.
    public var terminator: LineTerminator

    /// A line from its content and terminator.
    public init(_ content: String, terminator: LineTerminator = .lf) {
        self.content = content
        self.terminator = terminator
    }

    /// The line as it appears in the file: content plus terminator.
    public var rawText: String { content + terminator.rawValue }
}
