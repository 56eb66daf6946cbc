import BlockIO
import Foundation
import Testing
import _TestSupport

@testable import DiskLayout

/// One filesystem to make in a partition of the probe test disk.
struct FilesystemSpec: Sendable, CustomStringConvertible {
    var name: String
    var sizeMiB: Int
    var command: [String]
    var extra: [String] = []
    var description: String { name }
}

/// libblkid's answers through our ``FilesystemProbe`` (a sparse memfd of each slice, filled through
/// BlockDevice) compared with `blkid -p -O OFFSET -S SIZE` on the raw file, on raw and VHD images.
@Suite struct FilesystemProbeTests {
    static let specs: [FilesystemSpec] = {
        var specs = [
            FilesystemSpec(name: "ext2", sizeMiB: 16, command: ["mkfs.ext2", "-q", "-F", "-L", "two"]),
            FilesystemSpec(name: "ext3", sizeMiB: 16, command: ["mkfs.ext3", "-q", "-F", "-L", "three"]),
            FilesystemSpec(name: "ext4", sizeMiB: 32, command: ["mkfs.ext4", "-q", "-F", "-L", "rootfs"]),
            FilesystemSpec(name: "swap", sizeMiB: 8, command: ["mkswap", "-L", "swp"]),
            FilesystemSpec(name: "vfat32", sizeMiB: 64, command: ["mkfs.vfat", "-F", "32", "-n", "ESP"]),
            FilesystemSpec(name: "vfat16", sizeMiB: 16, command: ["mkfs.vfat", "-F", "16", "-n", "SMALL"]),
            FilesystemSpec(name: "empty", sizeMiB: 4, command: ["true"]),
        ]
        let optional: [(String, FilesystemSpec)] = [
            ("mkfs.xfs", FilesystemSpec(name: "xfs", sizeMiB: 300, command: ["mkfs.xfs", "-q", "-f", "-L", "xroot"])),
            (
                "mkfs.btrfs",
                FilesystemSpec(name: "btrfs", sizeMiB: 128, command: ["mkfs.btrfs", "-q", "-f", "-L", "broot"])
            ),
            (
                "mkntfs",
                FilesystemSpec(name: "ntfs", sizeMiB: 16, command: ["mkntfs", "-q", "-F", "-Q", "-L", "WinData"])
            ),
            ("mkfs.exfat", FilesystemSpec(name: "exfat", sizeMiB: 16, command: ["mkfs.exfat", "-L", "EXF"])),
        ]
        for (tool, spec) in optional where ToolCheck.exists(tool) { specs.append(spec) }
        return specs
    }()

    /// A GPT disk with one partition per spec (2048-sector aligned); partition N holds `specs[N-1]`.
    static func makeDisk() throws -> DiskFixture {
        let total = specs.reduce(2) { $0 + $1.sizeMiB + 1 }
        let fixture = try DiskFixture(sizeMiB: total)
        var arguments: [String] = []
        for (index, spec) in specs.enumerated() {
            arguments += ["-n", "\(index + 1):0:+\(spec.sizeMiB)M", "-c", "\(index + 1):\(spec.name)"]
        }
        try fixture.sgdisk(arguments)
        let partitions = try fixture.sfdiskPartitions()
        for (index, spec) in specs.enumerated() where spec.command != ["true"] {
            let start = UInt64(partitions[index + 1]!["start"] as! Int)
            try fixture.place(spec.command, sizeMiB: spec.sizeMiB, atSector: start, extra: spec.extra)
        }
        return fixture
    }

    static let compared = ["TYPE", "SEC_TYPE", "UUID", "LABEL", "VERSION", "USAGE"]

    /// Our values in blkid's export names.
    static func exported(_ outcome: ProbeOutcome?) -> [String: String] {
        guard let signature = outcome?.signature else { return [:] }
        var values = ["TYPE": signature.type]
        values["SEC_TYPE"] = signature.secondaryType
        values["UUID"] = signature.uuid
        values["LABEL"] = signature.label
        values["VERSION"] = signature.version
        values["USAGE"] = signature.usage
        return values
    }

