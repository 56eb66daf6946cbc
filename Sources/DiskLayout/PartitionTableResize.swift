public import BlockIO

/// Makes a partition table follow a disk whose size changed, and grows its last partition to the new end.
///
/// - GPT: the backup entry array and header move to the new last LBAs; the primary header's alternate LBA and
///   last usable LBA change; both headers' CRC32s and the entry array CRC32 are recomputed (`sgdisk -v` finds
///   no problems). The old backup header and array, now inside the disk, are zeroed. A protective MBR whose
///   `0xEE` entry covered the old disk is made to cover the new one.
/// - MBR: nothing changes unless a partition grows; then its entry's sector count (and CHS end) does, and for a
///   logical partition its EBR entry and its extended container's entry. An MBR entry cannot describe sectors
///   past 2³² (2 TiB with 512-byte sectors).
///
/// Works on the bytes of the table as they are on the disk (unknown header bytes, names and attributes are
/// kept); the ``PartitionTable`` read before the resize says where they are. Writes go through the device, so
/// under an image's edit journal they are part of the same atomic change as the disk's new size.
public struct PartitionTableResize {
    /// The sector after the last one an MBR entry can describe (2³²).
    public static let mbrSectorLimit: UInt64 = 1 << 32

    /// The table as it was read from the disk before the resize.
    public let table: PartitionTable

    /// A resize of `table`, the table read from the disk.
    public init(table: PartitionTable) { self.table = table }

    /// The partition a grow would extend: `number`, which must be the last partition on the disk, or (nil) the
    /// last one.
    ///
    /// - Throws: ``DiskLayoutError/Code/noSuchPartition`` when there is no such partition or it is not the last
    ///   one; ``DiskLayoutError/Code/unsupported`` for a disk without a partition table, or a partition whose
    ///   growth would overlap an extended container that is not its own.
    public func partitionToGrow(_ number: Int?) throws(DiskLayoutError) -> Partition {
        guard table.kind != .unpartitioned else {
            throw DiskLayoutError(.unsupported, "the disk has no partition table: there is no partition to grow")
        }
        let volumes = table.partitions.filter { $0.kind != .mbrExtended }
        guard let last = volumes.max(by: { ($0.endSector, $0.number) < ($1.endSector, $1.number) }) else {
            throw DiskLayoutError(.noSuchPartition, "the partition table lists no partition to grow")
        }
        if let number {
            guard let chosen = table.partition(number: number) else {
                throw DiskLayoutError(
                    .noSuchPartition, "there is no partition \(number)",
                    candidates: volumes.map(\.number))
            }
            guard chosen.number == last.number else {
                throw DiskLayoutError(
                    .noSuchPartition,
                    "partition \(number) is not the last one on the disk (partition \(last.number) ends at sector "
                        + "\(last.endSector)); only the last partition can grow into the new space",
                    offset: chosen.entryOffset, candidates: [last.number])
            }
        }
        // An extended container after the partition would be overlapped (its own container grows with it).
        let own = last.kind == .mbrLogical ? extendedContainer(of: last)?.number : nil
        if let container = table.partitions.first(where: {
            $0.kind == .mbrExtended && $0.endSector > last.endSector && $0.number != own
        }) {
            throw DiskLayoutError(
                .unsupported,
                "the extended partition \(container.number) ends after partition \(last.number) (sector "
                    + "\(container.endSector)); growing partition \(last.number) would overlap it",
                offset: container.entryOffset)
        }
        return last
    }

