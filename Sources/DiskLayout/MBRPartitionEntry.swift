/// One 16-byte partition entry of an MBR or EBR.
///
/// | Offset | Size | Field |
/// |--------|------|-------|
/// | 0      | 1    | status: `0x80` bootable, `0x00` not (anything else: not a partition table) |
/// | 1      | 3    | CHS address of the first sector (ignored; LBA is authoritative) |
/// | 4      | 1    | partition type |
/// | 5      | 3    | CHS address of the last sector (ignored) |
/// | 8      | 4    | first sector (LBA), little-endian; relative to the EBR or the extended partition in a chain |
/// | 12     | 4    | number of sectors, little-endian |
public struct MBRPartitionEntry: Hashable, Sendable {
    /// The size of an entry on disk.
    public static let size = 16

    /// The status byte.
    public let status: UInt8
    /// The partition type.
    public let type: MBRPartitionType
    /// The first sector, as stored (relative where the entry is in an EBR).
    public let firstLBA: UInt32
    /// The number of sectors.
    public let sectorCount: UInt32

    /// Whether the boot flag (`0x80`) is set.
    public var isBootable: Bool { status == 0x80 }
    /// Whether the entry is unused (type 0 or no sectors).
    public var isEmpty: Bool { type.isEmpty || sectorCount == 0 }
    /// Whether the status byte is one a partition table may hold (`0x00` or `0x80`).
    public var hasValidStatus: Bool { status == 0x00 || status == 0x80 }

    /// Parses the entry at `offset` of `reader`.
    init(parsing reader: ByteReader, at offset: Int) throws(DiskLayoutError) {
        status = try reader.uint8(at: offset, "status")
        type = MBRPartitionType(try reader.uint8(at: offset + 4, "partition type"))
        firstLBA = try reader.uint32(at: offset + 8, "first LBA")
        sectorCount = try reader.uint32(at: offset + 12, "sector count")
    }
}
