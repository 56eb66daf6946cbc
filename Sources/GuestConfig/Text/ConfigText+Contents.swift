extension ConfigText {
    /// The content of every line, without its terminator, in file order: for reading a text line by line.
    public var contents: [String] { lines.map(\.content) }

    /// Calls `body` with the 0-based index and the content of every line of `text`, in file order: the same
    /// lines as `ConfigText(text).contents`, cut at the same bytes, but as slices of `text` rather than a
    /// `String` each, for readers that keep few of the lines they look at.
    ///
    /// A slice starts after a `\n` and ends before a `\n` or a `\r\n`: both ends are character boundaries of
    /// `text` (a grapheme cluster never spans a line feed, nor starts inside a `\r\n`), so a slice has the
    /// characters of the line's `String` content.
    static func forEachContent(of text: String, _ body: (Int, Substring) -> Void) {
        let utf8 = text.utf8
        forEachLine(in: Array(utf8)) { index, start, end in
            body(index, text[utf8.index(utf8.startIndex, offsetBy: start)..<utf8.index(utf8.startIndex, offsetBy: end)])
        }
    }

    /// Calls `body` with the 0-based index and the byte range (start, end) of every line's content in `bytes`
    /// (a text's UTF-8), cut as `ConfigText` cuts the text: after each `\n`, the `\r` of a `\r\n` left out.
    static func forEachLine(in bytes: [UInt8], _ body: (_ index: Int, _ start: Int, _ end: Int) -> Void) {
        var lineStart = 0
        var number = 0
        for index in bytes.indices where bytes[index] == UInt8(ascii: "\n") {
            var end = index
            if end != lineStart, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            body(number, lineStart, end)
            number += 1
            lineStart = index + 1
        }
        if lineStart != bytes.count { body(number, lineStart, bytes.count) }
    }
}
