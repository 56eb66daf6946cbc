/// One entry of the GPT partition entry array (the first 128 bytes; larger entries carry reserved bytes after).
///
/// | Offset | Size | Field |
/// |--------|------|-------|
/// | 0      | 16   | partition type GUID (all zero: unused entry) |
/// | 16     | 16   | unique partition GUID (`PARTUUID`) |
/// | 32     | 8    | first LBA |
/// | 40     | 8    | last LBA (inclusive) |
/// | 48     | 8    | attribute flags (bit 0 required, 1 no block-IO protocol, 2 legacy BIOS bootable, 48–63 type-specific) |
/// | 56     | 72   | partition name, UTF-16LE, NUL-padded |
public struct GPTPartitionEntry: Hashable, Sendable {
    /// The bytes of an entry this parser reads; an entry may be larger (``GPTHeader/entrySize``).
    public static let parsedSize = 128

    /// The partition type.
    public let type: GPTPartitionType
    /// The unique partition GUID (`PARTUUID`).
    public let uniqueGUID: GUID
    /// The first sector.
    public let firstLBA: UInt64
    /// The last sector (inclusive).
    public let lastLBA: UInt64
    /// The attribute bits (see ``attributeNames(_:)``).
    public let attributes: UInt64
    /// The name, decoded from UTF-16LE up to the first NUL (invalid code units become U+FFFD).
    public let name: String

    /// Whether the entry is unused.
    public var isUnused: Bool { type.isUnused }

    /// Parses the entry at `offset` of `reader`.
    init(parsing reader: ByteReader, at offset: Int) throws(DiskLayoutError) {
        type = GPTPartitionType(GUID(onDisk: try reader.bytes(at: offset, count: 16, "partition type GUID"))!)
        uniqueGUID = GUID(onDisk: try reader.bytes(at: offset + 16, count: 16, "unique partition GUID"))!
        firstLBA = try reader.uint64(at: offset + 32, "first LBA")
        lastLBA = try reader.uint64(at: offset + 40, "last LBA")
        attributes = try reader.uint64(at: offset + 48, "attributes")
        var units: [UInt16] = []
        for index in 0..<36 {
            let unit = try reader.uint16(at: offset + 56 + index * 2, "partition name")
            if unit == 0 { break }
            units.append(unit)
        }
        name = String(decoding: units, as: UTF16.self)
    }

    /// The attribute bits as `sfdisk` names them, space-separated (`"RequiredPartition LegacyBIOSBootable GUID:60"`).
    public static func attributeNames(_ attributes: UInt64) -> [String] {
        var names: [String] = []
        if attributes & 1 != 0 { names.append("RequiredPartition") }
        if attributes & 2 != 0 { names.append("NoBlockIOProtocol") }
        if attributes & 4 != 0 { names.append("LegacyBIOSBootable") }
        var typeBits: [String] = []
        for bit in 48..<64 where attributes & (1 << UInt64(bit)) != 0 { typeBits.append(String(bit)) }
        if !typeBits.isEmpty { names.append("GUID:" + typeBits.joined(separator: ",")) }
        return names
    }
}
