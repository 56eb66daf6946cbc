import Foundation
import Testing
import _TestSupport

/// `vhdedit resize` and `vhdedit convert --size`: exit codes, output, and the result read by qemu-img,
/// sfdisk, sgdisk and e2fsck.
@Suite struct ResizeCommandTests {
    /// A raw GPT disk of 66 MiB with a 64 MiB ext4 partition from 1 MiB.
    static func makeDisk(in dir: TemporaryDirectory) throws -> String {
        let fs = dir.file("fs.img")
        try Fixtures.makeFilesystem(at: fs, sizeMiB: 64)
        let disk = dir.file("disk.raw")
        try ExternalTool.check(["truncate", "-s", "66M", disk])
        try ExternalTool.check(["sgdisk", "-n", "1:2048:+131072", "-t", "1:8300", disk])
        try ExternalTool.check([
            "dd", "if=\(fs)", "of=\(disk)", "bs=1M", "seek=1", "conv=notrunc,sparse", "status=none",
        ])
        return disk
    }

    @Test func resizeGrowsDiskPartitionAndFilesystem() throws {
        let dir = try TemporaryDirectory()
        let disk = try Self.makeDisk(in: dir)
        let digest = try FileDigest.sha256(disk)
        let dry = try CLI.run(["resize", disk, "--size", "256M", "--grow-partition", "--grow-filesystem", "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.output.contains("filesystem: 65536 -> "), "\(dry.output)")
        #expect(dry.stderr.contains("dry run"))
        #expect(try FileDigest.sha256(disk) == digest)
        let result = try CLI.run(["resize", disk, "--size", "256M", "--grow-partition", "--grow-filesystem"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.output.contains("partition 1: sectors 2048+131072 -> 2048+"), "\(result.output)")
        #expect(result.output.contains("filesystem: 65536 -> "), "\(result.output)")
        #expect(try VHDFixtureSize.virtualSize(disk, format: "raw") == 256 << 20)
        #expect(try ExternalTool.run(["sgdisk", "-v", disk]).output.contains("No problems found"))
        #expect(try ExternalTool.run(["e2fsck", "-fn", "\(disk)?offset=\(1 << 20)"]).status == 0)
        // --json: the report as JSON (the filesystem already fills its partition now).
        let json = try CLI.run([
            "resize", disk, "--size", "256M", "--grow-partition", "1", "--grow-filesystem", "--json",
        ])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any]
        #expect((object?["newSize"] as? NSNumber)?.uint64Value == 256 << 20)
        #expect((object?["partitionTable"] as? String) == "gpt")
        #expect((object?["notes"] as? [String])?.contains { $0.contains("already") } == true, "\(json.output)")

        // A differencing child is refused with its reason and exit status 1.
        let parent = dir.file("parent.vhd")
        try ExternalTool.check(["qemu-img", "create", "-q", "-f", "vpc", parent, "64M"])
        let child = dir.file("child.vhd")
        #expect(try CLI.run(["create", child, "--parent", parent]).status == 0)
        let refused = try CLI.run(["resize", child, "--size", "1G"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("differencing"), "\(refused.stderr)")
    }

    /// A simple `resize` line runs without ArgumentParser (DirectDispatch: ResizeCommand.DirectLine); the same
    /// line spelled so that ArgumentParser parses it (`--` before the image) gives the same bytes, output and
    /// status, for a grow and for a refusal. Lines the direct reader leaves alone still get ArgumentParser's
    /// answers (a bad size: usage error 64).
    @Test func directResizeMatchesTheParsedCommand() throws {
        let dir = try TemporaryDirectory()
        let disk = try Self.makeDisk(in: dir)
        let copy = dir.file("copy.raw")
        try ExternalTool.check(["cp", "--sparse=always", disk, copy])
        let environment = ["SOURCE_DATE_EPOCH": "1700000000"]
        for flags in [["--size", "256M", "--grow-partition", "--grow-filesystem"], ["--size", "32M", "--json"]] {
            let direct = try ExternalTool.run([CLI.binary, "resize", disk] + flags, environment: environment)
            let parsed = try ExternalTool.run([CLI.binary, "resize"] + flags + ["--", copy], environment: environment)
            #expect(direct.status == parsed.status, "\(flags): \(direct.stderr) / \(parsed.stderr)")
            #expect(direct.output.replacingOccurrences(of: disk, with: copy) == parsed.output, "\(flags)")
            #expect(direct.stderr.replacingOccurrences(of: disk, with: copy) == parsed.stderr, "\(flags)")
            #expect(try FileDigest.sha256(disk) == FileDigest.sha256(copy), "\(flags)")
        }
        #expect(try VHDFixtureSize.virtualSize(disk, format: "raw") == 256 << 20)
        let badSize = try CLI.run(["resize", disk, "--size", "12X"])
        #expect(badSize.status == 64, "\(badSize.stderr)")
        #expect(badSize.stderr.contains("--size"), "\(badSize.stderr)")
    }

    @Test func convertWithSizeMakesAGrownFixedVHD() throws {
        let dir = try TemporaryDirectory()
        let disk = try Self.makeDisk(in: dir)
        let out = dir.file("azure.vhd")
        let result = try CLI.run([
            "convert", disk, out, "--to", "fixed", "--size", "300000000", "--round-to-mib", "--grow-partition", "1",
            "--grow-filesystem",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        // 300000000 bytes rounded up to a whole MiB.
        #expect(try VHDFixtureSize.virtualSize(out, format: "vpc") == 287 << 20)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(!files.contains { $0.contains("vhdedit-") }, "\(files)")
        let raw = dir.file("check.raw")
        try ExternalTool.check(["qemu-img", "convert", "-f", "vpc", "-O", "raw", out, raw])
        #expect(try ExternalTool.run(["sgdisk", "-v", raw]).output.contains("No problems found"))
        #expect(try ExternalTool.run(["e2fsck", "-fn", "\(raw)?offset=\(1 << 20)"]).status == 0)
        // --grow-filesystem without --size is a usage error.
        #expect(try CLI.run(["convert", disk, dir.file("x.vhd"), "--to", "fixed", "--grow-filesystem"]).status != 0)
    }
}

/// `qemu-img info` sizes.
enum VHDFixtureSize {
    static func virtualSize(_ path: String, format: String) throws -> UInt64 {
        let json = try ExternalTool.check(["qemu-img", "info", "-f", format, "--output=json", path]).stdout
        let object = try JSONSerialization.jsonObject(with: json) as? [String: Any]
        return (object?["virtual-size"] as? NSNumber)?.uint64Value ?? 0
    }
}
