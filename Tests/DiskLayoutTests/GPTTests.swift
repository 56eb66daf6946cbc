import BlockIO
import DiskLayout
import Foundation
import Testing
import _TestSupport

@Suite struct GPTTests {
    /// A GPT made by sgdisk with several types, names (one non-ASCII), attributes and a gap in the numbering:
    /// a sparse copy of one made once per test run (sgdisk sleeps a second per run).
    static func makeGPT() throws -> DiskFixture {
        try DiskFixture(copying: try template.get().path)
    }

    /// The disk `makeGPT` copies, made once; its folder is removed when the test process exits.
    private static let template: Result<DiskFixture, any Error> = {
        let result = Result { try makeFreshGPT() }
        if case .success(let fixture) = result {
            templatePath = fixture.directory.path
            atexit { if let path = GPTTests.templatePath { try? FileManager.default.removeItem(atPath: path) } }
        }
        return result
    }()
    nonisolated(unsafe) private static var templatePath: String?

    static func makeFreshGPT() throws -> DiskFixture {
        let fixture = try DiskFixture(sizeMiB: 64)
        try fixture.sgdisk(
            [
                "-n", "1:2048:+1M", "-t", "1:ef02", "-c", "1:BIOS boot",
                "-n", "2:0:+8M", "-t", "2:ef00", "-c", "2:EFI System",
                "-n", "3:0:+16M", "-t", "3:8304", "-c", "3:root x86-64", "-A", "3:set:2",
                "-n", "4:0:+4M", "-t", "4:8200", "-c", "4:swap", "-A", "4:set:0",
                "-n", "10:0:+4M", "-t", "10:0700", "-c", "10:données ☃", "-A", "10:set:60", "-A", "10:set:63",
                "-n", "11:0:+4M", "-t", "11:8e00", "-n", "12:0:+4M", "-t", "12:fd00", "-n", "13:0:+4M", "-t", "13:8302",
            ])
        return fixture
    }

    @Test func sgdiskTableMatchesSfdisk() throws {
        let fixture = try Self.makeGPT()
        let image = try DiskImage.open(path: fixture.path)
        let table = try PartitionTable.read(from: image.device)
        #expect(table.kind == .gpt)
        #expect(table.warnings.isEmpty)
        #expect(table.gptHeaderSource == .primary)
        #expect(table.protectiveMBR == .protective)
        #expect(table.gptHeader?.entryCount == 128)
        #expect(table.diskGUID?.description == (try fixture.sfdiskTable()["id"] as! String))
        try expectMatchesSfdisk(table, fixture)
        let names = Dictionary(uniqueKeysWithValues: table.partitions.map { ($0.number, $0.type.name) })
        #expect(names[1] == "BIOS boot partition")
        #expect(names[2] == "EFI system partition")
        #expect(names[3] == "Linux root (x86-64)")
        #expect(names[4] == "Linux swap")
        #expect(names[10] == "Microsoft basic data")
        #expect(names[11] == "Linux LVM")
        #expect(names[12] == "Linux RAID")
        #expect(names[13] == "Linux /home")
        #expect(table.partition(number: 10)?.name == "données ☃")
        #expect(table.partition(number: 3)?.isBootable == true)
    }

    @Test(arguments: [128, 512, 1024])
    func entryArraysOfManyEntriesAreRead(entries: Int) throws {
        let fixture = try DiskFixture(sizeMiB: 16)
        try fixture.sgdisk(["-S", String(entries)])
        try fixture.sgdisk([
            "-n", "1:0:+2M", "-n", "\(entries - 1):0:+2M", "-t", "\(entries - 1):8300", "-c", "\(entries - 1):last one",
        ])
        let image = try DiskImage.open(path: fixture.path)
        let table = try PartitionTable.read(from: image.device)
        #expect(table.gptHeader?.entryCount == UInt32(entries))
        #expect(table.warnings.isEmpty)
        #expect(table.partitions.map(\.number) == [1, entries - 1])
        try expectMatchesSfdisk(table, fixture)
    }

