/// The file type identifier at offset 0 of a VHDX file (the first 64 KiB of the header section).
///
/// | offset | size | field | notes |
/// |---:|---:|---|---|
/// | 0 | 8 | signature | `vhdxfile` |
/// | 8 | 512 | creator | UTF-16LE, NUL padded; the writing application, for people only |
/// | 520 | 65016 | reserved | |
public struct VHDXFileIdentifier: Hashable, Sendable {
    /// The identifier's offset in the file.
    public static let offset: UInt64 = 0
    /// The bytes read and checked (the rest of the 64 KiB is reserved).
    public static let size = 520
    /// `vhdxfile`.
    public static let signatureValue: [UInt8] = Array("vhdxfile".utf8)

    /// The creator text (e.g. `QEMU v7.2.22`, `Microsoft Windows 10.0.19045.0`).
    public var creator: String

    /// Whether `store` starts with the `vhdxfile` signature.
    public static func isVHDX(_ store: any ByteStore) throws(BlockIOError) -> Bool {
        guard try store.length() >= 8 else { return false }
        return try store.readExactly(at: 0, count: 8, structure: "VHDX file identifier") == signatureValue
    }

    /// Decodes the identifier of `store`.
    ///
    /// - Throws: ``BlockIOError/Code/badCookie`` naming the `signature` field, or `truncated`.
    public init(reading store: any ByteStore) throws(BlockIOError) {
        let bytes = try store.readExactly(at: Self.offset, count: Self.size, structure: "VHDX file identifier")
        guard Array(bytes[0..<8]) == Self.signatureValue else {
            throw BlockIOError(
                .badCookie, "expected \"vhdxfile\"", path: store.path, offset: Self.offset,
                structure: "VHDX file identifier", field: "signature")
        }
        var units: [UInt16] = []
        for i in stride(from: 8, to: Self.size, by: 2) {
            let unit = bytes.littleEndianUInt16(at: i)
            if unit == 0 { break }
            units.append(unit)
        }
        creator = String(decoding: units, as: UTF16.self)
    }
}
