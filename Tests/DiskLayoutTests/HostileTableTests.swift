import BlockIO
import DiskLayout
import Foundation
import Testing
import _TestSupport

/// Little-endian bytes of `value`.
func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
}

/// Crafted broken tables, starting from ones sfdisk/sgdisk made: each gives a typed error or a warning, in bounded
/// time and memory, never a crash.
@Suite struct HostileTableTests {
    static func mbrWithLogicals() throws -> DiskFixture {
        let fixture = try DiskFixture(sizeMiB: 32)
        try fixture.sfdisk(MBRTests.logicalScript)
        return fixture
    }

    /// The byte offset of the `index`-th EBR (0-based) of the extended partition 3, from sfdisk's own layout:
    /// each logical partition's EBR is 2048 sectors (sfdisk's alignment) before it... read from the chain instead.
    static func ebrOffsets(_ fixture: DiskFixture) throws -> [UInt64] {
        let extended = UInt64(try fixture.sfdiskPartitions()[3]!["start"] as! Int)
        var offsets: [UInt64] = []
        var lba = extended
        while offsets.count < 16 {
            offsets.append(lba * 512)
            let link = try fixture.bytes(at: lba * 512 + 446 + 16, count: 16)
            let relative = UInt64(link[8]) | UInt64(link[9]) << 8 | UInt64(link[10]) << 16 | UInt64(link[11]) << 24
            if link[4] == 0 { break }
            lba = extended + relative
        }
        return offsets
    }

    @Test func ebrChainLoopingBackStopsWithAWarning() throws {
        let fixture = try Self.mbrWithLogicals()
        let ebrs = try Self.ebrOffsets(fixture)
        #expect(ebrs.count == 4)
        // The last EBR links back to the first one (relative start 0 = the extended partition's first sector).
        try fixture.patch(
            at: ebrs[3] + 446 + 16, [0, 0, 0, 0, 0x05, 0, 0, 0] + littleEndian(UInt32(0)) + littleEndian(UInt32(2048)))
        let image = try DiskImage.open(path: fixture.path)
        let table = try PartitionTable.read(from: image.device)
        #expect(table.warnings.map(\.code) == [.ebrLoop])
        #expect(table.partitions.map(\.number) == [1, 2, 3, 5, 6, 7, 8])
    }

    @Test func ebrLinkingToItselfStopsWithAWarning() throws {
        let fixture = try Self.mbrWithLogicals()
        let ebrs = try Self.ebrOffsets(fixture)
        let extended = UInt32(ebrs[0] / 512)
        let self1 = UInt32(ebrs[1] / 512) - extended
        try fixture.patch(at: ebrs[1] + 446 + 16 + 8, littleEndian(self1))
        let image = try DiskImage.open(path: fixture.path)
        let table = try PartitionTable.read(from: image.device)
        #expect(table.warnings.map(\.code) == [.ebrLoop])
        #expect(table.partitions.map(\.number) == [1, 2, 3, 5, 6])
    }

    @Test func ebrLinkOutsideTheExtendedPartitionStops() throws {
        let fixture = try Self.mbrWithLogicals()
        let ebrs = try Self.ebrOffsets(fixture)
        try fixture.patch(at: ebrs[0] + 446 + 16 + 8, littleEndian(UInt32(0x7FFF_FFFF)))
        let image = try DiskImage.open(path: fixture.path)
        let table = try PartitionTable.read(from: image.device)
        #expect(table.warnings.map(\.code) == [.badEBR])
        #expect(table.partitions.map(\.number) == [1, 2, 3, 5])
    }

