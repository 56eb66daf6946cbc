import Foundation
import Testing
import _TestSupport

/// `vhdedit partitions` end to end: the binary's JSON compared with sfdisk --json and blkid -p.
@Suite struct PartitionsCommandTests {
    static func makeDisk() throws -> (TemporaryDirectory, String) {
        let dir = try TemporaryDirectory()
        let path = dir.file("disk.raw")
        try ExternalTool.check(["truncate", "-s", "48M", path])
        try ExternalTool.check(
            ["sfdisk", "-q", path],
            stdin: Data(
                "label: dos\nstart=2048, size=16M, type=83, bootable\nsize=8M, type=82\ntype=5\nsize=16M, type=83\n"
                    .utf8))
        try ExternalTool.check(["mkfs.ext4", "-q", "-F", "-L", "cliroot", "-E", "offset=\(2048 * 512)", path, "16M"])
        return (dir, path)
    }

    @Test func jsonMatchesSfdiskAndBlkid() throws {
        let (dir, path) = try Self.makeDisk()
        let result = try CLI.run(["partitions", path, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONSerialization.jsonObject(with: result.stdout) as! [String: Any]
        let sfdisk =
            (try JSONSerialization.jsonObject(with: ExternalTool.check(["sfdisk", "--json", path]).stdout)
            as! [String: Any])["partitiontable"] as! [String: Any]
        #expect(report["table"] as? String == "mbr")
        #expect(report["diskSignature"] as? String == sfdisk["id"] as? String)
        let ours = report["partitions"] as! [[String: Any]]
        let theirs = sfdisk["partitions"] as! [[String: Any]]
        #expect(ours.count == theirs.count)
        for (mine, reference) in zip(ours, theirs) {
            #expect("\(path)\(mine["number"] as! Int)" == reference["node"] as? String)
            #expect(mine["start"] as? Int == reference["start"] as? Int)
            #expect(mine["sectors"] as? Int == reference["size"] as? Int)
            #expect(mine["typeCode"] as? String == reference["type"] as? String)
            #expect(mine["bootable"] as? Bool == (reference["bootable"] as? Bool ?? false))
        }
        let first = ours[0]["filesystem"] as! [String: Any]
        let blkid = try ExternalTool.check([
            "blkid", "-p", "-o", "export", "-O", String(2048 * 512), "-S", String(16 << 20), path,
        ]).output
        #expect(blkid.contains("UUID=\(first["uuid"] as! String)\n"))
        #expect(first["label"] as? String == "cliroot")
        #expect((report["root"] as? [String: Any])?["partition"] as? Int == 1)
        withExtendedLifetime(dir) {}
    }

    @Test func textNamesTheRootAndPartitionChecksTheChoice() throws {
        let (dir, path) = try Self.makeDisk()
        let text = try CLI.run(["partitions", path])
        #expect(text.status == 0)
        #expect(text.output.contains("Linux root: partition 1 (the only ext4 candidate)"))
        #expect(text.output.contains("LABEL=\"cliroot\""))
        let chosen = try CLI.run(["partitions", path, "--partition", "5"])
        #expect(chosen.output.contains("Linux root: partition 5 (chosen with --partition 5)"))
        let missing = try CLI.run(["partitions", path, "--partition", "9"])
        #expect(missing.output.contains("there is no partition 9"))
        let zero = try CLI.run(["partitions", path, "--partition", "0"])
        #expect(zero.status != 0)
        #expect(zero.stderr.contains("--partition counts from 1"))
        withExtendedLifetime(dir) {}
    }

    @Test func damagedPrimaryGPTIsReportedAsAWarning() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("gpt.raw")
        try ExternalTool.check(["truncate", "-s", "32M", path])
        try ExternalTool.check(["sgdisk", "-n", "1:0:+8M", "-t", "1:8300", "-c", "1:data", path])
        try ExternalTool.check([
            "dd", "if=/dev/zero", "of=\(path)", "bs=512", "seek=1", "count=1", "conv=notrunc", "status=none",
        ])
        let result = try CLI.run(["partitions", path, "--json"])
        #expect(result.status == 0)
        let report = try JSONSerialization.jsonObject(with: result.stdout) as! [String: Any]
        #expect(report["gptHeader"] as? String == "backup")
        let warnings = report["warnings"] as! [[String: Any]]
        #expect(warnings.map { $0["code"] as? String } == ["primaryGPTDamaged"])
        let partitions = report["partitions"] as! [[String: Any]]
        #expect(partitions.map { $0["name"] as? String } == ["data"])
        let text = try CLI.run(["partitions", path])
        #expect(text.output.contains("warning: the primary GPT is unusable"))
        #expect(text.output.contains("backup header"))
    }

    @Test func unreadableTablesExitNonZeroWithTheReason() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("4k.raw")
        try ExternalTool.check(["truncate", "-s", "32M", path])
        _ = try ExternalTool.run(["fdisk", "-b", "4096", path], stdin: Data("g\nn\n\n\n+8M\nw\n".utf8))
        let result = try CLI.run(["partitions", path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("4096-byte logical sectors"))
    }
}

@Suite struct PartitionsOnVHDTests {
    @Test func dynamicVHDReportEqualsTheRawReport() throws {
        let (dir, path) = try PartitionsCommandTests.makeDisk()
        let vhd = dir.file("disk.vhd")
        try ExternalTool.check([
            "qemu-img", "convert", "-f", "raw", "-O", "vpc", "-o", "subformat=dynamic,force_size=on", path, vhd,
        ])
        let raw = try CLI.run(["partitions", path, "--json"])
        let dynamic = try CLI.run(["partitions", vhd, "--json"])
        #expect(dynamic.status == 0, "\(dynamic.stderr)")
        #expect(dynamic.output == raw.output)
    }
}