    /// Throws unless a disk of `newSize` bytes holds every partition (and, for GPT, the backup entry array and
    /// header after them): shrinking must cut nothing.
    public func checkFits(newSize: UInt64) throws(DiskLayoutError) {
        let sectors = newSize / Partition.sectorSize
        switch table.kind {
        case .unpartitioned:
            if newSize < table.diskSize {
                throw DiskLayoutError(
                    .unsupported,
                    "the disk has no partition table (the whole disk is one volume): shrinking it would cut that volume"
                )
            }
        case .mbr:
            for partition in table.partitions where partition.endSector > sectors {
                throw DiskLayoutError(
                    .partitionOutOfBounds,
                    "partition \(partition.number) ends at sector \(partition.endSector), past the new end of the disk "
                        + "(\(sectors) sectors): shrinking would cut it", structure: "MBR entry",
                    offset: partition.entryOffset)
            }
        case .gpt:
            let layout = try gptLayout(sectors: sectors)
            for partition in table.partitions where partition.endSector > layout.lastUsable + 1 {
                throw DiskLayoutError(
                    .partitionOutOfBounds,
                    "partition \(partition.number) ends at sector \(partition.endSector), past the last usable sector "
                        + "\(layout.lastUsable) of the resized disk (the backup GPT takes the last "
                        + "\(layout.arraySectors + 1) sectors): shrinking would cut it", structure: "GPT entry",
                    offset: partition.entryOffset)
            }
        }
    }

    /// The sector after the last one `partition` may reach on a disk of `newSize` bytes.
    public func growthEnd(of partition: Partition, newSize: UInt64) throws(DiskLayoutError) -> UInt64 {
        let sectors = newSize / Partition.sectorSize
        switch table.kind {
        case .gpt: return try gptLayout(sectors: sectors).lastUsable + 1
        default:
            guard partition.firstSector < Self.mbrSectorLimit - 1 else {
                throw DiskLayoutError(.unsupported, "partition \(partition.number) starts past 2 TiB")
            }
            return sectors
        }
    }

    /// Rewrites the table on `device` (the disk at its new size): the GPT backup moved and the primary header
    /// updated, the protective MBR widened, and `grow`'s entry extended to `growthEnd`.
    ///
    /// - Parameter grow: the partition to extend (from ``partitionToGrow(_:)``), or nil.
    /// - Parameter device: the disk whose partition table is changed.
    /// - Returns: the grown partition as it is now, when one grew.
    /// - Throws: ``DiskLayoutError``: `unsupported` for an MBR partition that would end past 2 TiB (nothing
    ///   written), or an I/O error of the device.
    @discardableResult
    public func apply(on device: any BlockDevice, grow: Partition?) throws(DiskLayoutError) -> Partition? {
        let sectors = device.size / Partition.sectorSize
        switch table.kind {
        case .unpartitioned:
            return nil
        case .mbr:
            guard let grow else { return nil }
            return try growMBR(grow, on: device, sectors: sectors)
        case .gpt:
            return try rewriteGPT(on: device, sectors: sectors, grow: grow)
        }
    }

    // MARK: MBR

    private func growMBR(
        _ partition: Partition, on device: any BlockDevice, sectors: UInt64
    ) throws(DiskLayoutError)
        -> Partition
    {
        guard sectors <= Self.mbrSectorLimit else {
            throw DiskLayoutError(
                .unsupported,
                "an MBR partition cannot reach past 2 TiB (sector \(Self.mbrSectorLimit)); the disk has \(sectors) "
                    + "sectors. Grow to at most 2 TiB, or convert the table to GPT first", structure: "MBR entry",
                field: "sector count", offset: partition.entryOffset + 12)
        }
        let count = sectors - partition.firstSector
        var entry = try device.readStructure(at: partition.entryOffset, count: 16, structure: "MBR entry")
        store32(UInt32(count), in: &entry, at: 12)
        let chs = Self.chs(lba: sectors - 1)
        entry[5] = chs.0
        entry[6] = chs.1
        entry[7] = chs.2
        if partition.kind == .mbrLogical {
            // The entry in the partition's EBR counts from its own first sector; its container grows too.
            guard let container = extendedContainer(of: partition) else {
                throw DiskLayoutError(.invalidField, "logical partition \(partition.number) has no extended container")
            }
            var outer = try device.readStructure(at: container.entryOffset, count: 16, structure: "MBR entry")
            store32(UInt32(sectors - container.firstSector), in: &outer, at: 12)
            outer[5] = chs.0
            outer[6] = chs.1
            outer[7] = chs.2
            try write(entry, at: partition.entryOffset, on: device, structure: "EBR entry")
            try write(outer, at: container.entryOffset, on: device, structure: "MBR entry")
            return partition.resized(sectorCount: count)
        }
        try write(entry, at: partition.entryOffset, on: device, structure: "MBR entry")
        return partition.resized(sectorCount: count)
    }

