/// A GUID as GPT stores it: 16 bytes, the first three fields little-endian ("mixed-endian").
///
/// | Bytes | Field | Encoding |
/// |-------|-------|----------|
/// | 0–3   | time_low | little-endian |
/// | 4–5   | time_mid | little-endian |
/// | 6–7   | time_hi_and_version | little-endian |
/// | 8–15  | clock_seq and node | bytes in order |
///
/// Its text form is the usual upper-case `XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX` that `sgdisk` and
/// `sfdisk --json` print.
public struct GUID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The 16 bytes exactly as stored on disk.
    public let bytes: [UInt8]

    /// The all-zero GUID, which marks an unused GPT entry.
    public static let zero = GUID(onDisk: [UInt8](repeating: 0, count: 16))!

    /// A GUID from its 16 on-disk bytes; `nil` unless there are exactly 16.
    public init?(onDisk bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// A GUID from its text form (case-insensitive); `nil` when malformed.
    public init?(_ text: String) {
        let hex = text.filter { $0 != "-" }
        guard text.count == 36, hex.count == 32 else { return nil }
        var raw: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            raw.append(byte)
            index = next
        }
        // Text order is big-endian for the first three fields; swap them into on-disk order.
        raw =
            Array(raw[0..<4].reversed()) + Array(raw[4..<6].reversed()) + Array(raw[6..<8].reversed())
            + Array(raw[8..<16])
        self.bytes = raw
    }

    /// Whether this is the all-zero GUID.
    public var isZero: Bool { bytes.allSatisfy { $0 == 0 } }

    /// The canonical upper-case form `XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX` (the first three groups
    /// stored little-endian, as GPT does), the way `sgdisk` prints it.
    public var description: String {
        func hex(_ slice: [UInt8]) -> String {
            slice.map { byte in
                let digits = String(byte, radix: 16, uppercase: true)
                return digits.count == 1 ? "0" + digits : digits
            }.joined()
        }
        return [
            hex(bytes[0..<4].reversed()), hex(bytes[4..<6].reversed()), hex(bytes[6..<8].reversed()),
            hex(Array(bytes[8..<10])), hex(Array(bytes[10..<16])),
        ].joined(separator: "-")
    }

    /// Decodes the canonical text form.
    ///
    /// - Throws: `DecodingError.dataCorrupted` when the text is not a GUID.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let guid = GUID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a GUID"))
        }
        self = guid
    }

    /// Encodes the GUID as its canonical text (``description``).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
