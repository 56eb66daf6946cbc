/// A 16-byte GUID as VHDX stores it: the Windows `GUID` layout, its first three fields little-endian
/// (`Data1` 4 bytes, `Data2` 2, `Data3` 2) and the last 8 bytes as they are.
public struct VHDXGUID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The 16 bytes as stored.
    public var bytes: [UInt8]

    /// A GUID from its 16 bytes as stored on disk (the first three fields little-endian).
    public init(bytes: [UInt8]) {
        precondition(bytes.count == 16, "a GUID is 16 bytes")
        self.bytes = bytes
    }

    /// The GUID written `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (braces allowed, any case); `nil` when `text` is
    /// not one.
    public init?(text: String) {
        let digits = Array(
            text.utf8.filter { $0 != UInt8(ascii: "-") && $0 != UInt8(ascii: "{") && $0 != UInt8(ascii: "}") })
        guard digits.count == 32 else { return nil }
        var canonical: [UInt8] = []
        for i in stride(from: 0, to: 32, by: 2) {
            guard let byte = UInt8(String(decoding: digits[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            canonical.append(byte)
        }
        // Text order is big-endian in every field; the first three fields are stored little-endian.
        bytes =
            [
                canonical[3], canonical[2], canonical[1], canonical[0], canonical[5], canonical[4], canonical[7],
                canonical[6],
            ] + canonical[8..<16]
    }

    /// All zeros.
    public static let zero = VHDXGUID(bytes: [UInt8](repeating: 0, count: 16))

    /// A GUID known to be well-formed (the specification's constants).
    static func known(_ text: String) -> VHDXGUID {
        guard let guid = VHDXGUID(text: text) else { preconditionFailure("malformed GUID constant \(text)") }
        return guid
    }

    /// The bytes in the order the text shows them (RFC 4122 order).
    public var textOrderBytes: [UInt8] { [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15].map { bytes[$0] } }

    /// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lower case.
    public var description: String {
        let hex = textOrderBytes.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }
        return [0..<4, 4..<6, 6..<8, 8..<10, 10..<16].map { hex[$0].joined() }.joined(separator: "-")
    }

    /// Decodes a GUID from its string form.
    /// - Throws: `DecodingError` when the string is not a GUID.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let guid = VHDXGUID(text: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a GUID"))
        }
        self = guid
    }

    /// Encodes the GUID as its string form (`XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX`).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
