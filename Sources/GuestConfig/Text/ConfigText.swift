/// A text file as a list of physical lines whose terminators are kept exactly.
///
/// This is the line model under every editor of this module: parsing never normalises anything, so
/// `ConfigText(text).text == text` for every input, including CRLF files, mixed terminators and a missing
/// final newline. Editors replace, insert or delete whole lines; every line they do not touch is written
/// back unchanged.
public struct ConfigText: Sendable, Hashable {
    /// The physical lines, in file order.
    public var lines: [ConfigLine]

    /// Splits `text` into lines. A `\r` is part of the terminator only when it immediately precedes `\n`.
    public init(_ text: String) {
        // Split at the bytes: "\r\n" is a single Character in Swift (and was appended scalar by scalar before,
        // which dominated every parser's time); a line's "\r" right before its "\n" makes it a CRLF line, any
        // other "\r" stays in the content.
        // The bytes are copied into an array once: indexing a String's UTF-8 view costs several checks a byte.
        var lines: [ConfigLine] = []
        let bytes = Array(text.utf8)
        var lineStart = 0
        for index in bytes.indices where bytes[index] == UInt8(ascii: "\n") {
            var end = index
            var terminator = LineTerminator.lf
            if end != lineStart, bytes[end - 1] == UInt8(ascii: "\r") {
                end -= 1
                terminator = .crlf
            }
            lines.append(ConfigLine(String(decoding: bytes[lineStart..<end], as: UTF8.self), terminator: terminator))
            lineStart = index + 1
        }
        if lineStart != bytes.count {
            lines.append(ConfigLine(String(decoding: bytes[lineStart...], as: UTF8.self), terminator: .none))
        }
        self.lines = lines
    }

    /// Decodes UTF-8 bytes and splits them into lines.
    ///
    /// - Throws: `GuestConfigError` with code `.invalidEncoding` and the byte offset of the first invalid
    ///   sequence. The bytes are never repaired: a file that is not UTF-8 cannot be edited losslessly as text.
    public init(bytes: [UInt8], path: String? = nil) throws(GuestConfigError) {
        if let offset = UTF8Validation.firstInvalidOffset(bytes) {
            throw GuestConfigError(
                .invalidEncoding, "the file is not valid UTF-8; it is left as it is", path: path, offset: offset)
        }
        self.init(String(decoding: bytes, as: UTF8.self))
    }

    /// A text from lines.
    public init(lines: [ConfigLine]) { self.lines = lines }

    /// Decodes a file's bytes for the editors, which take `String`: UTF-8 only, never repaired.
    /// - Throws: `.invalidEncoding` with the offset of the first invalid byte.
    public static func decode(_ bytes: [UInt8], path: String? = nil) throws(GuestConfigError) -> String {
        try ConfigText(bytes: bytes, path: path).text
    }

    /// The file text: every line's content and terminator, concatenated.
    public var text: String {
        // Sized once (a line's UTF-8 count is stored, not counted): appending line by line would otherwise
        // reallocate and copy the growing text again and again.
        var count = 0
        for line in lines { count += line.content.utf8.count + line.terminator.rawValue.utf8.count }
        var out = ""
        out.reserveCapacity(count)
        for line in lines {
            out += line.content
            out += line.terminator.rawValue
        }
        return out
    }

    /// The terminator new lines should get: the most common one in the file (`\n` for an empty file).
    public var dominantTerminator: LineTerminator {
        var crlf = 0
        var lf = 0
        for line in lines {
            switch line.terminator {
            case .crlf: crlf += 1
            case .lf: lf += 1
            case .none: break
            }
        }
        return crlf > lf ? .crlf : .lf
    }

    /// Appends a line at the end of the file. When the last line has no terminator it gets the file's
    /// dominant one first, because otherwise the new text would join it.
    public mutating func append(_ content: String) {
        let terminator = dominantTerminator
        if let last = lines.indices.last, lines[last].terminator == .none {
            lines[last].terminator = terminator
        }
        lines.append(ConfigLine(content, terminator: terminator))
    }

    /// Inserts a line before index `index` with the file's dominant terminator.
    /// Inserting at `lines.count` is the same as `append`.
    public mutating func insert(_ content: String, at index: Int) {
        if index >= lines.count {
            append(content)
            return
        }
        lines.insert(ConfigLine(content, terminator: dominantTerminator), at: index)
    }

    /// Replaces the content of line `index`, keeping its terminator.
    public mutating func replaceContent(at index: Int, with content: String) {
        lines[index].content = content
    }
}

/// UTF-8 validation without Foundation.
enum UTF8Validation {
    /// The offset of the first byte that does not start a valid UTF-8 sequence, or nil when all are valid.
    static func firstInvalidOffset(_ bytes: [UInt8]) -> Int? {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            let length: Int
            var minimum: UInt32 = 0
            var scalar: UInt32
            switch byte {
            case 0x00...0x7F:
                index += 1
                continue
            case 0xC2...0xDF:
                length = 2
                scalar = UInt32(byte & 0x1F)
                minimum = 0x80
            case 0xE0...0xEF:
                length = 3
                scalar = UInt32(byte & 0x0F)
                minimum = 0x800
            case 0xF0...0xF4:
                length = 4
                scalar = UInt32(byte & 0x07)
                minimum = 0x10000
            default: return index
            }
            guard index + length <= bytes.count else { return index }
            for next in bytes[(index + 1)..<(index + length)] {
                guard next & 0xC0 == 0x80 else { return index }
                scalar = (scalar << 6) | UInt32(next & 0x3F)
            }
            guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else { return index }
            index += length
        }
        return nil
    }
}
