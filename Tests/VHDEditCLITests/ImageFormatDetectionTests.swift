import Foundation
import Testing
import _TestSupport

/// Format detection by content: images made by qemu-img in formats vhdedit does not read are refused by name
/// (with the command that converts them), whatever their file name says, and never read as raw disks; raw
/// still works; a FIFO and an empty file are refused at once. No file changes.
@Suite struct ImageFormatDetectionTests {
    /// Runs `arguments` under a 20 s `timeout` (a hang is a failure, not a stuck suite).
    func run(_ arguments: [String]) throws -> ExternalTool.Result {
        try ExternalTool.run(["timeout", "20", CLI.binary] + arguments)
    }

    /// Checks `vhdedit info`, `check` and a writing command refuse `path`, naming `words`, leaving it unchanged.
    func expectRefused(_ path: String, mentions words: [String], _ what: String) throws {
        let before = try FileDigest.sha256(path)
        for command in [
            ["info", path], ["info", path, "--json"], ["ls", path, "/"], ["put", path, "/etc/hostname", "/x"],
        ] {
            let result = try run(command)
            #expect(
                result.status == 1, "\(what) \(command[0]): exit \(result.status): \(result.output) \(result.stderr)")
            for word in words {
                #expect(result.stderr.contains(word), "\(what) \(command[0]): no \(word) in: \(result.stderr)")
            }
            #expect(!result.output.contains("format  raw"), "\(what): read as raw")
        }
        #expect(try FileDigest.sha256(path) == before, "\(what): the file changed")
        // convert must not wrap the container into a "valid" VHD.
        let out = path + ".out.vhd"
        let converted = try run(["convert", path, out, "--to", "fixed", "--round-to-mib"])
        #expect(converted.status == 1, "\(what) convert: exit \(converted.status)")
        #expect(!FileManager.default.fileExists(atPath: out), "\(what): convert wrote an output")
    }

    @Test(arguments: [
        ("vmdk", "", "VMDK"), ("vmdk", "subformat=streamOptimized", "VMDK"),
        ("vmdk", "subformat=monolithicFlat", "VMDK descriptor"),
        ("vdi", "", "VDI"), ("qed", "", "QED"), ("parallels", "", "Parallels"), ("qcow", "", "qcow version 1"),
    ])
    func qemuFormatsAreRefusedByName(format: String, options: String, name: String) throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-detect")
        let path = dir.file("disk.img")  // the name says nothing
        var create = ["qemu-img", "create", "-q", "-f", format]
        if !options.isEmpty { create += ["-o", options] }
        try ExternalTool.check(create + [path, "4M"])
        try expectRefused(path, mentions: [name, "qemu-img convert -f \(format) -O raw"], "\(format) \(options)")
    }

    @Test func aLUKSVolumeIsRefusedByName() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-detect")
        let path = dir.file("disk.vhd")  // a misleading name
        try ExternalTool.qemuImgCreateEncrypted([
            "create", "-q", "-f", "luks", "--object", "secret,id=s0,data=secret", "-o", "key-secret=s0", path, "4M",
        ])
        try expectRefused(path, mentions: ["LUKS", "cryptsetup"], "luks")
    }

    @Test func craftedHeadersOfOtherQemuFormatsAreRefused() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-detect")
        // qemu-img cannot create bochs, cloop or dmg files: their magic numbers (qemu's probe functions) on a raw file.
        var bochs = [UInt8](repeating: 0, count: 1 << 20)
        bochs.replaceSubrange(0..<22, with: Array("Bochs Virtual HD Image".utf8))
        var cloop = [UInt8](repeating: 0, count: 1 << 20)
        let script = Array(
            "#!/bin/sh\n#V2.0 Format\nmodprobe cloop file=$0 && mount -r -t iso9660 /dev/cloop $1\n".utf8)
        cloop.replaceSubrange(0..<script.count, with: script)
        var dmg = [UInt8](repeating: 0, count: 1 << 20)
        let trailer = dmg.count - 512
        dmg.replaceSubrange(trailer..<trailer + 12, with: Array("koly".utf8) + [0, 0, 0, 4, 0, 0, 2, 0])
        for (name, bytes, word) in [("bochs", bochs, "Bochs"), ("cloop", cloop, "cloop"), ("dmg", dmg, "dmg")] {
            let path = dir.file("\(name).raw")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            try expectRefused(path, mentions: [word, "qemu-img convert"], name)
        }
    }

    @Test func compressedFilesAreRefusedNotReadAsRaw() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-detect")
        let raw = dir.file("disk.raw")
        try ExternalTool.check(["truncate", "-s", "4M", raw])
        try ExternalTool.check(["sfdisk", "-q", raw], stdin: Data("label: dos\n,,L\n".utf8))
        for (tool, word) in [("xz", "xz"), ("gzip", "gzip"), ("zstd", "zstd")] {
            let path = dir.file("disk-\(tool).raw")  // the name hides the compression
            try ExternalTool.shell("\(tool) -c \(raw) > \(path)")
            try expectRefused(path, mentions: [word, "-dk"], tool)
        }
    }

    @Test func aVHDXIsRefusedForWritingAndNamed() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-detect")
        let path = dir.file("disk.raw")
        try ExternalTool.check(["qemu-img", "create", "-q", "-f", "vhdx", path, "8M"])
        let before = try FileDigest.sha256(path)
        let result = try run(["put", path, "/etc/hostname", "/x"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("vhdx") || result.stderr.contains("VHDX"), "\(result.stderr)")
        #expect(result.stderr.contains("convert"), "\(result.stderr)")
        #expect(try FileDigest.sha256(path) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["disk.raw"])
    }

    @Test func rawStillWorks() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-detect")
        let raw = dir.file("disk.vmdk")  // a misleading name: content decides
        try ExternalTool.check(["truncate", "-s", "4M", raw])
        try ExternalTool.check(["sfdisk", "-q", raw], stdin: Data("label: dos\n,,L\n".utf8))
        let result = try run(["info", raw])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.output.contains("format        raw"), "\(result.output)")
        #expect(result.output.contains("virtual size  4194304 bytes"), "\(result.output)")
    }

    @Test func aFIFOIsRefusedAtOnce() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-detect")
        let fifo = dir.file("fifo.vhd")
        try ExternalTool.check(["mkfifo", fifo])
        let start = Date()
        for command in [
            ["info", fifo], ["put", fifo, "/etc/hostname", "/x"],
            ["convert", fifo, dir.file("o.vhd"), "--to", "fixed"],
        ] {
            let result = try run(command)
            #expect(result.status == 1, "\(command): exit \(result.status)")
            #expect(result.stderr.contains("FIFO"), "\(command): \(result.stderr)")
        }
        #expect(Date().timeIntervalSince(start) < 10)
    }

    @Test func anEmptyFileIsAnErrorNotAnEmptyDisk() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-detect")
        let path = dir.file("empty.raw")
        _ = FileManager.default.createFile(atPath: path, contents: Data())
        let result = try run(["info", path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("empty"), "\(result.stderr)")
        let converted = try run(["convert", path, dir.file("o.raw"), "--to", "raw"])
        #expect(converted.status == 1)
        #expect(!FileManager.default.fileExists(atPath: dir.file("o.raw")))
    }
}
