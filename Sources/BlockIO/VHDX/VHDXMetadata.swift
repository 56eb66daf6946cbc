/// The metadata items of a VHDX file, decoded and checked. All integers little-endian.
///
/// | item | GUID | size | content |
/// |---|---|---:|---|
/// | file parameters | `CAA16737-FA36-4D43-B3B6-33F0AA44E76B` | 8 | u32 block_size (1–256 MiB, a power of two); u32 flags: bit 0 leave_blocks_allocated, bit 1 has_parent |
/// | virtual disk size | `2FA54224-CD1B-4876-B211-5DBED83BF4B8` | 8 | u64, a multiple of the logical sector size, ≤ 64 TiB |
/// | page 83 data | `BECA12AB-B2E6-4523-93EF-C309E000C746` | 16 | the disk's GUID (SCSI page 0x83 identifier) |
/// | logical sector size | `8141BF1D-A96F-4709-BA47-F233A8FAAB5F` | 4 | u32, 512 or 4096 |
/// | physical sector size | `CDA348C7-445D-4471-9CC9-E9885251C556` | 4 | u32, 512 or 4096 |
/// | parent locator | `A8D35F2D-B30B-454D-ABF7-D3D84834AB0C` | ≤ 1 MiB | differencing disks only; see ``VHDXParentLocator`` |
public struct VHDXMetadata: Hashable, Sendable {
    /// The File Parameters item.
    public static let fileParametersGUID = VHDXGUID.known("CAA16737-FA36-4D43-B3B6-33F0AA44E76B")
    /// The Virtual Disk Size item.
    public static let virtualDiskSizeGUID = VHDXGUID.known("2FA54224-CD1B-4876-B211-5DBED83BF4B8")
    /// The Page 83 Data item.
    public static let page83DataGUID = VHDXGUID.known("BECA12AB-B2E6-4523-93EF-C309E000C746")
    /// The Logical Sector Size item.
    public static let logicalSectorSizeGUID = VHDXGUID.known("8141BF1D-A96F-4709-BA47-F233A8FAAB5F")
    /// The Physical Sector Size item.
    public static let physicalSectorSizeGUID = VHDXGUID.known("CDA348C7-445D-4471-9CC9-E9885251C556")
    /// The Parent Locator item.
    public static let parentLocatorGUID = VHDXGUID.known("A8D35F2D-B30B-454D-ABF7-D3D84834AB0C")

    /// The smallest and largest block sizes.
    public static let blockSizeRange: ClosedRange<UInt32> = (1 << 20)...(256 << 20)
    /// The largest virtual disk, 64 TiB.
    public static let maximumVirtualDiskSize: UInt64 = 64 << 40

    /// Bytes per payload block.
    public var blockSize: UInt32
    /// Whether blocks stay allocated (a fixed disk).
    public var leaveBlocksAllocated: Bool
    /// Whether this is a differencing disk.
    public var hasParent: Bool
    /// The disk's size in bytes.
    public var virtualDiskSize: UInt64
    /// The disk's identity (SCSI page 0x83).
    public var page83Data: VHDXGUID
    /// The logical sector size (512 or 4096).
    public var logicalSectorSize: UInt32
    /// The physical sector size (512 or 4096).
    public var physicalSectorSize: UInt32
    /// The parent locator of a differencing disk.
    public var parentLocator: VHDXParentLocator?