    /// Probes every partition of `imagePath` and compares with blkid on the raw disk of `fixture`.
    static func expectMatchesBlkid(imagePath: String, fixture: DiskFixture, expectedFormat: DiskImage.Format) throws {
        let image = try DiskImage.open(path: imagePath)
        #expect(image.format == expectedFormat)
        let disk = try PartitionedDisk.inspect(image.device)
        #expect(disk.table.kind == .gpt)
        #expect(disk.warnings.isEmpty)
        #expect(disk.volumes.count == specs.count)
        for (index, spec) in specs.enumerated() {
            let volume = try #require(disk.volume(number: index + 1))
            let blkid = try fixture.blkid(offset: volume.start, size: volume.size)
            var expected: [String: String] = [:]
            for key in compared { expected[key] = blkid[key] }
            #expect(exported(volume.filesystem) == expected, "\(spec.name) in \(expectedFormat)")
            if spec.name == "empty" {
                #expect(volume.filesystem == .nothingFound)
            } else {
                #expect(volume.signature != nil, "\(spec.name): libblkid found nothing")
            }
        }
    }

    @Test func everyFilesystemMatchesBlkidOnTheRawFile() throws {
        let fixture = try Self.makeDisk()
        try Self.expectMatchesBlkid(imagePath: fixture.path, fixture: fixture, expectedFormat: .raw)
        let types = try PartitionedDisk.inspect(DiskImage.open(path: fixture.path).device).volumes.compactMap(
            \.signature?.type)
        #expect(Set(types).isSuperset(of: ["ext2", "ext3", "ext4", "swap", "vfat"]))
    }

    @Test func sameAnswersThroughDynamicAndFixedVHD() throws {
        let fixture = try Self.makeDisk()
        try Self.expectMatchesBlkid(
            imagePath: try fixture.vhd("dynamic"), fixture: fixture, expectedFormat: .vhdDynamic)
        try Self.expectMatchesBlkid(imagePath: try fixture.vhd("fixed"), fixture: fixture, expectedFormat: .vhdFixed)
    }

    @Test func fat32LabelPastTheHeadIsReadFromTheRootDirectory() throws {
        // A 512 MiB FAT32 with 512-byte clusters: two 4 MiB FATs put the root directory (which holds the label
        // libblkid prefers) 8 MiB in, far past the 2 MiB head. The boot-sector label is changed so only the
        // root-directory label gives blkid's answer.
        let fixture = try DiskFixture(sizeMiB: 520)
        try fixture.sfdisk("label: dos\nstart=2048, size=512M, type=c\n")
        try fixture.place(
            ["mkfs.vfat", "-F", "32", "-s", "1", "-S", "512", "-n", "ROOTDIRLBL"], sizeMiB: 512, atSector: 2048)
        try fixture.patch(at: 2048 * 512 + 71, Array("BOOTSECTOR ".utf8))
        let blkid = try fixture.blkid(offset: 2048 * 512, size: 512 << 20)
        let window = try #require(ProbeWindows.fatRootDirectory(try fixture.bytes(at: 2048 * 512, count: 512)))
        #expect(window.lowerBound > ProbeWindows.headBytes)
        #expect(blkid["LABEL"] == "ROOTDIRLBL")
        let image = try DiskImage.open(path: fixture.path)
        let disk = try PartitionedDisk.inspect(image.device)
        let volume = try #require(disk.volume(number: 1))
        #expect(volume.signature?.label == "ROOTDIRLBL")
        #expect(Self.exported(volume.filesystem) == blkid.filter { Self.compared.contains($0.key) })
    }