    @Test func endlessEBRChainIsCut() throws {
        // 300 EBRs, each with a one-sector logical partition: more than the 256 we follow.
        let fixture = try DiskFixture(sizeMiB: 4)
        try ExternalTool.check([
            DiskFixture.python, "-c",
            """
            import sys, struct
            f = open(sys.argv[1], 'r+b')
            def entry(t, start, count): return struct.pack('<B3sB3sII', 0, b'\\0\\0\\0', t, b'\\0\\0\\0', start, count)
            def sector(entries): return b'\\0' * 446 + b''.join(entries).ljust(64, b'\\0') + b'\\x55\\xaa'
            f.seek(0); f.write(sector([entry(0x05, 2048, 4096)]))
            for i in range(300):
                f.seek((2048 + 2 * i) * 512)
                f.write(sector([entry(0x83, 1, 1), entry(0x05, 2 * (i + 1), 2)]))
            f.close()
            """, fixture.path,
        ])
        let image = try DiskImage.open(path: fixture.path)
        let table = try PartitionTable.read(from: image.device)
        #expect(table.warnings.map(\.code) == [.tooManyLogicalPartitions])
        #expect(table.partitions.count == 1 + 256)
        #expect(table.partitions.last?.number == 5 + 255)
    }

    @Test func probingStopsAfter256Partitions() throws {
        let fixture = try DiskFixture(sizeMiB: 4)
        var arguments = ["-a", "1", "-S", "512"]
        for number in 1...300 { arguments += ["-n", "\(number):0:+8"] }
        try fixture.sgdisk(arguments)
        let disk = try PartitionedDisk.inspect(DiskImage.open(path: fixture.path).device)
        #expect(disk.table.partitions.count == 300)
        #expect(disk.warnings.map(\.code) == [.tooManyPartitionsToProbe])
        #expect(disk.warnings.first?.partition == 257)
        #expect(disk.volumes.filter { $0.filesystem != nil }.count == 256)
        #expect(disk.volume(number: 300)?.device?.size == 8 * 512)
        try expectMatchesSfdisk(disk.table, fixture)
    }

    @Test func overlappingPartitionsAreReportedAndNotChosenAsRoot() throws {
        let fixture = try DiskFixture(sizeMiB: 32)
        try fixture.sfdisk("label: dos\nstart=2048, size=8M, type=83\nstart=18432, size=8M, type=83\n")
        // Move partition 2's start into partition 1.
        try fixture.patch(at: 446 + 16 + 8, littleEndian(UInt32(4096)))
        try ExternalTool.check(["mkfs.ext4", "-q", "-F", "-E", "offset=\(2048 * 512)", fixture.path, "8M"])
        let image = try DiskImage.open(path: fixture.path)
        let disk = try PartitionedDisk.inspect(image.device)
        #expect(disk.table.warnings.map(\.code) == [.overlap])
        #expect(disk.table.warnings.first?.partition == 2)
        // Partition 1 holds ext4 and does not itself overlap anything listed before it, but partition 2 shares its
        // sectors (and, starting inside ext4, may show ext4 bytes too): 1 is chosen, 2 never.
        let root = try RootSelector.select(in: disk)
        #expect(root.volume.number == 1)
    }

    @Test func partitionPastTheEndOfTheDiskIsListedButCannotBeOpened() throws {
        let fixture = try DiskFixture(sizeMiB: 32)
        try fixture.sfdisk("label: dos\nstart=2048, size=8M, type=83\nstart=18432, size=20M, type=83\n")
        try ExternalTool.check(["truncate", "-s", "16M", fixture.path])
        let image = try DiskImage.open(path: fixture.path)
        let disk = try PartitionedDisk.inspect(image.device)
        #expect(disk.table.warnings.map(\.code) == [.partitionPastEndOfDisk])
        let volume = try #require(disk.volume(number: 2))
        #expect(volume.device == nil)
        #expect(volume.openError?.code == .partitionOutOfBounds)
        do {
            _ = try RootSelector.select(in: disk, partition: 2)
            Issue.record("a partition past the end of the disk was opened")
        } catch {
            #expect(error.code == .partitionOutOfBounds)
        }
    }

    // MARK: GPT

    static let lastLBA: UInt64 = 64 * 2048 - 1

    func readGPT(_ fixture: DiskFixture) throws(DiskLayoutError) -> PartitionTable {
        let image: DiskImage
        do { image = try DiskImage.open(path: fixture.path) } catch { fatalError("\(error)") }
        return try PartitionTable.read(from: image.device)
    }

