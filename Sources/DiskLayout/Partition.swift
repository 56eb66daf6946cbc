public import BlockIO

/// One partition of a disk, whatever table it came from, numbered the way Linux names it (`/dev/sda1`).
///
/// Numbers: MBR primary slots are 1–4 (by slot, so gaps stay), logical partitions count from 5 in chain order;
/// GPT partitions are their entry index plus one. Positions are in 512-byte sectors, as in the table.
public struct Partition: Hashable, Sendable {
    /// Which table entry describes the partition.
    public enum Kind: String, Hashable, Sendable, Codable {
        /// One of the four MBR slots.
        case mbrPrimary = "primary"
        /// An MBR extended partition: a container of logical partitions, not a filesystem.
        case mbrExtended = "extended"
        /// A logical partition inside an extended partition.
        case mbrLogical = "logical"
        /// A GPT entry.
        case gpt
    }

    /// The logical sector size this layer supports.
    public static let sectorSize: UInt64 = 512

    /// The number, 1-based like `/dev/sda1`.
    public let number: Int
    /// Primary, extended or logical (MBR), or a GPT entry.
    public let kind: Kind
    /// The first sector.
    public let firstSector: UInt64
    /// The number of sectors.
    public let sectorCount: UInt64
    /// The type code.
    public let type: PartitionType
    /// The GPT partition name (empty when unnamed); `nil` for MBR.
    public let name: String?
    /// The GPT unique partition GUID (`PARTUUID`); `nil` for MBR.
    public let uniqueGUID: GUID?
    /// The MBR boot flag, or the GPT "legacy BIOS bootable" attribute.
    public let isBootable: Bool
    /// The GPT attribute bits; `nil` for MBR.
    public let attributes: UInt64?
    /// Where the table entry that describes this partition lies on the disk.
    public let entryOffset: UInt64

    /// A partition from its table entry's fields; the defaults are the MBR values.
    public init(
        number: Int, kind: Kind, firstSector: UInt64, sectorCount: UInt64, type: PartitionType, name: String? = nil,
        uniqueGUID: GUID? = nil, isBootable: Bool = false, attributes: UInt64? = nil, entryOffset: UInt64 = 0
    ) {
        self.number = number
        self.kind = kind
        self.firstSector = firstSector
        self.sectorCount = sectorCount
        self.type = type
        self.name = name
        self.uniqueGUID = uniqueGUID
        self.isBootable = isBootable
        self.attributes = attributes
        self.entryOffset = entryOffset
    }

    /// The first byte on the disk.
    public var start: UInt64 { firstSector &* Self.sectorSize }
    /// The size in bytes.
    public var size: UInt64 { sectorCount &* Self.sectorSize }
    /// The sector after the last one (may exceed the disk when the table is wrong).
    public var endSector: UInt64 { firstSector &+ sectorCount }
    /// What the type code says the partition is for.
    public var role: PartitionRole { type.role }

    /// The Linux device name suffix: `"1"` for `/dev/sda1`.
    public var deviceSuffix: String { String(number) }

    /// The partition as a device of its own, a `SliceDevice` of `disk`.
    ///
    /// The slice reads and writes through `disk`, so it works the same on raw, fixed, dynamic and differencing
    /// images.
    ///
    /// - Throws: ``DiskLayoutError/Code/partitionOutOfBounds`` when the partition does not fit in `disk`,
    ///   ``DiskLayoutError/Code/noSuchPartition`` for an extended partition (a container, not a volume).
    public func slice(of disk: any BlockDevice) throws(DiskLayoutError) -> SliceDevice {
        guard kind != .mbrExtended else {
            throw DiskLayoutError(
                .noSuchPartition, "partition \(number) is an extended partition (a container of logical ones)",
                structure: "MBR", offset: entryOffset, candidates: [])
        }
        let (startBytes, o1) = firstSector.multipliedReportingOverflow(by: Self.sectorSize)
        let (sizeBytes, o2) = sectorCount.multipliedReportingOverflow(by: Self.sectorSize)
        let (end, o3) = startBytes.addingReportingOverflow(sizeBytes)
        guard !o1, !o2, !o3, end <= disk.size else {
            throw DiskLayoutError(
                .partitionOutOfBounds,
                "partition \(number) (sectors \(firstSector)+\(sectorCount)) ends past the end of the disk "
                    + "(\(disk.size / Self.sectorSize) sectors)",
                structure: kind == .gpt ? "GPT entry" : "MBR entry", field: "sector count", offset: entryOffset)
        }
        do {
            return try SliceDevice(base: disk, start: startBytes, size: sizeBytes)
        } catch {
            throw DiskLayoutError(
                .partitionOutOfBounds, "partition \(number) does not fit in the disk", offset: entryOffset,
                cause: error)
        }
    }
}
