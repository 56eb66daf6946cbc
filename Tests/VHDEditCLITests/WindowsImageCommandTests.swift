import Foundation
import Testing
import _TestSupport

/// Reports on files made on Windows, through the CLI: `info` on a child whose parent is missing still shows the
/// child's own facts, and a VHD whose footer has `saved_state` set is read but never written.
@Suite struct WindowsImageCommandTests {
    typealias Patch = HostileImageTests.Patch

    @Test func infoOnAChildWithoutItsParentShowsTheChildThenTheError() throws {
        let work = try UsabilityTests.Work()
        #expect(try work.run(["create", "child.vhd", "--parent", "c6.vhd"]).status == 0)
        try FileManager.default.moveItem(atPath: work.image, toPath: work.file("elsewhere.vhd"))
        let before = try FileDigest.sha256(work.file("child.vhd"))
        // What libvhdi reads in the child's own header: the parent's name.
        let vhdiinfo = try ExternalTool.check(["vhdiinfo", work.file("child.vhd")]).output
        #expect(vhdiinfo.contains("Parent filename\t\t: c6.vhd"), "\(vhdiinfo)")

        let text = try work.run(["info", "child.vhd"])
        #expect(text.status == 1)
        #expect(text.output.contains("format             vhd-differencing"), "\(text.output)")
        #expect(text.output.contains("parent name        c6.vhd"), "\(text.output)")
        #expect(text.output.contains("parent locator     W2ru .\\c6.vhd"), "\(text.output)")
        #expect(text.output.contains("virtual size       25171968 bytes"), "\(text.output)")
        #expect(
            text.output.contains("partitions: cannot be read: the disk cannot be read without its parent"),
            "\(text.output)")
        #expect(
            text.stderr.hasPrefix("vhdedit: child.vhd: ") && text.stderr.contains("parent \"c6.vhd\" not found"),
            "\(text.stderr)")

        let json = try work.run(["info", "child.vhd", "--json"])
        #expect(json.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        let vhd = try #require(object["vhd"] as? [String: Any])
        #expect(vhd["parentName"] as? String == "c6.vhd")
        #expect(object["format"] as? String == "vhd-differencing")
        #expect((object["parentChain"] as? [Any])?.isEmpty == true)
        let verdict = try JSONSchemaTests.validate(json.stdout)
        #expect(verdict.status == 0, "\(verdict.output)")
        #expect(json.stderr.contains("not found"), "\(json.stderr)")
        #expect(try FileDigest.sha256(work.file("child.vhd")) == before)
    }

    /// Sets `saved_state` in both footers of a dynamic VHD (the copy at 0 and the trailing one), checksums
    /// resealed.
    static func setSavedState(_ path: String) throws {
        var bytes = try Patch.read(path)
        for start in [0, bytes.count - 512] {
            bytes[start + 84] = 1
            Patch.fixVHDChecksum(&bytes, structure: start..<(start + 512), field: 64)
        }
        try Patch.write(bytes, to: path)
    }

    @Test func aSavedStateVHDIsReadButNeverWritten() throws {
        let work = try UsabilityTests.Work()
        try Self.setSavedState(work.image)
        // qemu still reads the patched image (the footers are valid) as the same disk.
        #expect(
            try ExternalTool.run([
                "qemu-img", "compare", "-f", "vpc", "-F", "vpc", work.image, UsabilityTests.shippedImage,
            ]).status == 0)
        let before = try FileDigest.sha256(work.image)
        try Data("x\n".utf8).write(to: URL(fileURLWithPath: work.file("note.txt")))
        let names = try work.names()

        for arguments in [
            ["mkdir", "c6.vhd", "/newdir"], ["put", "c6.vhd", "note.txt", "/note.txt"], ["generalize", "c6.vhd"],
            ["resize", "c6.vhd", "--size", "32M"], ["kernel-args", "c6.vhd", "--add", "quiet"],
        ] {
            let refused = try work.run(arguments)
            #expect(refused.status == 1, "\(arguments): \(refused.stderr)")
            #expect(refused.stderr.contains("saved_state flag is set"), "\(arguments): \(refused.stderr)")
        }
        #expect(try FileDigest.sha256(work.image) == before)
        #expect(try work.names() == names, "a refused write left a file behind")

        let info = try work.run(["info", "c6.vhd"])
        #expect(info.status == 0 && info.output.contains("saved state        yes"), "\(info.output)")
        let ls = try work.run(["ls", "c6.vhd", "/etc"])
        #expect(ls.status == 0 && ls.output.contains("passwd"), "\(ls.stderr)")
        let check = try work.run(["check", "c6.vhd", "--json"])
        #expect(check.status == 1)
        let report = try #require(try JSONSerialization.jsonObject(with: check.stdout) as? [String: Any])
        let results = try #require(report["results"] as? [[String: Any]])
        let saved = try #require(results.first { $0["id"] as? String == "vhd.saved-state" })
        #expect(saved["verdict"] as? String == "fail")
        // A converted copy has the flag clear and takes writes.
        #expect(try work.run(["convert", "c6.vhd", "copy.vhd", "--to", "dynamic"]).status == 0)
        #expect(try Patch.read(work.file("copy.vhd"))[84] == 0)
        #expect(try work.run(["mkdir", "copy.vhd", "/newdir"]).status == 0)
        #expect(try FileDigest.sha256(work.image) == before)
    }
}