    @Test func entryArrayCRCMismatchInThePrimaryUsesTheBackup() throws {
        let fixture = try GPTTests.makeGPT()
        try fixture.patch(at: 2 * 512 + 128 + 56, Array("X".utf16.flatMap { littleEndian($0) }))
        let table = try readGPT(fixture)
        #expect(table.gptHeaderSource == .backup)
        #expect(table.warnings.map(\.code) == [.primaryGPTDamaged])
        #expect(table.warnings[0].message.contains("entry array CRC32"))
        #expect(table.partition(number: 2)?.name == "EFI System")
    }

    @Test func entryArrayCRCMismatchInBothHeadersIsAnError() throws {
        let fixture = try GPTTests.makeGPT()
        try fixture.patch(at: 2 * 512 + 128 + 56, [0x58, 0])
        try fixture.patch(at: (Self.lastLBA - 32) * 512 + 128 + 56, [0x58, 0])
        #expect {
            _ = try readGPT(fixture)
        } throws: { error in
            let error = error as! DiskLayoutError
            return error.code == .checksumMismatch && error.field == "partition entry array CRC32"
                && error.offset == 512 + 88 && error.message.contains("backup header")
        }
    }

    @Test func headerCRCMismatchUsesTheBackup() throws {
        let fixture = try GPTTests.makeGPT()
        let guidByte = try fixture.bytes(at: 512 + 56, count: 1)[0]
        try fixture.patch(at: 512 + 56, [guidByte ^ 0xFF])
        let table = try readGPT(fixture)
        #expect(table.gptHeaderSource == .backup)
        #expect(table.warnings.first?.message.contains("header CRC32") == true)
        let sfdiskID = try fixture.sfdiskTable()["id"] as! String
        #expect(table.diskGUID?.description == sfdiskID)
    }

    @Test(arguments: [UInt32(40), 600, 0xFFFF_FFFF])
    func headerSizeLiesAreRejected(size: UInt32) throws {
        let fixture = try GPTTests.makeGPT()
        for lba in [1, Self.lastLBA] {
            try fixture.patch(at: lba * 512 + 12, littleEndian(size))
        }
        #expect {
            _ = try readGPT(fixture)
        } throws: { error in
            let error = error as! DiskLayoutError
            return error.code == .invalidField && error.field == "header size" && error.offset == 512 + 12
        }
        // With only the primary lying, the backup is used.
        let second = try GPTTests.makeGPT()
        try second.patch(at: 512 + 12, littleEndian(size))
        #expect(try readGPT(second).gptHeaderSource == .backup)
    }

    @Test(arguments: [
        (UInt32(0xFFFF_FFFF), UInt32(128), "number of partition entries"),
        (UInt32(0x0010_0000), UInt32(4096), "number of partition entries"),
        (UInt32(128), UInt32(0x8000_0000), "size of partition entry"),
        (UInt32(128), UInt32(100), "size of partition entry"),
    ])
    func absurdEntryArraysAreRejectedBeforeAllocating(count: UInt32, size: UInt32, field: String) throws {
        let fixture = try GPTTests.makeGPT()
        for lba in [1, Self.lastLBA] {
            try fixture.patch(at: lba * 512 + 80, littleEndian(count) + littleEndian(size))
            try fixture.fixGPTHeaderCRC(atLBA: lba)
        }
        #expect {
            _ = try readGPT(fixture)
        } throws: { error in
            let error = error as! DiskLayoutError
            return error.code == .invalidField && error.field == field
        }
    }

    @Test func entryArrayPastTheEndOfTheDiskIsRejected() throws {
        let fixture = try GPTTests.makeGPT()
        for lba in [1, Self.lastLBA] {
            try fixture.patch(at: lba * 512 + 72, littleEndian(UInt64.max / 256))
            try fixture.fixGPTHeaderCRC(atLBA: lba)
        }
        #expect {
            _ = try readGPT(fixture)
        } throws: { error in
            (error as! DiskLayoutError).field == "partition entry LBA"
        }
    }

    @Test func headerClaimingAnotherLBAIsRejected() throws {
        let fixture = try GPTTests.makeGPT()
        try fixture.patch(at: 512 + 24, littleEndian(UInt64(7)))
        try fixture.fixGPTHeaderCRC(atLBA: 1)
        let table = try readGPT(fixture)
        #expect(table.gptHeaderSource == .backup)
        #expect(table.warnings.first?.message.contains("my LBA") == true)
    }
}