    @Test func damagedPrimaryFallsBackToTheBackupWithAWarning() throws {
        let fixture = try Self.makeGPT()
        let before = try fixture.sfdiskPartitions()
        try ExternalTool.check([
            "dd", "if=/dev/zero", "of=\(fixture.path)", "bs=512", "seek=1", "count=1", "conv=notrunc", "status=none",
        ])
        let image = try DiskImage.open(path: fixture.path)
        let table = try PartitionTable.read(from: image.device)
        #expect(table.gptHeaderSource == .backup)
        #expect(table.gptHeader?.myLBA == image.device.size / 512 - 1)
        #expect(table.warnings.map(\.code) == [.primaryGPTDamaged])
        #expect(Set(table.partitions.map(\.number)) == Set(before.keys))
        for partition in table.partitions {
            #expect(UInt64(before[partition.number]!["start"] as! Int) == partition.firstSector)
            #expect(UInt64(before[partition.number]!["size"] as! Int) == partition.sectorCount)
        }
        // sfdisk agrees that the backup is what is left.
        try expectMatchesSfdisk(table, fixture)
    }

    @Test func hybridMBRIsRecognisedAndTheGPTIsUsed() throws {
        let fixture = try Self.makeGPT()
        try fixture.sgdisk(["-h", "2:3"])
        let image = try DiskImage.open(path: fixture.path)
        let mbr = try MasterBootRecord(parsing: try image.device.read(at: 0, count: 512))
        #expect(mbr.hasProtectiveEntry && mbr.hasNonProtectiveEntries)
        let table = try PartitionTable.read(from: image.device)
        #expect(table.kind == .gpt)
        #expect(table.protectiveMBR == .hybrid)
        #expect(table.warnings.map(\.code) == [.hybridMBR])
        try expectMatchesSfdisk(table, fixture)
    }

    @Test func damagedBackupIsReportedWhileThePrimaryIsUsed() throws {
        let fixture = try Self.makeGPT()
        try ExternalTool.check([
            "dd", "if=/dev/zero", "of=\(fixture.path)", "bs=512", "seek=\(64 * 2048 - 1)", "count=1", "conv=notrunc",
            "status=none",
        ])
        let table = try PartitionTable.read(from: DiskImage.open(path: fixture.path).device)
        #expect(table.gptHeaderSource == .primary)
        #expect(table.warnings.map(\.code) == [.backupGPTDamaged])
        try expectMatchesSfdisk(table, fixture)
    }

    @Test func gptWithoutAProtectiveMBRIsReadAsTheMBRItHas() throws {
        let fixture = try Self.makeGPT()
        let other = try DiskFixture(sizeMiB: 64, name: "mbr.raw")
        try other.sfdisk("label: dos\nstart=2048, size=8M, type=83\n")
        try fixture.patch(at: 0, try other.bytes(at: 0, count: 512))
        let table = try PartitionTable.read(from: DiskImage.open(path: fixture.path).device)
        #expect(table.kind == .mbr)
        #expect(table.warnings.map(\.code) == [.unprotectedGPT])
        #expect(try fixture.sfdiskTable()["label"] as? String == "dos")
        try expectMatchesSfdisk(table, fixture)
    }

    @Test func zeroedSectorZeroStillFindsTheGPT() throws {
        let fixture = try Self.makeGPT()
        try fixture.patch(at: 0, [UInt8](repeating: 0, count: 512))
        let table = try PartitionTable.read(from: DiskImage.open(path: fixture.path).device)
        #expect(table.kind == .gpt)
        #expect(table.protectiveMBR == .missing)
        #expect(table.warnings.map(\.code) == [.missingProtectiveMBR])
        #expect(table.partitions.count == 8)
    }

    @Test func hugeSparseDiskIsReadAndProbed() throws {
        // 2040 GiB (the VHD maximum) with one partition spanning it and an ext4 at its head.
        let fixture = try DiskFixture(sizeMiB: 2040 * 1024)
        try fixture.sgdisk(["-n", "1:0:0", "-t", "1:8300"])
        try fixture.place(["mkfs.ext4", "-q", "-F", "-L", "huge"], sizeMiB: 16, atSector: 2048)
        let disk = try PartitionedDisk.inspect(DiskImage.open(path: fixture.path).device)
        let volume = try #require(disk.volume(number: 1))
        #expect(volume.size == (2040 << 30) - 2048 * 512 - 33 * 512)
        #expect(volume.signature?.label == "huge")
        let blkid = try fixture.blkid(offset: volume.start, size: volume.size)
        #expect(volume.signature?.uuid == blkid["UUID"])
    }

    @Test func grownDiskReportsTheMisplacedBackup() throws {
        let fixture = try Self.makeGPT()
        try ExternalTool.check(["truncate", "-s", "80M", fixture.path])
        let image = try DiskImage.open(path: fixture.path)
        let table = try PartitionTable.read(from: image.device)
        #expect(table.gptHeaderSource == .primary)
        #expect(table.warnings.map(\.code) == [.backupGPTMisplaced])
        try expectMatchesSfdisk(table, fixture)
    }