    /// Reads and checks every item `table` lists in `region`.
    ///
    /// - Throws: ``BlockIOError`` naming the item and its byte offset: `invalidField` (a size or block size out
    ///   of range, a required item missing or of the wrong length), `unsupported` (an unknown required item).
    public init(
        reading store: any ByteStore, region: VHDXRegionTable.Entry, table: VHDXMetadataTable
    )
        throws(BlockIOError)
    {
        let path = store.path
        var items: [VHDXGUID: (bytes: [UInt8], at: UInt64)] = [:]
        for entry in table.entries {
            let at = region.fileOffset + UInt64(entry.offset)
            switch entry.itemID {
            case Self.fileParametersGUID, Self.virtualDiskSizeGUID, Self.page83DataGUID, Self.logicalSectorSizeGUID,
                Self.physicalSectorSizeGUID, Self.parentLocatorGUID:
                items[entry.itemID] = (
                    try store.readExactly(at: at, count: Int(entry.length), structure: "VHDX metadata item"), at
                )
            default:
                if entry.isRequired {
                    throw BlockIOError(
                        .unsupported, "required metadata item \(entry.itemID) is not known to this reader", path: path,
                        offset: entry.entryFileOffset, structure: "VHDX metadata table",
                        field: "entry \(table.entries.firstIndex(of: entry) ?? 0)")
                }
            }
        }
        func item(_ guid: VHDXGUID, _ name: String, length: Int) throws(BlockIOError) -> (bytes: [UInt8], at: UInt64) {
            guard let found = items[guid] else {
                throw BlockIOError(
                    .invalidField, "the required \(name) item is missing", path: path, offset: region.fileOffset + 10,
                    structure: "VHDX metadata table", field: "entry_count")
            }
            guard found.bytes.count >= length else {
                throw BlockIOError(
                    .invalidField, "the item is \(found.bytes.count) bytes, not \(length)", path: path,
                    offset: found.at,
                    structure: "VHDX metadata", field: name)
            }
            return found
        }
        let parameters = try item(Self.fileParametersGUID, "file parameters", length: 8)
        blockSize = parameters.bytes.littleEndianUInt32(at: 0)
        let flags = parameters.bytes.littleEndianUInt32(at: 4)
        leaveBlocksAllocated = flags & 1 != 0
        hasParent = flags & 2 != 0
        guard Self.blockSizeRange.contains(blockSize), blockSize & (blockSize - 1) == 0 else {
            throw BlockIOError(
                .invalidField, "block size \(blockSize) is not a power of two from 1 MiB to 256 MiB", path: path,
                offset: parameters.at, structure: "VHDX metadata", field: "block_size")
        }
        let logical = try item(Self.logicalSectorSizeGUID, "logical sector size", length: 4)
        logicalSectorSize = logical.bytes.littleEndianUInt32(at: 0)
        guard logicalSectorSize == 512 || logicalSectorSize == 4096 else {
            throw BlockIOError(
                .invalidField, "logical sector size \(logicalSectorSize) is not 512 or 4096", path: path,
                offset: logical.at, structure: "VHDX metadata", field: "logical_sector_size")
        }
        let physical = try item(Self.physicalSectorSizeGUID, "physical sector size", length: 4)
        physicalSectorSize = physical.bytes.littleEndianUInt32(at: 0)
        guard physicalSectorSize == 512 || physicalSectorSize == 4096 else {
            throw BlockIOError(
                .invalidField, "physical sector size \(physicalSectorSize) is not 512 or 4096", path: path,
                offset: physical.at, structure: "VHDX metadata", field: "physical_sector_size")
        }
        let size = try item(Self.virtualDiskSizeGUID, "virtual disk size", length: 8)
        virtualDiskSize = size.bytes.littleEndianUInt64(at: 0)
        guard virtualDiskSize > 0, virtualDiskSize <= Self.maximumVirtualDiskSize,
            virtualDiskSize % UInt64(logicalSectorSize) == 0
        else {
            throw BlockIOError(
                .invalidField,
                "virtual disk size \(virtualDiskSize) is not a multiple of the \(logicalSectorSize)-byte sector "
                    + "from 1 sector to 64 TiB",
                path: path, offset: size.at, structure: "VHDX metadata", field: "virtual_disk_size")
        }
        page83Data = VHDXGUID(bytes: Array(try item(Self.page83DataGUID, "page 83 data", length: 16).bytes[0..<16]))
        if hasParent {
            let locator = try item(Self.parentLocatorGUID, "parent locator", length: VHDXParentLocator.headerSize)
            parentLocator = try VHDXParentLocator(parsing: locator.bytes, path: path, offset: locator.at)
        } else {
            parentLocator = nil
        }
    }

    /// Payload blocks per sector bitmap block: 2²³ × logical sector size / block size (one sector bitmap block
    /// of 1 MiB holds 2²³ bits, one per sector).
    public var chunkRatio: UInt64 { (UInt64(1) << 23) * UInt64(logicalSectorSize) / UInt64(blockSize) }

    /// Payload blocks the disk needs.
    public var dataBlockCount: UInt64 { (virtualDiskSize + UInt64(blockSize) - 1) / UInt64(blockSize) }

    /// BAT entries the disk needs: payload entries with a sector bitmap entry after each chunk of them
    /// (differencing disks also after the last, partial chunk).
    public var batEntryCount: UInt64 {
        let chunks = (dataBlockCount + chunkRatio - 1) / chunkRatio
        return hasParent ? chunks * (chunkRatio + 1) : dataBlockCount + (dataBlockCount - 1) / chunkRatio
    }
}
