/// A 16-byte VHD unique id (footer offset 68, header parent id at 40), stored in RFC 4122 byte order.
public struct VHDUniqueID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The 16 bytes as stored.
    public var bytes: [UInt8]

    /// The id of these 16 bytes, as stored (a precondition: exactly 16).
    public init(bytes: [UInt8]) {
        precondition(bytes.count == 16, "a VHD unique id is 16 bytes")
        self.bytes = bytes
    }

    /// All zeros.
    public static let zero = VHDUniqueID(bytes: [UInt8](repeating: 0, count: 16))

    /// A new random (version 4) id.
    public static func random() -> VHDUniqueID {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return VHDUniqueID(bytes: bytes)
    }

    /// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lower case.
    public var description: String {
        let hex = bytes.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }
        let groups = [0..<4, 4..<6, 6..<8, 8..<10, 10..<16].map { hex[$0].joined() }
        return groups.joined(separator: "-")
    }

    /// Decodes the `xxxxxxxx-xxxx-…` form ``description`` gives.
    ///
    /// - Throws: `DecodingError.dataCorrupted` unless the text is 32 hexadecimal digits (dashes ignored).
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        let digits = Array(text.filter { $0 != "-" }.utf8)
        guard digits.count == 32 else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a UUID"))
        }
        var bytes: [UInt8] = []
        for i in stride(from: 0, to: 32, by: 2) {
            guard let byte = UInt8(String(decoding: digits[i..<i + 2], as: UTF8.self), radix: 16) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not hex"))
            }
            bytes.append(byte)
        }
        self.bytes = bytes
    }

    /// Encodes the id as its ``description``.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Bytes as hex for messages, e.g. `0x636f6e65`.
    static func hex(_ bytes: [UInt8]) -> String {
        "0x"
            + bytes.map {
                let d = String($0, radix: 16); return d.count == 1 ? "0" + d : d
            }.joined()
    }
}
