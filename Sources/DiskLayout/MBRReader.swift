import BlockIO

/// Reads an MBR table: the four primary slots and, for each extended partition, its chain of extended boot
/// records (EBRs).
///
/// The chain is followed the way Linux's `msdos.c` does: in each EBR every non-empty, non-extended entry is a
/// logical partition (start relative to that EBR), and the first extended entry links to the next EBR (start
/// relative to the extended partition). The walk stops, with a warning, at an EBR seen before (a loop), after
/// ``maximumLogicalPartitions`` EBRs, or at an EBR outside the extended partition or without `0x55AA`.
struct MBRReader {
    /// The most EBRs followed in one disk (Linux allows 256 partitions per disk).
    static let maximumLogicalPartitions = 256

    let device: any BlockDevice
    let mbr: MasterBootRecord

    func read() throws(DiskLayoutError) -> PartitionTable {
        let diskSectors = device.size / Partition.sectorSize
        var partitions: [Partition] = []
        var warnings: [DiskLayoutWarning] = []
        for (slot, entry) in mbr.entries.enumerated() where !entry.isEmpty {
            partitions.append(
                Partition(
                    number: slot + 1, kind: entry.type.isExtended ? .mbrExtended : .mbrPrimary,
                    firstSector: UInt64(entry.firstLBA), sectorCount: UInt64(entry.sectorCount),
                    type: .mbr(entry.type), isBootable: entry.isBootable, entryOffset: UInt64(446 + slot * 16)))
        }
        var nextNumber = 5
        var ebrsRead = 0
        for container in partitions where container.kind == .mbrExtended {
            try followChain(
                of: container, diskSectors: diskSectors, nextNumber: &nextNumber, ebrsRead: &ebrsRead,
                partitions: &partitions, warnings: &warnings)
        }
        warnings += ExtentCheck.warnings(for: partitions, diskSectors: diskSectors)
        return PartitionTable(
            kind: .mbr, diskSize: device.size, partitions: partitions, warnings: warnings,
            diskSignature: mbr.diskSignature)
    }

    private func followChain(
        of container: Partition, diskSectors: UInt64, nextNumber: inout Int, ebrsRead: inout Int,
        partitions: inout [Partition], warnings: inout [DiskLayoutWarning]
    ) throws(DiskLayoutError) {
        let extendedStart = container.firstSector
        let extendedEnd = container.endSector
        var ebrLBA = extendedStart
        var visited: Set<UInt64> = []
        while true {
            let ebrOffset = ebrLBA &* Partition.sectorSize
            guard !visited.contains(ebrLBA) else {
                warnings.append(
                    DiskLayoutWarning(
                        .ebrLoop,
                        "the EBR chain of partition \(container.number) comes back to the EBR at sector "
                            + "\(ebrLBA); stopped following it", partition: container.number, offset: ebrOffset))
                return
            }
            guard ebrsRead < Self.maximumLogicalPartitions else {
                warnings.append(
                    DiskLayoutWarning(
                        .tooManyLogicalPartitions, "more than \(Self.maximumLogicalPartitions) EBRs; stopped",
                        partition: container.number, offset: ebrOffset))
                return
            }
            guard ebrLBA >= extendedStart, ebrLBA < extendedEnd, ebrLBA < diskSectors else {
                warnings.append(
                    DiskLayoutWarning(
                        .badEBR,
                        "an EBR link points to sector \(ebrLBA), outside the extended partition "
                            + "(sectors \(extendedStart)..<\(extendedEnd)) or the disk (\(diskSectors) sectors)",
                        partition: container.number, offset: ebrOffset))
                return
            }
            visited.insert(ebrLBA)
            ebrsRead += 1
            let sector = try device.readStructure(at: ebrOffset, count: MasterBootRecord.size, structure: "EBR")
            let ebr: MasterBootRecord
            do throws(DiskLayoutError) {
                ebr = try MasterBootRecord(parsing: sector, diskOffset: ebrOffset, structure: "EBR")
            } catch {
                warnings.append(
                    DiskLayoutWarning(
                        .badEBR, "the EBR at sector \(ebrLBA) is not valid (\(error.message)); chain stopped",
                        partition: container.number, offset: ebrOffset))
                return
            }
            for (slot, entry) in ebr.entries.enumerated() where !entry.isEmpty && !entry.type.isExtended {
                let first = ebrLBA &+ UInt64(entry.firstLBA)
                let logical = Partition(
                    number: nextNumber, kind: .mbrLogical, firstSector: first, sectorCount: UInt64(entry.sectorCount),
                    type: .mbr(entry.type), isBootable: entry.isBootable,
                    entryOffset: ebrOffset + UInt64(446 + slot * 16))
                if first < extendedStart || logical.endSector > extendedEnd {
                    warnings.append(
                        DiskLayoutWarning(
                            .outsideUsableArea,
                            "logical partition lies outside its extended partition \(container.number)",
                            partition: nextNumber, offset: logical.entryOffset))
                }
                partitions.append(logical)
                nextNumber += 1
            }
            guard let link = ebr.entries.first(where: { !$0.isEmpty && $0.type.isExtended }) else { return }
            ebrLBA = extendedStart &+ UInt64(link.firstLBA)
        }
    }
}