    @Test func twoSignaturesAreAmbiguousLikeBlkidSays() throws {
        // A FAT boot sector written over an ext4's unused boot block: blkid refuses ("ambivalent result", exit 8).
        let fixture = try DiskFixture(sizeMiB: 20)
        try fixture.sfdisk("label: dos\nstart=2048, size=16M, type=83\n")
        try fixture.place(["mkfs.ext4", "-q", "-F"], sizeMiB: 16, atSector: 2048)
        let fat = try DiskFixture(sizeMiB: 16, name: "fat.img")
        try ExternalTool.check(["mkfs.vfat", fat.path])
        try fixture.patch(at: 2048 * 512, try fat.bytes(at: 0, count: 512))
        let result = try ExternalTool.run([
            "blkid", "-p", "-O", String(2048 * 512), "-S", String(16 << 20), fixture.path,
        ])
        #expect(result.status == 8)
        let image = try DiskImage.open(path: fixture.path)
        let disk = try PartitionedDisk.inspect(image.device)
        guard case .ambiguous(let types)? = disk.volume(number: 1)?.filesystem else {
            Issue.record("expected an ambiguous probe, got \(String(describing: disk.volume(number: 1)?.filesystem))")
            return
        }
        #expect(Set(types) == ["ext4", "vfat"])
        #expect(disk.warnings.map(\.code) == [.ambiguousFilesystem])
        #expect(throws: DiskLayoutError.self) { try RootSelector.select(in: disk) }
    }

    @Test(.enabled(if: ToolCheck.exists("mkntfs") && ToolCheck.exists("mkfs.exfat")))
    func ntfsAndExfatWindowsFollowTheirBootSectors() throws {
        // Real boot sectors; the NTFS one moved to the MFT position Windows uses (cluster 786432, 3 GiB in), with
        // the expected window computed by Python from the same fields.
        let ntfs = try DiskFixture(sizeMiB: 16, name: "ntfs.img")
        try ExternalTool.check(["mkntfs", "-q", "-F", "-Q", ntfs.path])
        try ntfs.patch(at: 48, littleEndian(UInt64(786_432)))
        let exfat = try DiskFixture(sizeMiB: 64, name: "exfat.img")
        try ExternalTool.check(["mkfs.exfat", exfat.path])
        let expected = try ExternalTool.check([
            DiskFixture.python, "-c",
            """
            import struct, sys
            b = open(sys.argv[1], 'rb').read(512)
            cluster = struct.unpack_from('<H', b, 11)[0] * b[13]
            rec = struct.unpack_from('<b', b, 64)[0]
            size = 2 ** -rec if rec < 0 else rec * cluster
            start = struct.unpack_from('<Q', b, 48)[0] * cluster
            print(start, start + 16 * size)
            e = open(sys.argv[2], 'rb').read(512)
            heap, root = struct.unpack_from('<I', e, 88)[0], struct.unpack_from('<I', e, 96)[0]
            start = (heap + ((root - 2) << e[109])) << e[108]
            print(start, start + (1 << (e[108] + e[109])))
            """, ntfs.path, exfat.path,
        ]).output.split(separator: "\n").map { $0.split(separator: " ").map { UInt64($0)! } }
        let ntfsWindow = try #require(ProbeWindows.ntfsMFT(try ntfs.bytes(at: 0, count: 512)))
        #expect([ntfsWindow.lowerBound, ntfsWindow.upperBound] == expected[0])
        #expect(ntfsWindow.lowerBound == 786_432 * 4096)
        let exfatWindow = try #require(ProbeWindows.exfatRootDirectory(try exfat.bytes(at: 0, count: 512)))
        #expect([exfatWindow.lowerBound, exfatWindow.upperBound] == expected[1])
        let planned = ProbeWindows(volumeSize: 4 << 30, bootSector: try ntfs.bytes(at: 0, count: 512)).ranges
        #expect(planned.contains(ntfsWindow))
    }

    @Test func probeWindowsCoverHeadTailAndNothingElseForExt4() throws {
        let windows = ProbeWindows(volumeSize: 1 << 40, bootSector: [UInt8](repeating: 0, count: 512)).ranges
        let terabyte: UInt64 = 1 << 40
        let head: Range<UInt64> = 0..<(2 << 20)
        let tail: Range<UInt64> = (terabyte - (1 << 20))..<terabyte
        #expect(windows == [head, tail])
        let tiny = ProbeWindows(volumeSize: 4096, bootSector: [UInt8](repeating: 0, count: 512)).ranges
        let whole: Range<UInt64> = 0..<4096
        #expect(tiny == [whole])
    }
}

