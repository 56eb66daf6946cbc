import Foundation
import Testing
import _TestSupport

/// qcow2 through the CLI: every read command on a partitioned ext4 qcow2 (checked against debugfs on qemu's
/// raw conversion), `convert --to fixed --round-to-mib` checked by `qemu-img compare`, writing commands refused
/// with the file unchanged, and crafted hostile headers and tables refused with the field and offset named.
@Suite struct Qcow2CommandTests {
    typealias Patch = HostileImageTests.Patch

    /// A qemu-img qcow2 of 16 MiB (64 KiB clusters) with 4 KiB written by qemu-io: L1 entry 0 and its L2 table.
    func smallQcow2(_ dir: TemporaryDirectory, name: String = "disk.qcow2", options: [String] = []) throws -> String {
        let path = dir.file(name)
        try ExternalTool.check(["qemu-img", "create", "-q", "-f", "qcow2"] + options + [path, "16M"])
        try ExternalTool.check([
            "qemu-io", "-f", "qcow2", "-c", "write -P 0x11 0 4096", "-c", "write -P 0x22 1M 64k", path,
        ])
        return path
    }

    static func put64BE(_ value: UInt64, at offset: Int, in bytes: inout [UInt8]) {
        for index in 0..<8 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (56 - 8 * index)) }
    }

    /// A partitioned disk with an ext4 root holding /etc/os-release, as a qcow2 made by `qemu-img convert`.
    func guestQcow2(_ dir: TemporaryDirectory) throws -> (qcow2: String, raw: String) {
        let raw = dir.file("guest.raw")
        let root = dir.file("root")
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        try Data("NAME=\"Test Linux\"\nID=testlinux\n".utf8).write(to: URL(fileURLWithPath: root + "/etc/os-release"))
        try ExternalTool.check(["truncate", "-s", "40M", raw])
        try ExternalTool.check(["sfdisk", "-q", raw], stdin: Data("label: dos\nstart=2048,type=83\n".utf8))
        let part = dir.file("part.img")
        try ExternalTool.check(["truncate", "-s", "\(40 * 1024 * 1024 - 2048 * 512)", part])
        try ExternalTool.check(["mkfs.ext4", "-q", "-F", "-d", root, part])
        try ExternalTool.check([
            "dd", "if=\(part)", "of=\(raw)", "bs=512", "seek=2048", "conv=notrunc,sparse", "status=none",
        ])
        let qcow2 = dir.file("guest.qcow2")
        try ExternalTool.check(["qemu-img", "convert", "-c", "-O", "qcow2", "-o", "compression_type=zstd", raw, qcow2])
        try FileManager.default.removeItem(atPath: root)
        try FileManager.default.removeItem(atPath: part)
        return (qcow2, raw)
    }

    @Test func readCommandsWorkAndConvertMakesAnAzureVHD() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-qcow2-cli")
        let (qcow2, _) = try guestQcow2(dir)
        let before = try FileDigest.sha256(qcow2)
        let info = try CLI.run(["info", qcow2])
        #expect(info.status == 0, "\(info.stderr)")
        #expect(info.output.contains("qcow2"), "\(info.output)")
        #expect(info.output.contains("cluster size"), "\(info.output)")
        #expect(info.output.contains("zstd"), "\(info.output)")
        #expect(info.output.contains("ext4"), "\(info.output)")
        let cat = try CLI.run(["cat", qcow2, "/etc/os-release"])
        #expect(cat.status == 0 && cat.output == "NAME=\"Test Linux\"\nID=testlinux\n", "\(cat.stderr)")
        let ls = try CLI.run(["ls", qcow2, "/etc"])
        #expect(ls.status == 0 && ls.output.contains("os-release"), "\(ls.stderr)")
        let stat = try CLI.run(["stat", qcow2, "/etc/os-release", "--json"])
        #expect(stat.status == 0, "\(stat.stderr)")
        let partitions = try CLI.run(["partitions", qcow2])
        #expect(partitions.status == 0 && partitions.output.contains("ext4"), "\(partitions.stderr)")
        let local = dir.file("os-release.copy")
        #expect(try CLI.run(["get", qcow2, "/etc/os-release", local]).status == 0)
        #expect(try String(contentsOfFile: local, encoding: .utf8) == "NAME=\"Test Linux\"\nID=testlinux\n")
        let inspect = try CLI.run(["inspect", qcow2])
        #expect(
            inspect.status == 0 && inspect.output.contains("Test Linux")
                && inspect.output.contains("disk              qcow2"),
            "\(inspect.output) \(inspect.stderr)")
        // check: runs, fails vhd.fixed naming the format.
        let check = try CLI.run(["check", qcow2, "--json"])
        #expect(check.status == 1)
        #expect(check.output.contains("vhd.fixed") && check.output.contains("format qcow2"), "\(check.output)")
        #expect(try FileDigest.sha256(qcow2) == before, "a read command changed the image")

        let vhd = dir.file("azure.vhd")
        let convert = try CLI.run(["convert", qcow2, vhd, "--to", "fixed", "--round-to-mib"])
        #expect(convert.status == 0, "\(convert.stderr)")
        try ExternalTool.check(["qemu-img", "compare", "-q", "-f", "qcow2", "-F", "vpc", qcow2, vhd])
        let vhdInfo = try CLI.run(["info", vhd])
        #expect(vhdInfo.output.contains("vhd-fixed"))
        let vhdCat = try CLI.run(["cat", vhd, "/etc/os-release"])
        #expect(vhdCat.output == cat.output)
        for to in ["dynamic", "raw"] {
            let out = dir.file("out-\(to)")
            let result = try CLI.run(["convert", qcow2, out, "--to", to])
            #expect(result.status == 0, "\(to): \(result.stderr)")
            try ExternalTool.check([
                "qemu-img", "compare", "-q", "-f", "qcow2", "-F", to == "raw" ? "raw" : "vpc", qcow2, out,
            ])
        }
    }

    @Test func writingCommandsAreRefusedAndTheFileIsUntouched() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-qcow2-cli")
        let (qcow2, _) = try guestQcow2(dir)
        let hostile = HostileImageTests()
        let local = dir.file("local.txt")
        try Data("x\n".utf8).write(to: URL(fileURLWithPath: local))
        for command in [
            ["put", qcow2, local, "/etc/x"], ["rm", qcow2, "/etc/os-release"], ["mkdir", qcow2, "/new"],
            ["generalize", qcow2], ["azure-prepare", qcow2], ["chmod", qcow2, "600", "/etc/os-release"],
        ] {
            let result = try hostile.expectRefusal(
                command, in: dir, mentions: ["vhdedit convert"], "\(command[0]) on qcow2")
            #expect(result.status == 1)
        }
        // A qcow2 is not a VHD parent: said with its format.
        let child = try CLI.run(["create", dir.file("child.vhd"), "--parent", qcow2])
        #expect(child.status == 1 && child.stderr.contains("must be a VHD (this is a qcow2 image)"), "\(child.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("child.vhd")))
    }

    enum Lie: String, CaseIterable {
        case clusterBits31, hugeL1Size, l1EntryPastTheEnd, l1EntryIntoTheHeader, l1EntryIntoTheL1Table
        case l2EntryPastTheEnd, l2EntryIntoTheL1Table, l2EntryUnaligned, backingFileNameTooLong
    }

    @Test(arguments: Lie.allCases)
    func hostileHeadersAndTablesAreRefusedNamingFieldAndOffset(lie: Lie) throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-qcow2-hostile")
        let path = try smallQcow2(dir)
        var bytes = try Patch.read(path)
        let l1 = Int(Patch.get64BE(bytes, at: 40))
        let l2 = Int(Patch.get64BE(bytes, at: l1) & 0x00FF_FFFF_FFFF_FE00)
        let words: [String]
        switch lie {
        case .clusterBits31:
            Patch.put32BE(31, at: 20, in: &bytes)
            words = ["cluster_bits", "offset 20"]
        case .hugeL1Size:
            Patch.put32BE(0x7FFF_FFFF, at: 36, in: &bytes)
            words = ["l1_size", "offset 36"]
        case .l1EntryPastTheEnd:
            Self.put64BE(1 << 40, at: l1, in: &bytes)
            words = ["L1 table", "entry 0", "offset \(l1)"]
        case .l1EntryIntoTheHeader:
            Self.put64BE(0x8000_0000_0000_0200, at: l1, in: &bytes)  // unaligned, inside cluster 0
            words = ["L1 table", "entry 0", "offset \(l1)"]
        case .l1EntryIntoTheL1Table:
            Self.put64BE(0x8000_0000_0000_0000 | UInt64(l1), at: l1, in: &bytes)
            words = ["L1 table", "overlaps", "offset \(l1)"]
        case .l2EntryPastTheEnd:
            Self.put64BE(0x8000_0000_0000_0000 | 1 << 40, at: l2, in: &bytes)
            words = ["L2 table", "entry 0", "offset \(l2)"]
        case .l2EntryIntoTheL1Table:
            Self.put64BE(0x8000_0000_0000_0000 | UInt64(l1), at: l2, in: &bytes)
            words = ["L2 table", "overlaps", "offset \(l2)"]
        case .l2EntryUnaligned:
            Self.put64BE(0x8000_0000_0000_0000 | UInt64(l2 + 512), at: l2, in: &bytes)
            words = ["L2 table", "aligned", "offset \(l2)"]
        case .backingFileNameTooLong:
            Self.put64BE(512, at: 8, in: &bytes)
            Patch.put32BE(4000, at: 16, in: &bytes)
            words = ["backing_file", "offset 16"]
        }
        try Patch.write(bytes, to: path)
        let hostile = HostileImageTests()
        for command in [["convert", path, dir.file("out.vhd"), "--to", "fixed"], ["cat", path, "/x"]] {
            let result = try hostile.expectRefusal(command, in: dir, mentions: [words[0]], "\(lie) \(command[0])")
            for word in words.dropFirst() {
                #expect(result.stderr.contains(word), "\(lie) \(command[0]): no \(word) in \(result.stderr)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("out.vhd")))
    }

    @Test func backingLoopsAreCaught() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-qcow2-hostile")
        let a = try smallQcow2(dir, name: "a.qcow2")
        let b = dir.file("b.qcow2")
        try ExternalTool.check(["qemu-img", "create", "-q", "-f", "qcow2", "-b", "a.qcow2", "-F", "qcow2", b])
        try ExternalTool.check(["qemu-img", "rebase", "-u", "-b", "b.qcow2", "-F", "qcow2", a])  // a → b → a
        let hostile = HostileImageTests()
        try hostile.expectRefusal(["info", a], in: dir, mentions: ["loops"], "a → b → a")
        try hostile.expectRefusal(
            ["convert", b, dir.file("o.raw"), "--to", "raw"], in: dir, mentions: ["loops"], "b → a → b")
        let c = try smallQcow2(dir, name: "c.qcow2")
        try ExternalTool.check(["qemu-img", "rebase", "-u", "-b", "c.qcow2", "-F", "qcow2", c])  // itself
        try hostile.expectRefusal(["info", c], in: dir, mentions: ["loops"], "c → c")
    }

    @Test func encryptedImagesAndExternalDataFilesAreRefusedByName() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-qcow2-hostile")
        let encrypted = dir.file("enc.qcow2")
        try ExternalTool.qemuImgCreateEncrypted([
            "create", "-q", "-f", "qcow2", "--object", "secret,id=s0,data=pw", "-o",
            "encrypt.format=luks,encrypt.key-secret=s0", encrypted, "8M",
        ])
        let hostile = HostileImageTests()
        try hostile.expectRefusal(["info", encrypted], in: dir, mentions: ["encrypted (LUKS)"], "encrypted")
        let external = dir.file("ext.qcow2")
        try ExternalTool.check([
            "qemu-img", "create", "-q", "-f", "qcow2", "-o", "data_file=\(dir.file("ext.data"))", external, "8M",
        ])
        try hostile.expectRefusal(["info", external], in: dir, mentions: ["external data file"], "external data file")
    }

    @Test func dirtyAndCorruptBitsAreWarnings() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-qcow2-hostile")
        let path = try smallQcow2(dir)
        var bytes = try Patch.read(path)
        bytes[79] |= 0b11  // incompatible_features: dirty, corrupt
        try Patch.write(bytes, to: path)
        let result = try CLI.run(["info", path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.output.contains("dirty bit set"), "\(result.output)")
        #expect(result.output.contains("corrupt bit set"), "\(result.output)")
        let json = try CLI.run(["info", path, "--json"])
        #expect(
            json.output.contains("\"dirty\" : true") && json.output.contains("\"corrupt\" : true"), "\(json.output)")
    }

    @Test func aDamagedCompressedClusterIsAnErrorNotZeros() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-qcow2-hostile")
        let raw = dir.file("p.raw")
        try ExternalTool.check(["qemu-img", "create", "-q", "-f", "raw", raw, "1M"])
        try ExternalTool.check(["qemu-io", "-f", "raw", "-c", "write -P 0x41 0 1M", raw])
        let path = dir.file("c.qcow2")
        try ExternalTool.check(["qemu-img", "convert", "-c", "-O", "qcow2", raw, path])
        var bytes = try Patch.read(path)
        let l1 = Int(Patch.get64BE(bytes, at: 40))
        let l2 = Int(Patch.get64BE(bytes, at: l1) & 0x00FF_FFFF_FFFF_FE00)
        let entry = Patch.get64BE(bytes, at: l2)
        let host = Int(entry & ((1 << 54) - 1))  // 64 KiB clusters: 54 offset bits
        for index in 0..<64 { bytes[host + index] = 0xFF }
        try Patch.write(bytes, to: path)
        try HostileImageTests().expectRefusal(
            ["convert", path, dir.file("o.raw"), "--to", "raw"], in: dir,
            mentions: ["compressed cluster"], "damaged compressed cluster")
    }
}