    @Test func fourKSectorGPTIsReportedAsUnsupported() throws {
        let fixture = try DiskFixture(sizeMiB: 64)
        // fdisk -b 4096 writes a GPT with 4096-byte logical sectors: header at byte 4096.
        _ = try ExternalTool.run(["fdisk", "-b", "4096", fixture.path], stdin: Data("g\nn\n\n\n+8M\nw\n".utf8))
        #expect(try fixture.bytes(at: 4096, count: 8) == Array("EFI PART".utf8))
        let image = try DiskImage.open(path: fixture.path)
        do {
            _ = try PartitionTable.read(from: image.device)
            Issue.record("a 4K-sector GPT was read as 512-byte sectors")
        } catch {
            #expect(error.code == .unsupported)
            #expect(error.message.contains("4096-byte logical sectors"))
            #expect(error.offset == 4096)
        }
    }

    @Test func crc32MatchesZlib() throws {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<10_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let dir = try TemporaryDirectory()
        let path = dir.file("random.bin")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let zlib = try ExternalTool.check([
            DiskFixture.python, "-c", "import sys, zlib; print(zlib.crc32(open(sys.argv[1], 'rb').read()))", path,
        ]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(String(CRC32.checksum(bytes)) == zlib)
        var incremental = CRC32()
        incremental.update(with: bytes[0..<1234])
        incremental.update(with: bytes[1234...])
        #expect(String(incremental.value) == zlib)
    }

    @Test func guidTextRoundTripsInMixedEndianOrder() throws {
        let text = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
        let guid = try #require(GUID(text))
        #expect(guid.bytes.prefix(4) == [0x28, 0x73, 0x2A, 0xC1])
        #expect(guid.description == text)
        #expect(GUID("not-a-guid") == nil)
    }
}

/// The same table, filesystems and root read from the raw disk, from qemu-img's dynamic and fixed VHD conversions
/// of it, and from a differencing child of the dynamic one.
@Suite struct ImageTypeTests {
    static func summary(_ table: PartitionTable) -> [String] {
        table.partitions.map {
            "\($0.number) \($0.kind) \($0.firstSector)+\($0.sectorCount) \($0.type.code) \($0.name ?? "-") "
                + "\($0.uniqueGUID?.description ?? "-") \($0.isBootable)"
        } + table.warnings.map(\.description)
    }

    @Test(arguments: ["gpt", "mbr"])
    func tableAndRootAreTheSameOnRawDynamicFixedAndDifferencing(kind: String) throws {
        let fixture: DiskFixture
        if kind == "gpt" {
            fixture = try GPTTests.makeGPT()
        } else {
            fixture = try DiskFixture(sizeMiB: 32)
            try fixture.sfdisk(MBRTests.logicalScript)
        }
        let start = UInt64(try fixture.sfdiskPartitions()[kind == "gpt" ? 3 : 5]!["start"] as! Int)
        try fixture.place(["mkfs.ext4", "-q", "-F", "-L", "vhdroot"], sizeMiB: 4, atSector: start)
        let raw = try PartitionedDisk.inspect(DiskImage.open(path: fixture.path).device)
        let rawRoot = try RootSelector.select(in: raw)
        #expect(rawRoot.volume.signature?.label == "vhdroot")
        // A differencing child (made by our ImageCreator; qemu-img cannot make VHD children) of the dynamic VHD:
        // every byte comes from the parent through the child's bitmaps.
        let dynamic = try fixture.vhd("dynamic")
        let child = fixture.directory.file("child.vhd")
        _ = try ImageCreator.create(.differencing(parent: dynamic), at: child)
        let paths: [(String, DiskImage.Format)] = [
            (dynamic, .vhdDynamic), (try fixture.vhd("fixed"), .vhdFixed), (child, .vhdDifferencing),
        ]
        for (path, format) in paths {
            let image = try DiskImage.open(path: path)
            let subformat = format.rawValue
            #expect(image.format == format)
            let disk = try PartitionedDisk.inspect(image.device)
            #expect(Self.summary(disk.table) == Self.summary(raw.table), "\(subformat)")
            #expect(disk.volumes.map(\.filesystem) == raw.volumes.map(\.filesystem), "\(subformat)")
            let root = try RootSelector.select(in: disk)
            #expect(root.volume.number == rawRoot.volume.number)
            #expect(root.volume.signature == rawRoot.volume.signature)
            #expect(try root.device.read(at: 1024, count: 1024) == (try rawRoot.device.read(at: 1024, count: 1024)))
        }
    }
}