/// Whether a tool is installed.
enum ToolCheck {
    static func exists(_ tool: String) -> Bool {
        (try? ExternalTool.run(["sh", "-c", "command -v \(tool)"]).status) == 0
    }
}

/// libblkid's ZFS prober is left out only when it cannot match: volumes with uberblock magics where it looks
/// (start labels, end labels of a size that is not a multiple of 256 KiB) get blkid's own answer, and a magic
/// anywhere else changes nothing.
@Suite struct ZFSPrefilterTests {
    /// Puts the uberblock magic (little-endian `0x00bab10c`) at `offsets` inside partition 1 (2048 sectors in).
    static func disk(partitionSectors: UInt64, magicsAt offsets: [UInt64]) throws -> DiskFixture {
        let fixture = try DiskFixture(sizeMiB: Int((partitionSectors * 512) >> 20) + 3)
        try fixture.sfdisk("label: dos\nstart=2048, size=\(partitionSectors), type=83\n")
        for offset in offsets {
            try fixture.patch(at: 2048 * 512 + offset, [0x0c, 0xb1, 0xba, 0, 0, 0, 0, 0])
        }
        return fixture
    }

    static func probe(_ fixture: DiskFixture) throws -> ProbeOutcome? {
        try PartitionedDisk.inspect(DiskImage.open(path: fixture.path).device).volume(number: 1)?.filesystem
    }

    /// `blkid -p` of partition 1 (`size` bytes from sector 2048) finds `type`, and vhdedit's probe finds it too,
    /// with the same values.
    static func expectBothFind(
        _ type: String, in fixture: DiskFixture, size: UInt64, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let blkid = try fixture.blkid(offset: 2048 * 512, size: size)
        #expect(blkid["TYPE"] == type, sourceLocation: sourceLocation)
        let outcome = try probe(fixture)
        #expect(outcome?.signature?.type == type, sourceLocation: sourceLocation)
        #expect(
            FilesystemProbeTests.exported(outcome) == blkid.filter { FilesystemProbeTests.compared.contains($0.key) },
            sourceLocation: sourceLocation)
    }

    @Test func uberblocksInTheEndLabelsOfAMisalignedVolumeAreFoundAsBlkidFindsThem() throws {
        // 80 MiB + 3 KiB: the end labels move down by size % 256 KiB = 3 KiB, as libblkid computes them.
        let sectors: UInt64 = (80 << 11) + 6
        let size = sectors * 512
        let misalignment = size % (256 << 10)
        let label2 = size - (512 << 10) - misalignment
        let label3 = size - (256 << 10) - misalignment
        let slots = [label2 + (128 << 10), label2 + (129 << 10), label3 + (128 << 10), label3 + (255 << 10)]
        let fixture = try Self.disk(partitionSectors: sectors, magicsAt: slots)
        try Self.expectBothFind("zfs_member", in: fixture, size: size)
    }

    @Test func uberblocksInTheStartLabelsAreFound() throws {
        let slots: [UInt64] = [128 << 10, 130 << 10, (256 + 128) << 10, (256 + 200) << 10]
        let fixture = try Self.disk(partitionSectors: 80 << 11, magicsAt: slots)
        try Self.expectBothFind("zfs_member", in: fixture, size: 80 << 20)
    }

    @Test func magicsOutsideTheSlotsAreNotZFSForEither() throws {
        // The magic 8 bytes into slots, and in the first half of a label: the prober never looks there.
        let slots: [UInt64] = [(128 << 10) + 8, (130 << 10) + 512, 4 << 10, 64 << 10]
        let fixture = try Self.disk(partitionSectors: 80 << 11, magicsAt: slots)
        #expect(try fixture.blkid(offset: 2048 * 512, size: 80 << 20)["TYPE"] == nil)
        #expect(try Self.probe(fixture) == .nothingFound)
        var scan = ZFSUberblockScan(volumeSize: 80 << 20)
        let head = try fixture.bytes(at: 2048 * 512, count: 512 << 10)
        scan.scan(head, at: 0)
        #expect(!scan.mayMatch)
    }

    @Test func theScanSeesSlotsSplitAcrossChunks() {
        // A byte-swapped magic (a big-endian pool) in the last slot of label 1, found from a chunk that starts
        // in the middle of the slot area.
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        let slot: UInt64 = (256 + 255) << 10
        let chunkStart: UInt64 = (256 + 192) << 10
        for (index, byte) in [UInt8]([0, 0, 0, 0, 0, 0xba, 0xb1, 0x0c]).enumerated() {
            chunk[Int(slot - chunkStart) + index] = byte
        }
        var scan = ZFSUberblockScan(volumeSize: 1 << 30)
        scan.scan(chunk, at: chunkStart)
        #expect(scan.mayMatch)
    }
}

