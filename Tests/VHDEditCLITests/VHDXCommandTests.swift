import Foundation
import Testing
import _TestSupport

/// The read commands on a VHDX made by `qemu-img convert -O vhdx` from a partitioned ext4 disk: answers
/// checked against the raw disk (debugfs-made tree, qemu-img compare); writing commands refused, file unchanged.
@Suite struct VHDXCommandTests {
    @Test func readCommandsWorkAndWritesAreRefused() throws {
        let directory = try TemporaryDirectory(prefix: "cli-vhdx")
        let raw = directory.file("disk.raw")
        try ExternalTool.check(["truncate", "-s", "24M", raw])
        try ExternalTool.check(["sfdisk", "-q", raw], stdin: Data("start=2048, type=83\n".utf8))
        let tree = directory.file("tree")
        try Fixtures.writeTree(
            ["/etc/hostname": "vhdx-guest\n", "/etc/ssh/sshd_config": "PermitRootLogin no\n"], under: tree)
        try ExternalTool.check(
            ["mkfs.ext4", "-q", "-F", "-E", "offset=\(1 << 20)", "-d", tree, raw, "22M"],
            environment: ["E2FSPROGS_FAKE_TIME": "1700000000"])
        let image = directory.file("disk.vhdx")
        try ExternalTool.check(["qemu-img", "convert", "-O", "vhdx", "-o", "block_size=1M", raw, image])
        let digest = try FileDigest.sha256(image)
        func vhdedit(_ arguments: [String]) throws -> ExternalTool.Result {
            try ExternalTool.run([CLI.binary] + arguments)
        }

        let info = try vhdedit(["info", image, "--json"])
        #expect(info.status == 0, "\(info.stderr)")
        let object = try JSONSerialization.jsonObject(with: info.stdout) as? [String: Any]
        let facts = object  // the image facts sit at the top level, beside "layout"
        #expect(facts?["format"] as? String == "vhdx")
        #expect((facts?["virtualSize"] as? NSNumber)?.uint64Value == 24 << 20)
        let vhdx = facts?["vhdx"] as? [String: Any]
        #expect((vhdx?["blockSize"] as? NSNumber)?.intValue == 1 << 20)
        #expect((vhdx?["logicalSectorSize"] as? NSNumber)?.intValue == 512)
        let text = try vhdedit(["info", image]).output
        #expect(text.contains("vhdx") && text.contains("logical sector size"), "\(text)")

        let partitions = try vhdedit(["partitions", image])
        #expect(
            partitions.status == 0 && partitions.output.contains("ext4"), "\(partitions.output)\(partitions.stderr)")
        let cat = try vhdedit(["cat", image, "/etc/hostname"])
        #expect(cat.status == 0 && cat.output == "vhdx-guest\n", "\(cat.stderr)")
        let ls = try vhdedit(["ls", image, "/etc"])
        #expect(ls.output.contains("ssh"), "\(ls.output)\(ls.stderr)")
        let inspect = try vhdedit(["inspect", image])
        #expect(inspect.status == 0, "\(inspect.stderr)")

        let local = directory.file("local.conf")
        try Data("x\n".utf8).write(to: URL(fileURLWithPath: local))
        for arguments in [["put", image, local, "/etc/x.conf"], ["rm", image, "/etc/hostname"]] {
            let refused = try vhdedit(arguments)
            #expect(refused.status != 0, "\(arguments)")
            #expect(refused.stderr.contains("vhdedit convert"), "\(arguments): \(refused.stderr)")
        }
        #expect(try FileDigest.sha256(image) == digest, "read and refused commands never write the image")

        let output = directory.file("azure.vhd")
        let convert = try vhdedit(["convert", image, output, "--to", "fixed", "--round-to-mib"])
        #expect(convert.status == 0, "\(convert.stderr)")
        let compare = try ExternalTool.run(["qemu-img", "compare", "-f", "vhdx", "-F", "vpc", image, output])
        #expect(compare.status == 0, "\(compare.output)\(compare.stderr)")
        let againstRaw = try ExternalTool.run(["qemu-img", "compare", "-f", "raw", "-F", "vpc", raw, output])
        #expect(againstRaw.status == 0, "\(againstRaw.output)")
    }
}
