import BlockIO
import DiskLayout
import Ext4
import Foundation
import ImagePrep
import Testing
import _TestSupport

/// `ImageResizer` end to end on disks made by mkfs.ext4 -d, sfdisk/sgdisk and qemu-img. Oracles: `qemu-img
/// info`, `sfdisk --json`, `sgdisk -v`, `e2fsck -fn`, and `dumpe2fs` of the grown filesystem against `resize2fs`
/// run on the same filesystem extracted to a file and grown with truncate; sha256 for refusals.
@Suite struct ResizeTests {
    enum Table: String { case mbr, gpt }

    /// A disk of `diskMiB` with one partition from 1 MiB holding an ext filesystem of `fsMiB` made with
    /// `mkfs` options `mkfs`, as `format` (raw, fixed, dynamic). Returns the disk's path and the filesystem
    /// image's path (kept as made, for the reference resize).
    static func makeDisk(
        in dir: TemporaryDirectory, table: Table, format: String, fsMiB: Int, diskMiB: Int, mkfs: [String],
        partitionType: String? = nil
    ) throws -> (disk: String, filesystem: String) {
        let tree = dir.file("tree")
        try Fixtures.writeTree(
            ["/etc/hostname": "resized\n", "/srv/data.txt": String(repeating: "payload ", count: 4000)], under: tree)
        let fs = dir.file("fs.img")
        try Fixtures.makeFilesystem(at: fs, sizeMiB: fsMiB, fsType: "ext4", tree: tree, extraOptions: mkfs)
        let raw = dir.file("disk.raw")
        try ExternalTool.check(["truncate", "-s", "\(diskMiB)M", raw])
        let sectors = fsMiB * 2048
        switch table {
        case .mbr:
            try ExternalTool.check(
                ["sfdisk", "-q", raw],
                stdin: Data("label: dos\nstart=2048, size=\(sectors), type=\(partitionType ?? "83")\n".utf8))
        case .gpt:
            try ExternalTool.check(
                ["sgdisk", "-n", "1:2048:+\(sectors)", "-t", "1:\(partitionType ?? "8300")", raw])
        }
        try ExternalTool.check(["dd", "if=\(fs)", "of=\(raw)", "bs=1M", "seek=1", "conv=notrunc,sparse", "status=none"])
        guard format != "raw" else { return (raw, fs) }
        let vhd = dir.file("disk.vhd")
        try ExternalTool.check([
            "qemu-img", "convert", "-f", "raw", "-O", "vpc", "-o", "subformat=\(format),force_size=on", raw, vhd,
        ])
        try FileManager.default.removeItem(atPath: raw)
        return (vhd, fs)
    }

    /// The disk as a raw file (qemu-img's reading of it).
    static func rawCopy(_ path: String, in dir: TemporaryDirectory) throws -> String {
        guard path.hasSuffix(".vhd") else { return path }
        let raw = dir.file("check-\(UUID().uuidString).raw")
        let format = path.hasSuffix(".vhd") ? "vpc" : "raw"
        try ExternalTool.check(["qemu-img", "convert", "-f", format, "-O", "raw", path, raw])
        return raw
    }

    /// `dumpe2fs` output of `path` with the lines that differ by run alone (times, mount counts) dropped.
    static func dumpe2fs(_ path: String) throws -> [String] {
        let output = try ExternalTool.check(["dumpe2fs", path]).output
        let volatile = [
            "Last write time", "Last mount time", "Last checked", "Filesystem created", "Lifetime writes",
            "Mount count", "Last mounted on", "Checksum:", "Journal checksum",
        ]
        return output.split(separator: "\n").map(String.init).filter { line in
            !volatile.contains { line.hasPrefix($0) }
        }
    }

