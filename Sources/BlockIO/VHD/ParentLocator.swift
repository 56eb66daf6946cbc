/// One of the eight 24-byte parent locator entries of a dynamic disk header (header offset 576 + 24·i).
///
/// | offset | size | field | notes |
/// |---:|---:|---|---|
/// | 0 | 4 | platform_code | `W2ru` relative / `W2ku` absolute Windows path (UTF-16LE), `Wi2r`/`Wi2k` the same in single-byte text, `MacX` file URL (UTF-8), 0 none |
/// | 4 | 4 | platform_data_space | space reserved: sectors when < 512 ([SPEC]), bytes when a multiple of 512 (Windows) |
/// | 8 | 4 | platform_data_length | bytes of path stored |
/// | 12 | 4 | reserved | 0 |
/// | 16 | 8 | platform_data_offset | absolute file offset of the path data |
public struct ParentLocator: Hashable, Sendable {
    /// The entry's size in bytes.
    public static let size = 24

    /// Known platform codes.
    public enum Platform: UInt32, Sendable, Codable {
        /// Unused entry.
        case none = 0
        /// Deprecated relative Windows path, single-byte text.
        case wi2r = 0x5769_3272
        /// Deprecated absolute Windows path, single-byte text.
        case wi2k = 0x5769_326B
        /// Relative Windows path, UTF-16LE.
        case w2ru = 0x5732_7275
        /// Absolute Windows path, UTF-16LE.
        case w2ku = 0x5732_6B75
        /// Mac OS alias blob.
        case mac = 0x4D61_6320
        /// `file://` URL, UTF-8.
        case macX = 0x4D61_6358

        /// The four-letter code.
        public var name: String {
            switch self {
            case .none: "none"
            case .wi2r: "Wi2r"
            case .wi2k: "Wi2k"
            case .w2ru: "W2ru"
            case .w2ku: "W2ku"
            case .mac: "Mac "
            case .macX: "MacX"
            }
        }
    }

    /// `platform_code` (bytes 0–3), raw (see ``platform``).
    public var platformCodeValue: UInt32
    /// `platform_data_space` (bytes 4–7), raw (see ``reservedBytes``).
    public var platformDataSpace: UInt32
    /// `platform_data_length` (bytes 8–11): the bytes of path stored.
    public var platformDataLength: UInt32
    /// Bytes 12–15, reserved (0), kept as read.
    public var reserved: UInt32
    /// `platform_data_offset` (bytes 16–23): the absolute file offset of the path data.
    public var platformDataOffset: UInt64

    /// The platform, when the code is a known one.
    public var platform: Platform? { Platform(rawValue: platformCodeValue) }

    /// Whether the entry is in use.
    public var isUsed: Bool { platformCodeValue != 0 }

    /// The reserved space in bytes, reading `platform_data_space` as sectors below 512 and as bytes when a
    /// multiple of 512 (blktap `vhd_parent_locator_size`); `nil` when it is neither.
    public var reservedBytes: UInt64? {
        if platformDataSpace < 512 { return UInt64(platformDataSpace) * 512 }
        if platformDataSpace % 512 == 0 { return UInt64(platformDataSpace) }
        return nil
    }

    /// A used entry: `dataLength` bytes of path for `platform` at file offset `dataOffset`, in
    /// `dataSpace` reserved bytes.
    public init(platform: Platform, dataSpace: UInt32, dataLength: UInt32, dataOffset: UInt64) {
        platformCodeValue = platform.rawValue
        platformDataSpace = dataSpace
        platformDataLength = dataLength
        reserved = 0
        platformDataOffset = dataOffset
    }

    /// An unused entry.
    public static let empty = ParentLocator(platform: .none, dataSpace: 0, dataLength: 0, dataOffset: 0)

    /// Decodes 24 bytes.
    public init(parsing bytes: [UInt8]) {
        precondition(bytes.count == Self.size, "a parent locator is 24 bytes")
        platformCodeValue = bytes.bigEndianUInt32(at: 0)
        platformDataSpace = bytes.bigEndianUInt32(at: 4)
        platformDataLength = bytes.bigEndianUInt32(at: 8)
        reserved = bytes.bigEndianUInt32(at: 12)
        platformDataOffset = bytes.bigEndianUInt64(at: 16)
    }

