/// One directory-entry name inside the guest, as the raw bytes stored on disk.
///
/// ext4 names are byte strings: any byte but `/` and NUL, not necessarily UTF-8. `bytes` is the truth;
/// ``display`` is a lossless, printable form: valid UTF-8 stays as it is, except that a backslash becomes `\\`,
/// control characters become `\n`, `\t`, `\r` or `\xNN`, and bytes that are not UTF-8 become `\xNN`.
/// ``init(escaped:)`` reverses it.
public struct GuestName: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The name's bytes on disk.
    public let bytes: [UInt8]

    /// The name made of `bytes` as stored on disk.
    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// The name whose bytes are the UTF-8 of `string`.
    public init(_ string: String) { self.bytes = Array(string.utf8) }

    /// The name that ``display`` renders as `escaped` (`\\`, `\n`, `\t`, `\r`, `\xNN` understood).
    public init(escaped: String) { self.bytes = Escaping.unescape(escaped) }

    /// The lossless printable form (see the type's discussion).
    public var display: String { Escaping.escape(bytes) }

    /// The name as UTF-8 text, when it is valid UTF-8.
    public var utf8String: String? { String(validating: bytes, as: UTF8.self) }

    /// The ``display`` form.
    public var description: String { display }

    /// Bytewise order (what `LC_ALL=C ls` shows).
    public static func < (lhs: GuestName, rhs: GuestName) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }
}

/// The escaping shared by names and paths.
enum Escaping {
    static func escape(_ bytes: [UInt8]) -> String {
        var out = ""
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\\"): out += "\\\\"; index += 1; continue
            case UInt8(ascii: "\n"): out += "\\n"; index += 1; continue
            case UInt8(ascii: "\t"): out += "\\t"; index += 1; continue
            case UInt8(ascii: "\r"): out += "\\r"; index += 1; continue
            case 0..<0x20, 0x7F: out += hex(byte); index += 1; continue
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(byte)); index += 1; continue
            default: break
            }
            // A multi-byte UTF-8 sequence: keep it when it decodes and is not a C1 control character.
            let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 0
            if length > 0, index + length <= bytes.count,
                let text = String(validating: bytes[index..<index + length], as: UTF8.self),
                let scalar = text.unicodeScalars.first, !(0x80...0x9F).contains(scalar.value)
            {
                out += text
                index += length
            } else {
                out += hex(byte)
                index += 1
            }
        }
        return out
    }

    static func unescape(_ text: String) -> [UInt8] {
        let input = Array(text.utf8)
        var out: [UInt8] = []
        var index = 0
        while index < input.count {
            let byte = input[index]
            guard byte == UInt8(ascii: "\\"), index + 1 < input.count else {
                out.append(byte)
                index += 1
                continue
            }
            let next = input[index + 1]
            switch next {
            case UInt8(ascii: "\\"): out.append(next); index += 2
            case UInt8(ascii: "n"): out.append(0x0A); index += 2
            case UInt8(ascii: "t"): out.append(0x09); index += 2
            case UInt8(ascii: "r"): out.append(0x0D); index += 2
            case UInt8(ascii: "x") where index + 3 < input.count:
                if let value = UInt8(String(decoding: input[index + 2...index + 3], as: UTF8.self), radix: 16) {
                    out.append(value)
                    index += 4
                } else {
                    out.append(byte)
                    index += 1
                }
            default: out.append(byte); index += 1
            }
        }
        return out
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return "\\x\(digits[Int(byte >> 4)])\(digits[Int(byte & 0xF)])"
    }
}