    static func field(_ lines: [String], _ name: String) -> String? {
        lines.first { $0.hasPrefix(name + ":") }.map {
            String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces)
        }
    }

    /// Resizes with vhdedit, then checks the table and filesystem against the tools'.
    func growAndCompare(
        table: Table, format: String, mkfs: [String], fsMiB: Int = 64, diskMiB: Int = 66, newMiB: UInt64 = 512
    )
        throws
    {
        let dir = try TemporaryDirectory()
        let (disk, fs) = try Self.makeDisk(
            in: dir, table: table, format: format, fsMiB: fsMiB, diskMiB: diskMiB, mkfs: mkfs)
        let newSize = newMiB << 20
        let report = try ImageResizer.resize(
            disk, options: .init(size: newSize, growPartition: .last, growFilesystem: true))
        #expect(report.newSize == newSize)
        let qemuFormat = disk.hasSuffix(".vhd") ? "vpc" : "raw"
        let info = try ExternalTool.check(["qemu-img", "info", "-f", qemuFormat, "--output=json", disk]).output
        #expect(info.contains("\"virtual-size\": \(newSize)"), "\(info)")

        let raw = try Self.rawCopy(disk, in: dir)
        let sectors = newSize / 512
        let expectedEnd = table == .gpt ? sectors - 33 : sectors  // the sector after the partition
        let json = try ExternalTool.check(["sfdisk", "--json", raw]).output
        #expect(json.contains("\"size\": \(expectedEnd - 2048)"), "\(json)")
        if table == .gpt {
            let verify = try ExternalTool.run(["sgdisk", "-v", raw])
            #expect(verify.output.contains("No problems found"), "\(verify.output)")
        }
        #expect(report.partition?.newSectorCount == expectedEnd - 2048)
        // Our own reader finds nothing wrong with the table either (no misplaced or damaged backup).
        let table = try PartitionTable.read(from: try DiskImage.open(path: disk).device)
        #expect(table.warnings.isEmpty, "\(table.warnings)")

        // The partition's filesystem (read in place: e2fsprogs' offset= option) against resize2fs of the same
        // filesystem grown with truncate.
        let grown = "\(raw)?offset=\(2048 * 512)"
        let fsck = try Fixtures.fsck(raw, offset: 2048 * 512)
        #expect(fsck.status == 0, "\(fsck.output)\(fsck.stderr)")
        let reference = dir.file("reference.img")
        try ExternalTool.check(["cp", "--sparse=always", fs, reference])
        try ExternalTool.check(["truncate", "-s", "\((expectedEnd - 2048) * 512)", reference])
        try ExternalTool.check(["resize2fs", "-f", reference], environment: ["E2FSPROGS_FAKE_TIME": "1700000000"])
        let ours = try Self.dumpe2fs(grown)
        let theirs = try Self.dumpe2fs(reference)
        for name in [
            "Block count", "Inode count", "Free blocks", "Free inodes", "Reserved GDT blocks", "Reserved block count",
            "Block size", "Filesystem features",
        ] {
            #expect(Self.field(ours, name) == Self.field(theirs, name), "\(name)")
        }
        #expect(ours.filter { $0.hasPrefix("Group ") }.count == theirs.filter { $0.hasPrefix("Group ") }.count)
        // Group by group: the same placement of bitmaps and tables, the same free counts and flags.
        let ourGroups = Array(ours.drop { !$0.hasPrefix("Group 0:") })
        let theirGroups = Array(theirs.drop { !$0.hasPrefix("Group 0:") })
        #expect(
            ourGroups == theirGroups,
            "\(zip(ourGroups, theirGroups).first { $0 != $1 }.map { "\($0)\n\($1)" } ?? "lengths")")
        #expect(report.filesystem?.newBlocks == UInt64(Self.field(theirs, "Block count") ?? ""))
        // The files are still there.
        #expect(try Fixtures.debugfs(grown, "cat /etc/hostname") == "resized\n")
    }

    @Test func gptDynamicExt4With4KiBBlocks() throws {
        try growAndCompare(table: .gpt, format: "dynamic", mkfs: ["-b", "4096"])
    }

    @Test func mbrFixedExt4With1KiBBlocks() throws {
        try growAndCompare(table: .mbr, format: "fixed", mkfs: ["-b", "1024"])
    }

    @Test func mbrRawExt3WithoutFlexBgOrChecksums() throws {
        try growAndCompare(table: .mbr, format: "raw", mkfs: ["-t", "ext3", "-b", "1024"])
    }

    @Test func gptFixedExt4Without64bitOrMetadataCsum() throws {
        try growAndCompare(table: .gpt, format: "fixed", mkfs: ["-b", "4096", "-O", "^64bit,^metadata_csum,uninit_bg"])
    }

    /// The Azure case at scale: a 1 GiB fixed VHD to a 30 GiB one, partition and filesystem, still sparse.
    @Test func oneGiBFixedToThirtyGiB() throws {
        let dir = try TemporaryDirectory()
        let (disk, fs) = try Self.makeDisk(
            in: dir, table: .gpt, format: "fixed", fsMiB: 1000, diskMiB: 1024, mkfs: ["-b", "4096"])
        let before = try ExternalTool.check(["stat", "-c", "%b", disk]).output
        let report = try ImageResizer.resize(
            disk, options: .init(size: 30 << 30, roundToMiB: true, growPartition: .last, growFilesystem: true))
        #expect(report.filesystem?.newGroups == 240)
        let after = try ExternalTool.check(["stat", "-c", "%b", disk]).output
        let blocksBefore = UInt64(before.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        let blocksAfter = UInt64(after.trimmingCharacters(in: .whitespacesAndNewlines)) ?? .max
        let growth: UInt64 = (blocksAfter - min(blocksAfter, blocksBefore)) * 512
        #expect(growth < 64 << 20, "the file grew by \(growth) bytes")
        let info = try ExternalTool.check(["qemu-img", "info", "-f", "vpc", "--output=json", disk]).output
        #expect(info.contains("\"virtual-size\": \(30 << 30)"))
        let fsck = try ExternalTool.run(["e2fsck", "-fn", "\(disk)?offset=\(1 << 20)"])
        #expect(fsck.status == 0, "\(fsck.output)")
        // Group by group as resize2fs grows the same filesystem (8 groups to 240: the new members of the old,
        // partial flex group are placed past everything in use in it, the longest search).
        let reference = dir.file("reference.img")
        try ExternalTool.check(["cp", "--sparse=always", fs, reference])
        try ExternalTool.check(["truncate", "-s", "\((report.partition?.newSectorCount ?? 0) * 512)", reference])
        try ExternalTool.check(["resize2fs", "-f", reference], environment: ["E2FSPROGS_FAKE_TIME": "1700000000"])
        let ours = try Self.dumpe2fs("\(disk)?offset=\(1 << 20)").drop { !$0.hasPrefix("Group 0:") }
        let theirs = try Self.dumpe2fs(reference).drop { !$0.hasPrefix("Group 0:") }
        #expect(ours.count == theirs.count && ours.count > 240 * 4)
        #expect(
            Array(ours) == Array(theirs), "\(zip(ours, theirs).first { $0 != $1 }.map { "\($0)\n\($1)" } ?? "lengths")")
    }

    @Test func refusalsLeaveTheImageUnchanged() throws {
        let dir = try TemporaryDirectory()
        // No reserved descriptor blocks: growth that needs a second one is refused before anything is written.
        let (disk, _) = try Self.makeDisk(
            in: dir, table: .gpt, format: "dynamic", fsMiB: 64, diskMiB: 66,
            mkfs: ["-b", "1024", "-O", "^resize_inode"])
        let digest = try FileDigest.sha256(disk)
        #expect {
            try ImageResizer.resize(disk, options: .init(size: 1 << 30, growPartition: .last, growFilesystem: true))
        } throws: { error in
            (error as? Ext4Error)?.code == .unsupportedFeature && "\(error)".contains("reserved")
        }
        #expect(try FileDigest.sha256(disk) == digest)
        // A shrink that cuts the partition.
        #expect(throws: DiskLayoutError.self) { try ImageResizer.resize(disk, options: .init(size: 32 << 20)) }
        // Partition 2 does not exist; --grow-filesystem without --grow-partition.
        #expect(throws: DiskLayoutError.self) {
            try ImageResizer.resize(disk, options: .init(size: 1 << 30, growPartition: .number(2)))
        }
        #expect(throws: ImagePrepError.self) {
            try ImageResizer.resize(disk, options: .init(size: 1 << 30, growFilesystem: true))
        }
        #expect(try FileDigest.sha256(disk) == digest)
        // A shrink that keeps every partition, then the table is checked.
        try ImageResizer.resize(disk, options: .init(size: 65 << 20 + 512 * 33))
        let raw = try Self.rawCopy(disk, in: dir)
        #expect(try ExternalTool.run(["sgdisk", "-v", raw]).output.contains("No problems found"))
    }

    /// The shrink rules at their edge and the warnings: a shrink to exactly the last partition's end (GPT:
    /// plus the 33 sectors of the backup table) is allowed, one sector less cuts the partition and is refused,
    /// a shrink with --grow-partition is refused, all before a byte is written; a disk past 1023 GiB is
    /// warned about (Azure's Marketplace OS disk limit) and a VHD that is not a whole number of MiB too.
    @Test func shrinkEdgeAndAzureWarnings() throws {
        let dir = try TemporaryDirectory()
        let (disk, _) = try Self.makeDisk(in: dir, table: .gpt, format: "fixed", fsMiB: 64, diskMiB: 66, mkfs: [])
        let digest = try FileDigest.sha256(disk)
        let fits: UInt64 = (2048 + 64 * 2048 + 33) * 512
        #expect {
            try ImageResizer.resize(disk, options: .init(size: fits - 512))
        } throws: { error in
            (error as? DiskLayoutError)?.code == .partitionOutOfBounds && "\(error)".contains("shrinking would cut")
        }
        #expect {
            try ImageResizer.resize(disk, options: .init(size: fits, growPartition: .last))
        } throws: { error in
            (error as? ImagePrepError)?.code == .invalidArgument && "\(error)".contains("shrinks")
        }
        #expect(try FileDigest.sha256(disk) == digest)
        let shrunk = try ImageResizer.resize(disk, options: .init(size: fits))
        #expect(shrunk.newSize == fits)
        #expect(shrunk.warnings.contains { $0.contains("whole MiB") }, "\(shrunk.warnings)")
        #expect(try Self.virtualSize(disk) == fits)
        #expect(
            try ExternalTool.run(["sgdisk", "-v", try Self.rawCopy(disk, in: dir)]).output.contains("No problems found")
        )

        // Past Azure's Marketplace OS disk limit (1023 GiB): done, and warned about. The disk stays sparse.
        let big = try ImageResizer.resize(disk, options: .init(size: 1024 << 30))
        #expect(big.warnings.contains { $0.contains("1023 GiB") }, "\(big.warnings)")
        #expect(!big.warnings.contains { $0.contains("whole MiB") })
        #expect(try Self.virtualSize(disk) == 1024 << 30)
        let allocated =
            UInt64(
                try ExternalTool.check(["stat", "-c", "%b", disk]).output.trimmingCharacters(
                    in: .whitespacesAndNewlines)) ?? .max
        #expect(allocated * 512 < 64 << 20, "\(allocated) sectors allocated")
        let atLimit = try ImageResizer.resize(disk, options: .init(size: 1023 << 30))
        #expect(atLimit.warnings.isEmpty, "\(atLimit.warnings)")
        #expect(try Self.virtualSize(disk) == 1023 << 30)
    }

    /// The virtual size `qemu-img info` reads.
    static func virtualSize(_ path: String) throws -> UInt64? {
        let format = path.hasSuffix(".vhd") ? "vpc" : "raw"
        let json = try ExternalTool.check(["qemu-img", "info", "-f", format, "--output=json", path]).stdout
        let object = try JSONSerialization.jsonObject(with: json) as? [String: Any]
        return (object?["virtual-size"] as? NSNumber)?.uint64Value
    }

    @Test func lvmPhysicalVolumeGrowsThePartitionOnly() throws {
        let dir = try TemporaryDirectory()
        let (disk, _) = try Self.makeDisk(
            in: dir, table: .mbr, format: "raw", fsMiB: 64, diskMiB: 66, mkfs: [], partitionType: "8e")
        let digest = try FileDigest.sha256(disk)
        // An MBR entry cannot reach past 2 TiB: refused before anything is written.
        #expect {
            try ImageResizer.resize(disk, options: .init(size: 3 << 40, growPartition: .last))
        } throws: { error in
            (error as? DiskLayoutError)?.code == .unsupported && "\(error)".contains("2 TiB")
        }
        #expect {
            try ImageResizer.resize(disk, options: .init(size: 256 << 20, growPartition: .last, growFilesystem: true))
        } throws: { error in
            "\(error)".contains("LVM physical volume")
        }
        #expect(try FileDigest.sha256(disk) == digest)
        let report = try ImageResizer.resize(disk, options: .init(size: 256 << 20, growPartition: .last))
        #expect(report.warnings.contains { $0.contains("PV and its logical volumes stay as they are") })
        let json = try ExternalTool.check(["sfdisk", "--json", disk]).output
        #expect(json.contains("\"size\": \((256 << 11) - 2048)"))
    }

    @Test func growFilesystemOfANonExtPartitionIsRefused() throws {
        let dir = try TemporaryDirectory()
        let disk = dir.file("disk.raw")
        try ExternalTool.check(["truncate", "-s", "34M", disk])
        try ExternalTool.check(
            ["sfdisk", "-q", disk], stdin: Data("label: dos\nstart=2048, size=65536, type=82\n".utf8))
        let swap = dir.file("swap.img")
        try ExternalTool.check(["truncate", "-s", "32M", swap])
        try ExternalTool.check(["mkswap", "-q", swap])
        try ExternalTool.check([
            "dd", "if=\(swap)", "of=\(disk)", "bs=1M", "seek=1", "conv=notrunc,sparse", "status=none",
        ])
        let digest = try FileDigest.sha256(disk)
        #expect {
            try ImageResizer.resize(disk, options: .init(size: 128 << 20, growPartition: .last, growFilesystem: true))
        } throws: { error in
            (error as? ImagePrepError)?.code == .filesystem && "\(error)".contains("ext2/3/4")
        }
        #expect(try FileDigest.sha256(disk) == digest)
    }
}