/// libblkid's external XFS log prober is left out only when it cannot match: a real external log made by
/// mkfs.xfs is found as blkid finds it, and the log magic off a sector start is nothing for either.
@Suite struct XFSLogPrefilterTests {
    @Test(.enabled(if: ToolCheck.exists("mkfs.xfs")))
    func anExternalLogMadeByMkfsXFSIsFoundAsBlkidFindsIt() throws {
        let dir = try TemporaryDirectory()
        let data = dir.file("data.img")
        let log = dir.file("log.img")
        try ExternalTool.check(["truncate", "-s", "320M", data])
        try ExternalTool.check(["truncate", "-s", "64M", log])
        try ExternalTool.check(["mkfs.xfs", "-q", "-f", "-l", "logdev=\(log),size=64m", data])
        let fixture = try DiskFixture(sizeMiB: 66)
        try fixture.sfdisk("label: dos\nstart=2048, size=64M, type=83\n")
        try fixture.patch(at: 2048 * 512, Array(try Data(contentsOf: URL(fileURLWithPath: log))))
        try ZFSPrefilterTests.expectBothFind("xfs_external_log", in: fixture, size: 64 << 20)
    }

    @Test func theMagicOffASectorStartIsNothingForEither() throws {
        // A whole valid-looking header, but 8 bytes into its sector.
        var header = [UInt8](repeating: 0, count: 512)
        header.replaceSubrange(0..<4, with: XFSLogRecordScan.magic)
        header[11] = 2  // version 2
        header[15] = 1  // length 1
        header[303] = 1  // format: Linux little-endian
        let fixture = try DiskFixture(sizeMiB: 14)
        try fixture.sfdisk("label: dos\nstart=2048, size=12M, type=83\n")
        try fixture.patch(at: 2048 * 512 + 4096 + 8, header)
        #expect(try fixture.blkid(offset: 2048 * 512, size: 12 << 20)["TYPE"] == nil)
        #expect(try ZFSPrefilterTests.probe(fixture) == .nothingFound)
        // The same header on a sector start is a log for both.
        try fixture.patch(at: 2048 * 512 + 4096 + 8, [UInt8](repeating: 0, count: 512))
        try fixture.patch(at: 2048 * 512 + 4096, header)
        #expect(try fixture.blkid(offset: 2048 * 512, size: 12 << 20)["TYPE"] == "xfs_external_log")
        #expect(try ZFSPrefilterTests.probe(fixture)?.signature?.type == "xfs_external_log")
    }

    @Test func theScanLooksOnlyAtSectorStartsOfTheFirst256KiB() {
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        chunk.replaceSubrange(512..<516, with: XFSLogRecordScan.magic)
        var past = XFSLogRecordScan()
        past.scan(chunk, at: 256 << 10)  // the chunk after the scanned bytes
        #expect(!past.mayMatch)
        var inside = XFSLogRecordScan()
        inside.scan(chunk, at: 192 << 10)
        #expect(inside.mayMatch)
    }
}
