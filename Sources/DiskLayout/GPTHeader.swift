/// A GPT header (primary at LBA 1, backup at the last LBA), as stored in a 512-byte sector.
///
/// | Offset | Size | Field |
/// |--------|------|-------|
/// | 0      | 8    | signature `"EFI PART"` |
/// | 8      | 4    | revision (`0x00010000`) |
/// | 12     | 4    | header size (92 … sector size) |
/// | 16     | 4    | CRC32 of the first *header size* bytes with this field zeroed |
/// | 20     | 4    | reserved (zero) |
/// | 24     | 8    | LBA of this header |
/// | 32     | 8    | LBA of the other header |
/// | 40     | 8    | first usable LBA |
/// | 48     | 8    | last usable LBA (inclusive) |
/// | 56     | 16   | disk GUID |
/// | 72     | 8    | first LBA of the partition entry array |
/// | 80     | 4    | number of entries |
/// | 84     | 4    | size of one entry (128 × 2ⁿ) |
/// | 88     | 4    | CRC32 of the entry array (*number* × *size* bytes) |
///
/// All integers are little-endian.
public struct GPTHeader: Hashable, Sendable {
    /// The smallest header size the specification allows.
    public static let minimumSize = 92
    /// `"EFI PART"`.
    public static let signature = Array("EFI PART".utf8)

    /// The revision (`0x00010000` for 1.0).
    public let revision: UInt32
    /// The number of header bytes the CRC covers.
    public let headerSize: UInt32
    /// The stored header CRC32 (checked when parsing).
    public let headerCRC32: UInt32
    /// The LBA this header says it is at (1 for the primary, the last LBA for the backup).
    public let myLBA: UInt64
    /// The LBA of the other header.
    public let alternateLBA: UInt64
    /// The first sector partitions may use.
    public let firstUsableLBA: UInt64
    /// The last sector partitions may use (inclusive).
    public let lastUsableLBA: UInt64
    /// The disk GUID (`sfdisk` "id").
    public let diskGUID: GUID
    /// The first sector of the partition entry array.
    public let entryArrayLBA: UInt64
    /// The number of entries in the array (128 by default).
    public let entryCount: UInt32
    /// The size of one entry in bytes (128 by default).
    public let entrySize: UInt32
    /// The CRC32 of the whole entry array.
    public let entryArrayCRC32: UInt32

    /// Parses and checks a header from the sector read at `diskOffset`: signature, header size and header CRC.
    ///
    /// - Throws: ``DiskLayoutError/Code/badSignature``, ``DiskLayoutError/Code/invalidField`` (header size
    ///   outside 92…sector size), ``DiskLayoutError/Code/checksumMismatch`` (both values in the message).
    public init(parsing sector: [UInt8], diskOffset: UInt64, structure: String) throws(DiskLayoutError) {
        let reader = ByteReader(sector, diskOffset: diskOffset, structure: structure)
        guard try reader.bytes(at: 0, count: 8, "signature") == Self.signature else {
            throw DiskLayoutError(
                .badSignature, "no \"EFI PART\" signature", structure: structure, field: "signature",
                offset: diskOffset)
        }
        revision = try reader.uint32(at: 8, "revision")
        headerSize = try reader.uint32(at: 12, "header size")
        guard headerSize >= Self.minimumSize, headerSize <= sector.count else {
            throw DiskLayoutError(
                .invalidField, "header size is \(headerSize); it must be \(Self.minimumSize)…\(sector.count)",
                structure: structure, field: "header size", offset: reader.diskOffset(of: 12))
        }
        headerCRC32 = try reader.uint32(at: 16, "header CRC32")
        var covered = try reader.bytes(at: 0, count: Int(headerSize), "header")
        for index in 16..<20 { covered[index] = 0 }
        let computed = CRC32.checksum(covered)
        guard computed == headerCRC32 else {
            throw DiskLayoutError(
                .checksumMismatch,
                "header CRC32 is \(hex32(headerCRC32)) but the \(headerSize) header bytes give \(hex32(computed))",
                structure: structure, field: "header CRC32", offset: reader.diskOffset(of: 16))
        }
        myLBA = try reader.uint64(at: 24, "my LBA")
        alternateLBA = try reader.uint64(at: 32, "alternate LBA")
        firstUsableLBA = try reader.uint64(at: 40, "first usable LBA")
        lastUsableLBA = try reader.uint64(at: 48, "last usable LBA")
        diskGUID = GUID(onDisk: try reader.bytes(at: 56, count: 16, "disk GUID"))!
        entryArrayLBA = try reader.uint64(at: 72, "partition entry LBA")
        entryCount = try reader.uint32(at: 80, "number of partition entries")
        entrySize = try reader.uint32(at: 84, "size of partition entry")
        entryArrayCRC32 = try reader.uint32(at: 88, "partition entry array CRC32")
    }
}

/// `0x` and eight hex digits.
func hex32(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
