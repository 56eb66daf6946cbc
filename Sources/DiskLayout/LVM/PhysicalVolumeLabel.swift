/// The LVM2 label (`label_header`) that marks a physical volume: in one of the first four 512-byte sectors of
/// the device (sector 1 as `pvcreate` writes it).
///
/// | Offset | Size | Field |
/// |--------|------|-------|
/// | 0      | 8    | id `"LABELONE"` |
/// | 8      | 8    | the sector number this label is in |
/// | 16     | 4    | ``LVMChecksum`` of bytes 20 … 511 of the sector |
/// | 20     | 4    | offset of the contents (the ``PhysicalVolumeHeader``) from the start of the sector |
/// | 24     | 8    | type `"LVM2 001"` |
///
/// All integers are little-endian.
public struct PhysicalVolumeLabel: Hashable, Sendable {
    /// `"LABELONE"`.
    public static let identifier = Array("LABELONE".utf8)
    /// `"LVM2 001"`: the text format's label type.
    public static let lvm2Type = Array("LVM2 001".utf8)
    /// The label is looked for in sectors `0..<scanSectors`.
    public static let scanSectors = 4
    /// The size of a label sector.
    public static let sectorSize = 512

    /// The sector the label is in (as found, and as its own field says).
    public let sector: UInt64
    /// The stored checksum (checked when parsing).
    public let checksum: UInt32
    /// Where the PV header starts in the sector.
    public let contentsOffset: UInt32

    /// Parses the label in `sector` (512 bytes) found at sector number `number` of the device.
    ///
    /// - Returns: `nil` when the sector holds no `LABELONE` id (not a label).
    /// - Throws: ``DiskLayoutError/Code/checksumMismatch``, or ``DiskLayoutError/Code/lvmMetadata`` for a wrong
    ///   sector number, type or contents offset.
    public init?(sector bytes: [UInt8], number: UInt64, deviceOffset: UInt64) throws(DiskLayoutError) {
        let reader = ByteReader(bytes, diskOffset: deviceOffset, structure: "LVM2 label")
        guard try reader.bytes(at: 0, count: 8, "id") == Self.identifier else { return nil }
        let stored = try reader.uint64(at: 8, "sector")
        guard stored == number else {
            throw DiskLayoutError(
                .lvmMetadata, "the label in sector \(number) says it is in sector \(stored)", structure: "LVM2 label",
                field: "sector_xl", offset: deviceOffset + 8)
        }
        checksum = try reader.uint32(at: 16, "crc")
        let computed = LVMChecksum.checksum(try reader.bytes(at: 20, count: Self.sectorSize - 20, "sector"))
        guard computed == checksum else {
            throw DiskLayoutError(
                .checksumMismatch,
                "the stored checksum is 0x\(String(checksum, radix: 16)), the sector's is 0x\(String(computed, radix: 16))",
                structure: "LVM2 label", field: "crc_xl", offset: deviceOffset + 16)
        }
        contentsOffset = try reader.uint32(at: 20, "offset")
        guard contentsOffset >= 32, contentsOffset < Self.sectorSize else {
            throw DiskLayoutError(
                .lvmMetadata, "the contents offset \(contentsOffset) is not inside the sector after the label",
                structure: "LVM2 label", field: "offset_xl", offset: deviceOffset + 20)
        }
        let type = try reader.bytes(at: 24, count: 8, "type")
        guard type == Self.lvm2Type else {
            throw DiskLayoutError(
                .unsupported, "the label type is \"\(String(decoding: type, as: UTF8.self))\", not \"LVM2 001\"",
                structure: "LVM2 label", field: "type", offset: deviceOffset + 24)
        }
        sector = number
    }
}