    /// The 24 bytes of the entry.
    public func serialized() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Self.size)
        bytes.storeBigEndian(platformCodeValue, at: 0)
        bytes.storeBigEndian(platformDataSpace, at: 4)
        bytes.storeBigEndian(platformDataLength, at: 8)
        bytes.storeBigEndian(reserved, at: 12)
        bytes.storeBigEndian(platformDataOffset, at: 16)
        return bytes
    }

    /// Decodes the path payload for this locator's platform (UTF-16LE for `W2ru`/`W2ku`, single-byte text for
    /// the deprecated `Wi2r`/`Wi2k`, a `file://` URL for `MacX`); `nil` for platforms without a path.
    ///
    /// Windows writes `Wi2r`/`Wi2k` paths one byte per character in its ANSI code page (their lengths are
    /// often odd, which UTF-16 never is): read as UTF-8 when valid, else as Latin-1. A `Wi2*` payload that is
    /// plainly UTF-16LE (a NUL after every character byte, even length) is read as such. A `MacX` URL may name
    /// its host: `file:///p` and `file://localhost/p` are both the local path `/p`.
    public func decodePath(_ payload: [UInt8]) -> String? {
        switch platform {
        case .w2ru, .w2ku:
            return Self.utf16LittleEndian(payload)
        case .wi2r, .wi2k:
            return Self.looksLikeUTF16LittleEndian(payload) ? Self.utf16LittleEndian(payload) : Self.singleByte(payload)
        case .macX:
            let text = String(decoding: payload.prefix { $0 != 0 }, as: UTF8.self)
            guard text.hasPrefix("file://") else { return text }
            var rest = Substring(text.dropFirst(7))
            if rest.lowercased().hasPrefix("localhost/") { rest = rest.dropFirst("localhost".count) }
            return Self.percentDecoded(String(rest))
        default:
            return nil
        }
    }

    /// UTF-16LE text up to the first NUL unit.
    private static func utf16LittleEndian(_ payload: [UInt8]) -> String {
        var units: [UInt16] = []
        var index = 0
        while index + 1 < payload.count {
            let unit = UInt16(payload[index]) | UInt16(payload[index + 1]) << 8
            if unit == 0 { break }
            units.append(unit)
            index += 2
        }
        return String(decoding: units, as: UTF16.self)
    }

    /// Whether `payload` is UTF-16LE of ASCII text: an even length, and up to the first NUL unit every
    /// character byte is followed by a zero byte.
    private static func looksLikeUTF16LittleEndian(_ payload: [UInt8]) -> Bool {
        guard payload.count >= 2, payload.count % 2 == 0, payload[0] != 0 else { return false }
        var index = 0
        while index + 1 < payload.count {
            if payload[index] == 0 && payload[index + 1] == 0 { break }
            if payload[index] == 0 || payload[index + 1] != 0 { return false }
            index += 2
        }
        return true
    }

    /// Single-byte text up to the first NUL: UTF-8 when it is valid UTF-8, else Latin-1 (each byte its own
    /// code point, as Windows-1252 is for the letters paths use).
    private static func singleByte(_ payload: [UInt8]) -> String {
        let bytes = payload.prefix { $0 != 0 }
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var text = ""
        for byte in bytes { text.unicodeScalars.append(Unicode.Scalar(byte)) }
        return text
    }

    /// The payload for `path` in this platform's encoding.
    static func encodePath(_ path: String, platform: Platform) -> [UInt8] {
        switch platform {
        case .macX:
            return Array(("file://" + percentEncoded(path)).utf8)
        default:
            return path.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        }
    }

    private static func percentDecoded(_ text: String) -> String {
        var out: [UInt8] = []
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count,
                let value = UInt8(String(decoding: bytes[i + 1...i + 2], as: UTF8.self), radix: 16)
            {
                out.append(value)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func percentEncoded(_ path: String) -> String {
        var out = ""
        for byte in path.utf8 {
            let safe =
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || "/-._~".utf8.contains(byte)
            if safe {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}