    /// The extended partition that holds `logical`.
    private func extendedContainer(of logical: Partition) -> Partition? {
        table.partitions.first {
            $0.kind == .mbrExtended && $0.firstSector <= logical.firstSector && $0.endSector >= logical.endSector
        }
    }

    /// The CHS address sfdisk and fdisk write for `lba` (255 heads, 63 sectors per track; `FE FF FF` past
    /// cylinder 1023).
    static func chs(lba: UInt64) -> (UInt8, UInt8, UInt8) {
        let cylinder = lba / (255 * 63)
        guard cylinder <= 1023 else { return (0xFE, 0xFF, 0xFF) }
        let head = (lba / 63) % 255
        let sector = lba % 63 + 1
        return (UInt8(head), UInt8(sector) | UInt8((cylinder >> 2) & 0xC0), UInt8(cylinder & 0xFF))
    }

    // MARK: GPT

    private struct GPTLayout {
        var arraySectors: UInt64
        var lastLBA: UInt64
        var backupArrayLBA: UInt64
        var lastUsable: UInt64
    }

    private func gptLayout(sectors: UInt64) throws(DiskLayoutError) -> GPTLayout {
        guard let header = table.gptHeader else {
            throw DiskLayoutError(.invalidField, "the GPT has no header", structure: "GPT header")
        }
        let arrayBytes = UInt64(header.entryCount) * UInt64(header.entrySize)
        let arraySectors = (arrayBytes + Partition.sectorSize - 1) / Partition.sectorSize
        guard sectors > header.firstUsableLBA + arraySectors + 1 else {
            throw DiskLayoutError(
                .partitionOutOfBounds, "a disk of \(sectors) sectors is too small for this GPT", structure: "GPT header"
            )
        }
        let lastLBA = sectors - 1
        let backupArrayLBA = lastLBA - arraySectors
        return GPTLayout(
            arraySectors: arraySectors, lastLBA: lastLBA, backupArrayLBA: backupArrayLBA, lastUsable: backupArrayLBA - 1
        )
    }

    private func rewriteGPT(
        on device: any BlockDevice, sectors: UInt64, grow: Partition?
    ) throws(DiskLayoutError)
        -> Partition?
    {
        guard let old = table.gptHeader, table.gptHeaderSource == .primary else {
            throw DiskLayoutError(
                .unsupported,
                "the primary GPT header is damaged (the table was read from its backup); repair it first "
                    + "(sgdisk -e, or gdisk's recovery menu)", structure: "GPT header", offset: 512)
        }
        let layout = try gptLayout(sectors: sectors)
        let sectorSize = Partition.sectorSize
        var primary = try device.readStructure(at: sectorSize, count: Int(sectorSize), structure: "primary GPT header")
        let arrayOffset = old.entryArrayLBA * sectorSize
        let arrayBytes = Int(UInt64(old.entryCount) * UInt64(old.entrySize))
        var array = try device.readStructure(at: arrayOffset, count: arrayBytes, structure: "GPT entry array")
        guard CRC32.checksum(array) == old.entryArrayCRC32 else {
            throw DiskLayoutError(
                .checksumMismatch, "the entry array changed since the table was read", structure: "GPT entry array",
                offset: arrayOffset)
        }
        var grown: Partition?
        if let grow {
            let index = Int((grow.entryOffset - arrayOffset) / UInt64(old.entrySize))
            store64(layout.lastUsable, in: &array, at: index * Int(old.entrySize) + 40)
            grown = grow.resized(sectorCount: layout.lastUsable + 1 - grow.firstSector)
        }
        let arrayCRC = CRC32.checksum(array)
        store64(layout.lastLBA, in: &primary, at: 32)
        store64(layout.lastUsable, in: &primary, at: 48)
        store32(arrayCRC, in: &primary, at: 88)
        sealHeader(&primary, size: Int(old.headerSize))
        var backup = primary
        store64(layout.lastLBA, in: &backup, at: 24)
        store64(1, in: &backup, at: 32)
        store64(layout.backupArrayLBA, in: &backup, at: 72)
        sealHeader(&backup, size: Int(old.headerSize))

        // The old backup (now inside the disk, or cut away) is cleared where it still lies within the disk.
        let oldBackupLBA = old.alternateLBA
        if oldBackupLBA != layout.lastLBA, oldBackupLBA > 1 {
            let oldArraySectors = UInt64(arrayBytes + Int(sectorSize) - 1) / sectorSize
            let oldStart = oldBackupLBA >= oldArraySectors ? oldBackupLBA - oldArraySectors : oldBackupLBA
            let clearEnd = min(oldBackupLBA + 1, layout.backupArrayLBA)
            if oldStart < clearEnd, oldStart > old.entryArrayLBA {
                try write(
                    [UInt8](repeating: 0, count: Int((clearEnd - oldStart) * sectorSize)), at: oldStart * sectorSize,
                    on: device, structure: "old backup GPT")
            }
        }
        if grow != nil {
            try write(array, at: arrayOffset, on: device, structure: "GPT entry array")
        }
        try write(primary, at: sectorSize, on: device, structure: "primary GPT header")
        try write(array, at: layout.backupArrayLBA * sectorSize, on: device, structure: "backup GPT entry array")
        try write(backup, at: layout.lastLBA * sectorSize, on: device, structure: "backup GPT header")
        try widenProtectiveMBR(on: device, sectors: sectors)
        return grown
    }

