/// The 512-byte sector 0 of a disk (and the layout of every EBR in an extended partition's chain).
///
/// | Offset | Size | Field |
/// |--------|------|-------|
/// | 0      | 440  | bootstrap code (for a volume boot record: the FAT/NTFS BPB) |
/// | 440    | 4    | disk signature, little-endian (`sfdisk --json` "id") |
/// | 444    | 2    | reserved |
/// | 446    | 64   | four ``MBRPartitionEntry`` values |
/// | 510    | 2    | boot signature `0x55 0xAA` |
public struct MasterBootRecord: Hashable, Sendable {
    /// The size of the sector.
    public static let size = 512

    /// The disk signature.
    public let diskSignature: UInt32
    /// The four entries, in slot order.
    public let entries: [MBRPartitionEntry]
    /// Whether the sector looks like the boot sector of a FAT or NTFS filesystem at offset 0 (an unpartitioned
    /// disk), not a partition table.
    public let looksLikeVolumeBootRecord: Bool

    /// Parses a 512-byte sector read at `diskOffset`.
    ///
    /// - Throws: ``DiskLayoutError/Code/badSignature`` without `0x55AA` at offset 510,
    ///   ``DiskLayoutError/Code/truncated`` when `sector` is short.
    public init(parsing sector: [UInt8], diskOffset: UInt64 = 0, structure: String = "MBR") throws(DiskLayoutError) {
        let reader = ByteReader(sector, diskOffset: diskOffset, structure: structure)
        let signature = try reader.uint16(at: 510, "boot signature")
        guard signature == 0xAA55 else {
            throw DiskLayoutError(
                .badSignature, "boot signature is 0x\(String(signature, radix: 16)), not 0xAA55",
                structure: structure, field: "boot signature", offset: reader.diskOffset(of: 510))
        }
        diskSignature = try reader.uint32(at: 440, "disk signature")
        var entries: [MBRPartitionEntry] = []
        for slot in 0..<4 {
            entries.append(try MBRPartitionEntry(parsing: reader, at: 446 + slot * MBRPartitionEntry.size))
        }
        self.entries = entries
        let fat16 = try reader.bytes(at: 54, count: 3, "FAT16 filesystem type")
        let fat32 = try reader.bytes(at: 82, count: 5, "FAT32 filesystem type")
        let oem = try reader.bytes(at: 3, count: 8, "OEM name")
        let jump = try reader.uint8(at: 0, "jump instruction")
        looksLikeVolumeBootRecord =
            (jump == 0xEB || jump == 0xE9)
            && (fat16 == Array("FAT".utf8) || fat32 == Array("FAT32".utf8) || oem == Array("NTFS    ".utf8)
                || oem == Array("EXFAT   ".utf8))
    }

    /// Whether every status byte is `0x00` or `0x80`, as in any real partition table.
    public var hasValidStatusBytes: Bool { entries.allSatisfy(\.hasValidStatus) }

    /// Whether an entry is the `0xEE` GPT protective partition.
    public var hasProtectiveEntry: Bool { entries.contains { $0.type.code == 0xEE && !$0.isEmpty } }

    /// Whether entries other than the `0xEE` one are in use (a hybrid MBR, when there is a GPT).
    public var hasNonProtectiveEntries: Bool { entries.contains { !$0.isEmpty && $0.type.code != 0xEE } }
}
