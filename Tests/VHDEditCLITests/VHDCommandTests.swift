import Foundation
import Testing
import _TestSupport

/// `vhdedit info`, `convert` and `create`, run as the built binary, checked with qemu-img and vhdiinfo.
@Suite struct VHDCommandTests {
    @Test func createThenInfoAsTextAndJSON() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("new.vhd")
        let created = try CLI.run(["create", path, "--size", "64M", "--to", "dynamic"])
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.output.contains("67108864"))
        let text = try CLI.run(["info", path])
        #expect(text.status == 0)
        #expect(text.output.contains("vhd-dynamic"))
        #expect(text.output.contains("65535/16/255"))
        #expect(text.output.contains("vhde"))
        let json = try CLI.run(["info", path, "--json"])
        #expect(json.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        #expect((object["virtualSize"] as? NSNumber)?.uint64Value == 67_108_864)
        #expect(object["format"] as? String == "vhd-dynamic")
        let vhd = try #require(object["vhd"] as? [String: Any])
        #expect(vhd["footerChecksum"] as? String == "valid")
        #expect(vhd["footerCopyChecksum"] as? String == "valid")
        #expect(vhd["maxTableEntries"] as? Int == 32)
        // qemu-img agrees on the size and the unique id's image is a VHD.
        let qemu = try ExternalTool.check(["qemu-img", "info", "-f", "vpc", "--output=json", path]).stdout
        let qemuObject = try #require(try JSONSerialization.jsonObject(with: qemu) as? [String: Any])
        #expect((qemuObject["virtual-size"] as? NSNumber)?.uint64Value == 67_108_864)
    }

    @Test func createFixedAndDifferencing() throws {
        let dir = try TemporaryDirectory()
        let parent = dir.file("parent.vhd")
        #expect(try CLI.run(["create", parent, "--size", "3000000", "--to", "fixed"]).status == 0)
        let vhdi = try ExternalTool.check(["vhdiinfo", parent]).output
        #expect(vhdi.contains("(3000320 bytes)"))
        let child = dir.file("child.vhd")
        let made = try CLI.run(["create", child, "--parent", parent])
        #expect(made.status == 0, "\(made.stderr)")
        let info = try CLI.run(["info", child])
        #expect(info.output.contains("vhd-differencing"))
        #expect(info.output.contains("parent 1"))
        #expect(info.output.contains("parent.vhd"))
        // --parent and --size together are a usage error.
        #expect(try CLI.run(["create", dir.file("x.vhd"), "--parent", parent, "--size", "1M"]).status != 0)
    }

    @Test func convertWithRoundingSaysSo() throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("disk.raw")
        try ExternalTool.check(["truncate", "-s", "3000000", source])
        try ExternalTool.check([
            "dd", "if=/dev/urandom", "of=\(source)", "bs=4096", "count=10", "conv=notrunc", "status=none",
        ])
        let destination = dir.file("disk.vhd")
        let result = try CLI.run(["convert", source, destination, "--to", "fixed", "--round-to-mib"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("rounded up"))
        #expect(result.stderr.contains("3145728"))
        // Not a terminal: no progress line.
        #expect(!result.stderr.contains("converting:"))
        #expect(
            try ExternalTool.run(["qemu-img", "compare", "-f", "raw", "-F", "vpc", source, destination]).status == 0)
        let back = dir.file("back.raw")
        #expect(try CLI.run(["convert", destination, back, "--to", "raw"]).status == 0)
        #expect(try ExternalTool.run(["qemu-img", "compare", "-f", "raw", "-F", "raw", source, back]).status == 0)
    }

    @Test func convertShowsProgressOnATerminal() throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("disk.raw")
        try ExternalTool.check(["truncate", "-s", "8M", source])
        let destination = dir.file("disk.vhd")
        // `script` gives the command a terminal.
        let command = "\(CLI.binary) convert \(source) \(destination) --to dynamic"
        let result = try ExternalTool.run(["script", "-qec", command, "/dev/null"])
        #expect(result.status == 0)
        #expect(result.output.contains("converting: 100% (8.0 MiB of 8.0 MiB)"))
        #expect(
            try ExternalTool.run(["qemu-img", "compare", "-f", "raw", "-F", "vpc", source, destination]).status == 0)
    }

    @Test func errorsGoToStandardErrorWithNonZeroExit() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("bad.vhd")
        try ExternalTool.check(["qemu-img", "create", "-q", "-f", "vpc", path, "4M"])
        // Break the header checksum.
        try ExternalTool.check(
            ["dd", "of=\(path)", "bs=1", "seek=600", "conv=notrunc", "status=none"], stdin: Data([0x77]))
        let info = try CLI.run(["info", path])
        #expect(info.status != 0)
        #expect(info.stderr.contains("vhdedit: \(path): dynamic disk header field checksum: stored 0x"))
        #expect(info.stderr.contains("computed 0x"))
        #expect(info.output.isEmpty)
        let convert = try CLI.run(["convert", path, dir.file("out.raw"), "--to", "raw"])
        #expect(convert.status != 0)
        #expect(!FileManager.default.fileExists(atPath: dir.file("out.raw")))
        let missing = try CLI.run(["info", dir.file("nope.vhd")])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("cannot open"))
        let size = try CLI.run(["create", dir.file("big.vhd"), "--size", "3T", "--to", "dynamic"])
        #expect(size.status != 0)
        #expect(size.stderr.contains("2040 GiB"))
    }
}
