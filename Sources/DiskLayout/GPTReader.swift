import BlockIO

/// Reads a GUID partition table with 512-byte logical sectors: the primary header at LBA 1 and its entry array,
/// falling back to the backup header at the last LBA (reported as a warning) when the primary or its array is
/// unusable.
///
/// A header is usable when its signature, header size, header CRC32, own LBA, usable range and entry array
/// (entry size 128 × 2ⁿ, at most ``maximumEntryArrayBytes``, inside the disk, CRC32 matching) all check out.
/// Sizes are checked against the disk before anything is allocated.
struct GPTReader {
    /// The largest entry array read: 1 MiB (8192 entries of 128 bytes; the usual table is 16 KiB, `sgdisk -S`
    /// can make larger ones).
    static let maximumEntryArrayBytes: UInt64 = 1 << 20
    /// The largest entry size accepted (the specification requires 128 × 2ⁿ).
    static let maximumEntrySize: UInt32 = 4096

    let device: any BlockDevice
    let mbr: MasterBootRecord?

    private var diskSectors: UInt64 { device.size / Partition.sectorSize }

    /// Whether the sector `lba` (of `sectorSize` bytes) starts with `"EFI PART"`.
    static func hasSignature(
        on device: any BlockDevice, atLBA lba: UInt64, sectorSize: UInt64
    )
        throws(DiskLayoutError) -> Bool
    {
        let offset = lba * sectorSize
        guard offset + 8 <= device.size else { return false }
        return try device.readStructure(at: offset, count: 8, structure: "GPT header") == GPTHeader.signature
    }

    static func fourKSectorError() -> DiskLayoutError {
        DiskLayoutError(
            .unsupported,
            "this disk looks like a GPT with 4096-byte logical sectors (\"EFI PART\" at byte 4096, not 512); "
                + "only 512-byte sectors are supported",
            structure: "GPT header", field: "signature", offset: 4096)
    }

    /// A header with its entries, checked.
    private struct CheckedTable {
        var header: GPTHeader
        var entries: [GPTPartitionEntry]
        var entryArrayOffset: UInt64
    }

    func read() throws(DiskLayoutError) -> PartitionTable {
        var warnings: [DiskLayoutWarning] = []
        let protective: PartitionTable.ProtectiveMBR
        if let mbr, mbr.hasProtectiveEntry {
            protective = mbr.hasNonProtectiveEntries ? .hybrid : .protective
        } else {
            protective = .missing
        }
        if protective == .hybrid {
            warnings.append(
                DiskLayoutWarning(
                    .hybridMBR, "the MBR is hybrid: it lists partitions beside the 0xEE entry; the GPT is used",
                    offset: 446))
        }
        let lastLBA = diskSectors &- 1
        let table: CheckedTable
        let source: PartitionTable.GPTHeaderSource
        do throws(DiskLayoutError) {
            table = try readChecked(atLBA: 1, structure: "primary GPT header")
            source = .primary
            warnings += checkBackup(of: table.header, lastLBA: lastLBA)
        } catch let primaryError {
            var backupError: DiskLayoutError?
            var found: CheckedTable?
            do throws(DiskLayoutError) {
                found = try readChecked(atLBA: lastLBA, structure: "backup GPT header")
            } catch {
                backupError = error
            }
            guard let found else {
                let fourKPrimary = try Self.hasSignature(on: device, atLBA: 1, sectorSize: 4096)
                let fourKBackup =
                    device.size >= 8192
                    ? try Self.hasSignature(on: device, atLBA: device.size / 4096 - 1, sectorSize: 4096) : false
                if fourKPrimary || fourKBackup { throw Self.fourKSectorError() }
                var error = primaryError
                error.message += "; the backup header at LBA \(lastLBA) is unusable too (\(backupError!.description))"
                throw error
            }
            table = found
            source = .backup
            warnings.append(
                DiskLayoutWarning(
                    .primaryGPTDamaged,
                    "the primary GPT is unusable (\(primaryError.description)); using the backup header at LBA "
                        + "\(lastLBA)", offset: 512))
        }
        var partitions: [Partition] = []
        for (index, entry) in table.entries.enumerated() where !entry.isUnused {
            let entryOffset = table.entryArrayOffset + UInt64(index) * UInt64(table.header.entrySize)
            guard entry.lastLBA >= entry.firstLBA else {
                warnings.append(
                    DiskLayoutWarning(
                        .badEntry, "last LBA \(entry.lastLBA) is before first LBA \(entry.firstLBA); entry ignored",
                        partition: index + 1, offset: entryOffset))
                continue
            }
            let partition = Partition(
                number: index + 1, kind: .gpt, firstSector: entry.firstLBA,
                sectorCount: entry.lastLBA - entry.firstLBA &+ 1, type: .gpt(entry.type), name: entry.name,
                uniqueGUID: entry.uniqueGUID, isBootable: entry.attributes & 4 != 0, attributes: entry.attributes,
                entryOffset: entryOffset)
            if entry.firstLBA < table.header.firstUsableLBA || entry.lastLBA > table.header.lastUsableLBA {
                warnings.append(
                    DiskLayoutWarning(
                        .outsideUsableArea,
                        "sectors \(entry.firstLBA)...\(entry.lastLBA) are outside the usable LBAs "
                            + "\(table.header.firstUsableLBA)...\(table.header.lastUsableLBA)",
                        partition: index + 1, offset: entryOffset))
            }
            partitions.append(partition)
        }
        warnings += ExtentCheck.warnings(for: partitions, diskSectors: diskSectors)
        return PartitionTable(
            kind: .gpt, diskSize: device.size, partitions: partitions, warnings: warnings,
            diskGUID: table.header.diskGUID, gptHeader: table.header, gptHeaderSource: source,
            protectiveMBR: protective)
    }

