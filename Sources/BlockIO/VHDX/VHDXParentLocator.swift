/// The parent locator metadata item of a differencing VHDX: key/value pairs of UTF-16LE text naming the parent.
/// All integers little-endian; offsets are from the start of the item.
///
/// | offset | size | field | notes |
/// |---:|---:|---|---|
/// | 0 | 16 | locator_type | `B04AEFB7-D19E-4A81-B789-25B8E9445913` (a VHDX parent) |
/// | 16 | 2 | reserved | |
/// | 18 | 2 | key_value_count | |
/// | 20 | 12 × n | entries | u32 key_offset, u32 value_offset, u16 key_length, u16 value_length |
///
/// Keys: `parent_linkage` (the parent's data_write_guid, `{…}`), `parent_linkage2`, `relative_path`,
/// `volume_path` (`\\?\Volume{…}\…`), `absolute_win32_path`.
public struct VHDXParentLocator: Hashable, Sendable {
    /// The fixed part before the entries.
    public static let headerSize = 20
    /// The one locator type defined.
    public static let vhdxParentType = VHDXGUID.known("B04AEFB7-D19E-4A81-B789-25B8E9445913")

    /// The pairs, in stored order.
    public var entries: [(key: String, value: String)]

    /// The value of `key`, when present.
    public func value(of key: String) -> String? { entries.first { $0.key == key }?.value }

    /// Two locators are equal when their entries have the same keys and values, in the same order.
    public static func == (a: Self, b: Self) -> Bool {
        a.entries.map(\.key) == b.entries.map(\.key) && a.entries.map(\.value) == b.entries.map(\.value)
    }

    /// Hashes every entry's key and value, in order.
    public func hash(into hasher: inout Hasher) {
        for entry in entries {
            hasher.combine(entry.key)
            hasher.combine(entry.value)
        }
    }

    /// Decodes the item `bytes`, found at `offset` of the file at `path`.
    ///
    /// - Throws: ``BlockIOError/Code/unsupported`` for another locator type, `invalidField` for an entry or text
    ///   outside the item or a key given twice.
    public init(parsing bytes: [UInt8], path: String, offset: UInt64) throws(BlockIOError) {
        let structure = "VHDX parent locator"
        let type = VHDXGUID(bytes: Array(bytes[0..<16]))
        guard type == Self.vhdxParentType else {
            throw BlockIOError(
                .unsupported, "locator type \(type) is not a VHDX parent", path: path, offset: offset,
                structure: structure, field: "locator_type")
        }
        let count = Int(bytes.littleEndianUInt16(at: 18))
        guard Self.headerSize + 12 * count <= bytes.count else {
            throw BlockIOError(
                .invalidField, "\(count) entries do not fit in the \(bytes.count)-byte item", path: path,
                offset: offset + 18, structure: structure, field: "key_value_count")
        }
        func text(at start: UInt32, length: UInt16, entry: Int) throws(BlockIOError) -> String {
            let end = UInt64(start) + UInt64(length)
            guard end <= UInt64(bytes.count), length % 2 == 0 else {
                throw BlockIOError(
                    .invalidField, "text of \(length) bytes at \(start) is not UTF-16 inside the item", path: path,
                    offset: offset + UInt64(Self.headerSize + 12 * entry), structure: structure, field: "entry \(entry)"
                )
            }
            var units: [UInt16] = []
            for i in stride(from: Int(start), to: Int(end), by: 2) { units.append(bytes.littleEndianUInt16(at: i)) }
            return String(decoding: units, as: UTF16.self)
        }
        var entries: [(key: String, value: String)] = []
        for index in 0..<count {
            let at = Self.headerSize + 12 * index
            let key = try text(
                at: bytes.littleEndianUInt32(at: at), length: bytes.littleEndianUInt16(at: at + 8), entry: index)
            let value = try text(
                at: bytes.littleEndianUInt32(at: at + 4), length: bytes.littleEndianUInt16(at: at + 10), entry: index)
            if entries.contains(where: { $0.key == key }) {
                throw BlockIOError(
                    .invalidField, "key \"\(key)\" is given twice", path: path, offset: offset + UInt64(at),
                    structure: structure, field: "entry \(index)")
            }
            entries.append((key, value))
        }
        self.entries = entries
    }
}
