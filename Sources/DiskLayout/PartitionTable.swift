public import BlockIO

/// A disk's partition table as read: which kind, its partitions, its identifiers and what was wrong with it.
///
/// Read one with ``read(from:)``; it only reads the table's sectors (sector 0, the EBR chain, the GPT headers and
/// entry arrays), never more memory than the table's bounded size.
public struct PartitionTable: Sendable {
    /// The kind of table.
    public enum Kind: String, Sendable, Codable {
        /// An MBR (DOS) table, with logical partitions if it has an extended one.
        case mbr
        /// A GUID partition table (with a protective or hybrid MBR in sector 0).
        case gpt
        /// No partition table: a filesystem (or nothing) starts at byte 0; the whole disk is one volume.
        case unpartitioned
    }

    /// What sector 0 holds on a GPT disk.
    public enum ProtectiveMBR: String, Sendable, Codable {
        /// One `0xEE` entry, nothing else: the normal case.
        case protective
        /// A `0xEE` entry plus real MBR partitions (`sgdisk -h`); the GPT is authoritative.
        case hybrid
        /// No valid MBR in sector 0.
        case missing
    }

    /// Which GPT header the partitions come from.
    public enum GPTHeaderSource: String, Sendable, Codable {
        case primary
        case backup
    }

    /// The kind of table.
    public let kind: Kind
    /// The disk size in bytes.
    public let diskSize: UInt64
    /// The partitions, by number; includes MBR extended containers.
    public let partitions: [Partition]
    /// What was wrong or unusual and did not stop reading.
    public let warnings: [DiskLayoutWarning]
    /// The MBR disk signature (`sfdisk` "id"), for MBR tables.
    public let diskSignature: UInt32?
    /// The GPT disk GUID, for GPT tables.
    public let diskGUID: GUID?
    /// The GPT header the partitions were read from, for GPT tables.
    public let gptHeader: GPTHeader?
    /// Whether that header is the primary or the backup.
    public let gptHeaderSource: GPTHeaderSource?
    /// What sector 0 holds, for GPT tables.
    public let protectiveMBR: ProtectiveMBR?

    /// The logical sector size (only 512 is supported).
    public var sectorSize: Int { 512 }

    init(
        kind: Kind, diskSize: UInt64, partitions: [Partition], warnings: [DiskLayoutWarning],
        diskSignature: UInt32? = nil, diskGUID: GUID? = nil, gptHeader: GPTHeader? = nil,
        gptHeaderSource: GPTHeaderSource? = nil, protectiveMBR: ProtectiveMBR? = nil
    ) {
        self.kind = kind
        self.diskSize = diskSize
        self.partitions = partitions
        self.warnings = warnings
        self.diskSignature = diskSignature
        self.diskGUID = diskGUID
        self.gptHeader = gptHeader
        self.gptHeaderSource = gptHeaderSource
        self.protectiveMBR = protectiveMBR
    }

    /// The partition numbered `number` (1-based), if there is one.
    public func partition(number: Int) -> Partition? { partitions.first { $0.number == number } }