    /// Warnings about the backup header when the primary is good.
    private func checkBackup(of primary: GPTHeader, lastLBA: UInt64) -> [DiskLayoutWarning] {
        var warnings: [DiskLayoutWarning] = []
        if primary.alternateLBA != lastLBA {
            warnings.append(
                DiskLayoutWarning(
                    .backupGPTMisplaced,
                    "the primary header says the backup is at LBA \(primary.alternateLBA), but the last LBA is "
                        + "\(lastLBA) (was the disk resized?)", offset: 512 + 32))
        }
        guard primary.alternateLBA < diskSectors, primary.alternateLBA > 1 else { return warnings }
        do throws(DiskLayoutError) {
            let backup = try header(atLBA: primary.alternateLBA, structure: "backup GPT header")
            if backup.entryArrayCRC32 != primary.entryArrayCRC32 {
                warnings.append(
                    DiskLayoutWarning(
                        .backupGPTDamaged,
                        "the backup header's entry array CRC32 \(hex32(backup.entryArrayCRC32)) differs from the "
                            + "primary's \(hex32(primary.entryArrayCRC32))",
                        offset: primary.alternateLBA * Partition.sectorSize + 88))
            }
        } catch {
            warnings.append(
                DiskLayoutWarning(
                    .backupGPTDamaged, "the backup GPT header is unusable (\(error.description))",
                    offset: primary.alternateLBA * Partition.sectorSize))
        }
        return warnings
    }

    /// Parses the header at `lba` and checks its own LBA and usable range against the disk.
    private func header(atLBA lba: UInt64, structure: String) throws(DiskLayoutError) -> GPTHeader {
        let offset = lba * Partition.sectorSize
        let sector = try device.readStructure(at: offset, count: Int(Partition.sectorSize), structure: structure)
        let header = try GPTHeader(parsing: sector, diskOffset: offset, structure: structure)
        guard header.myLBA == lba else {
            throw DiskLayoutError(
                .invalidField, "the header says it is at LBA \(header.myLBA) but was read at LBA \(lba)",
                structure: structure, field: "my LBA", offset: offset + 24)
        }
        guard header.firstUsableLBA <= header.lastUsableLBA, header.lastUsableLBA < diskSectors else {
            throw DiskLayoutError(
                .invalidField,
                "usable LBAs \(header.firstUsableLBA)...\(header.lastUsableLBA) do not fit a disk of "
                    + "\(diskSectors) sectors", structure: structure, field: "last usable LBA", offset: offset + 48)
        }
        return header
    }

    /// Reads the header at `lba` and its entry array, checking both.
    private func readChecked(atLBA lba: UInt64, structure: String) throws(DiskLayoutError) -> CheckedTable {
        let header = try header(atLBA: lba, structure: structure)
        let offset = lba * Partition.sectorSize
        let entrySize = header.entrySize
        guard entrySize >= 128, entrySize <= Self.maximumEntrySize, entrySize.nonzeroBitCount == 1 else {
            throw DiskLayoutError(
                .invalidField,
                "partition entry size is \(entrySize); it must be 128 × 2ⁿ (at most "
                    + "\(Self.maximumEntrySize))", structure: structure, field: "size of partition entry",
                offset: offset + 84)
        }
        let (arrayBytes, overflow) = UInt64(header.entryCount).multipliedReportingOverflow(by: UInt64(entrySize))
        guard !overflow, arrayBytes <= Self.maximumEntryArrayBytes else {
            throw DiskLayoutError(
                .invalidField,
                "\(header.entryCount) entries × \(entrySize) bytes is more than the \(Self.maximumEntryArrayBytes)-byte "
                    + "limit for an entry array", structure: structure, field: "number of partition entries",
                offset: offset + 80)
        }
        let (arrayOffset, o1) = header.entryArrayLBA.multipliedReportingOverflow(by: Partition.sectorSize)
        let (arrayEnd, o2) = arrayOffset.addingReportingOverflow(arrayBytes)
        guard !o1, !o2, header.entryArrayLBA >= 2, arrayEnd <= device.size,
            !(arrayOffset..<arrayEnd).contains(offset)
        else {
            throw DiskLayoutError(
                .invalidField,
                "the entry array (LBA \(header.entryArrayLBA), \(arrayBytes) bytes) does not lie inside the disk "
                    + "clear of the header", structure: structure, field: "partition entry LBA", offset: offset + 72)
        }
        let array = try device.readStructure(at: arrayOffset, count: Int(arrayBytes), structure: "GPT entry array")
        let computed = CRC32.checksum(array)
        guard computed == header.entryArrayCRC32 else {
            throw DiskLayoutError(
                .checksumMismatch,
                "entry array CRC32 is \(hex32(header.entryArrayCRC32)) but the \(arrayBytes) bytes at LBA "
                    + "\(header.entryArrayLBA) give \(hex32(computed))",
                structure: structure, field: "partition entry array CRC32", offset: offset + 88)
        }
        let reader = ByteReader(array, diskOffset: arrayOffset, structure: "GPT entry array")
        var entries: [GPTPartitionEntry] = []
        entries.reserveCapacity(Int(header.entryCount))
        for index in 0..<Int(header.entryCount) {
            entries.append(try GPTPartitionEntry(parsing: reader, at: index * Int(entrySize)))
        }
        return CheckedTable(header: header, entries: entries, entryArrayOffset: arrayOffset)
    }
}