    /// The `0xEE` entry of a protective MBR covers the disk (up to 2³² − 1 sectors) when it covered the old one.
    private func widenProtectiveMBR(on device: any BlockDevice, sectors: UInt64) throws(DiskLayoutError) {
        guard table.protectiveMBR == .protective else { return }
        var mbr = try device.readStructure(at: 0, count: MasterBootRecord.size, structure: "MBR")
        let oldCover = min(table.diskSize / Partition.sectorSize - 1, 0xFFFF_FFFF)
        for slot in 0..<4 {
            let at = 446 + slot * 16
            guard mbr[at + 4] == 0xEE, load32(mbr, at: at + 8) == 1, UInt64(load32(mbr, at: at + 12)) == oldCover else {
                continue
            }
            store32(UInt32(min(sectors - 1, 0xFFFF_FFFF)), in: &mbr, at: at + 12)
            let chs = Self.chs(lba: sectors - 1)
            mbr[at + 5] = chs.0
            mbr[at + 6] = chs.1
            mbr[at + 7] = chs.2
            try write(mbr, at: 0, on: device, structure: "protective MBR")
            return
        }
    }

    private func sealHeader(_ sector: inout [UInt8], size: Int) {
        store32(0, in: &sector, at: 16)
        store32(CRC32.checksum(sector[0..<size]), in: &sector, at: 16)
    }

    private func write(
        _ bytes: [UInt8], at offset: UInt64, on device: any BlockDevice, structure: String
    )
        throws(DiskLayoutError)
    {
        do {
            try device.write(at: offset, bytes: bytes)
        } catch {
            throw DiskLayoutError(
                .io, "cannot write the \(structure)", structure: structure, offset: offset, cause: error)
        }
    }
}

private func store32(_ value: UInt32, in bytes: inout [UInt8], at offset: Int) {
    for index in 0..<4 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(index))) }
}

private func store64(_ value: UInt64, in bytes: inout [UInt8], at offset: Int) {
    for index in 0..<8 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
}

private func load32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
    (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
}

extension Partition {
    /// The same partition with `sectorCount` sectors.
    func resized(sectorCount: UInt64) -> Partition {
        Partition(
            number: number, kind: kind, firstSector: firstSector, sectorCount: sectorCount, type: type, name: name,
            uniqueGUID: uniqueGUID, isBootable: isBootable, attributes: attributes, entryOffset: entryOffset)
    }
}