    /// Reads the partition table of `device`.
    ///
    /// Decides the kind the way Linux and libblkid do: a `0xEE` MBR entry means GPT (the primary header at LBA 1,
    /// else the backup at the last LBA, with a warning); a valid MBR with partitions means MBR; otherwise (no
    /// `0x55AA`, a FAT/NTFS boot sector at offset 0) the disk is ``Kind/unpartitioned``; a valid MBR without
    /// entries is an empty ``Kind/mbr`` table, as libblkid reports it.
    ///
    /// - Throws: ``DiskLayoutError`` with ``DiskLayoutError/Code/unsupported`` for a GPT with 4096-byte logical
    ///   sectors, or the primary header's error when both GPT headers are unusable, or
    ///   ``DiskLayoutError/Code/io`` when the device fails.
    public static func read(from device: any BlockDevice) throws(DiskLayoutError) -> PartitionTable {
        guard device.size >= UInt64(MasterBootRecord.size) else {
            return PartitionTable(kind: .unpartitioned, diskSize: device.size, partitions: [], warnings: [])
        }
        let sector0 = try device.readStructure(at: 0, count: MasterBootRecord.size, structure: "MBR")
        let mbr = try? MasterBootRecord(parsing: sector0)
        let hasGPTSignature = try GPTReader.hasSignature(on: device, atLBA: 1, sectorSize: 512)

        if let mbr, mbr.hasValidStatusBytes, mbr.hasProtectiveEntry {
            return try GPTReader(device: device, mbr: mbr).read()
        }
        if mbr == nil, hasGPTSignature {
            return try GPTReader(device: device, mbr: nil).read().adding(
                DiskLayoutWarning(
                    .missingProtectiveMBR,
                    "sector 0 holds no MBR (no 0x55AA signature), but a GPT header is at LBA 1; the GPT was used",
                    offset: 510))
        }
        if try GPTReader.hasSignature(on: device, atLBA: 1, sectorSize: 4096) {
            throw GPTReader.fourKSectorError()
        }
        if let mbr, mbr.hasValidStatusBytes, !mbr.looksLikeVolumeBootRecord,
            mbr.entries.contains(where: { !$0.isEmpty })
        {
            var table = try MBRReader(device: device, mbr: mbr).read()
            if hasGPTSignature {
                table = table.adding(
                    DiskLayoutWarning(
                        .unprotectedGPT,
                        "a GPT header is at LBA 1 but the MBR has no 0xEE protective entry; the MBR was used",
                        offset: 512))
            }
            return table
        }
        if let mbr, mbr.hasValidStatusBytes, !mbr.looksLikeVolumeBootRecord, !hasGPTSignature {
            // A 0x55AA MBR without entries is an empty "dos" table, as libblkid says (PTTYPE=dos): what
            // `sfdisk` writes for `label: dos` alone and Windows' disk initialisation leaves.
            return PartitionTable(
                kind: .mbr, diskSize: device.size, partitions: [], warnings: [], diskSignature: mbr.diskSignature)
        }
        return PartitionTable(
            kind: .unpartitioned, diskSize: device.size, partitions: [], warnings: [],
            diskSignature: nil)
    }

    /// A copy with `warning` appended.
    func adding(_ warning: DiskLayoutWarning) -> PartitionTable {
        PartitionTable(
            kind: kind, diskSize: diskSize, partitions: partitions, warnings: warnings + [warning],
            diskSignature: diskSignature, diskGUID: diskGUID, gptHeader: gptHeader,
            gptHeaderSource: gptHeaderSource, protectiveMBR: protectiveMBR)
    }
}

/// Warnings every table kind shares: partitions past the end of the disk and partitions that overlap.
enum ExtentCheck {
    /// Checks `partitions` (MBR extended containers are only checked against primaries) against `diskSectors`.
    static func warnings(for partitions: [Partition], diskSectors: UInt64) -> [DiskLayoutWarning] {
        var warnings: [DiskLayoutWarning] = []
        for partition in partitions
        where partition.endSector > diskSectors || partition.endSector < partition.firstSector {
            warnings.append(
                DiskLayoutWarning(
                    .partitionPastEndOfDisk,
                    "sectors \(partition.firstSector)+\(partition.sectorCount) end past the end of the disk "
                        + "(\(diskSectors) sectors); the partition cannot be opened",
                    partition: partition.number, offset: partition.entryOffset))
        }
        // Volumes (everything but extended containers) must not share sectors; nor may an extended container
        // share sectors with a primary. Sort and sweep: O(n log n) even for thousands of GPT entries.
        let volumes = partitions.filter { $0.kind != .mbrExtended }
        warnings += sweep(volumes)
        let outer = partitions.filter { $0.kind == .mbrExtended || $0.kind == .mbrPrimary }
        warnings += sweep(outer).filter { !warnings.contains($0) }
        return warnings
    }

    private static func sweep(_ partitions: [Partition]) -> [DiskLayoutWarning] {
        let sorted = partitions.filter { $0.sectorCount > 0 }.sorted {
            ($0.firstSector, $0.number) < ($1.firstSector, $1.number)
        }
        var warnings: [DiskLayoutWarning] = []
        var reach: Partition?
        for partition in sorted {
            if let previous = reach, partition.firstSector < previous.endSector {
                warnings.append(
                    DiskLayoutWarning(
                        .overlap,
                        "sectors \(partition.firstSector)+\(partition.sectorCount) overlap partition "
                            + "\(previous.number) (sectors \(previous.firstSector)+\(previous.sectorCount))",
                        partition: partition.number, offset: partition.entryOffset))
            }
            if reach == nil || partition.endSector > reach!.endSector { reach = partition }
        }
        return warnings
    }
}
