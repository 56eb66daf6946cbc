import Foundation
import Testing
import _TestSupport

/// Hostile VHD structures met by the commands that write, and parent locators that lie: the open is refused
/// with a typed error before anything is written, so every file in the folder (image, parent, host file) keeps
/// its bytes and no journal or temporary file is left.
@Suite struct HostileImageWriteTests {
    typealias Patch = HostileImageTests.Patch
    let hostile = HostileImageTests()

    /// A local file to `put`.
    func localFile(_ dir: TemporaryDirectory) throws -> String {
        let path = dir.file("local.conf")
        try Data("x\n".utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(arguments: HostileImageTests.BATLie.allCases)
    func writersRefuseLyingBATsAndWriteNothing(lie: HostileImageTests.BATLie) throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-hostile-write")
        let path = try hostile.dynamicVHDWithLyingBAT(lie, in: dir)
        let local = try localFile(dir)
        try hostile.expectRefusal(
            ["put", path, local, "/etc/x"], in: dir, mentions: ["BAT", "block"], "put, BAT \(lie)")
        try hostile.expectRefusal(
            ["kernel-args", path, "--add", "console=ttyS0"], in: dir, mentions: ["BAT", "block"],
            "kernel-args, BAT \(lie)")
    }

    enum LocatorLie: String, CaseIterable { case lengthHuge, offsetPastTheEnd, offsetIntoFooter, lengthZero }

    /// Every used parent locator of a child made by `vhdedit create --parent` is made to lie (the header
    /// checksum is fixed, so the locator checks are what catch it).
    @Test(arguments: LocatorLie.allCases)
    func parentLocatorsThatLieAreRefused(lie: LocatorLie) throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-hostile-write")
        let parent = try hostile.dynamicVHD(dir, name: "parent.vhd")
        let child = dir.file("child.vhd")
        try ExternalTool.check([CLI.binary, "create", child, "--parent", parent])
        var bytes = try Patch.read(child)
        let header = Int(Patch.get64BE(bytes, at: 16))
        var used = 0
        for index in 0..<8 {
            let entry = header + 576 + 24 * index
            guard Patch.get32BE(bytes, at: entry) != 0 else { continue }
            used += 1
            switch lie {
            case .lengthHuge: Patch.put32BE(0x7FFF_FFFF, at: entry + 8, in: &bytes)
            case .lengthZero: Patch.put32BE(0, at: entry + 8, in: &bytes)
            case .offsetPastTheEnd:
                Patch.put32BE(0x7FFF_FFFF, at: entry + 16, in: &bytes)
                Patch.put32BE(0xFFFF_0000, at: entry + 20, in: &bytes)
            case .offsetIntoFooter:
                Patch.put32BE(0, at: entry + 16, in: &bytes)
                Patch.put32BE(UInt32(bytes.count - 512), at: entry + 20, in: &bytes)
            }
        }
        #expect(used >= 1, "create --parent writes locators")
        Patch.fixVHDChecksum(&bytes, structure: header..<(header + 1024), field: 36)
        try Patch.write(bytes, to: child)
        // Each lying locator is ignored with a warning (the parent is still found by the header's parent name
        // and unique id, or the open is refused naming the parent); nothing is read outside the file.
        if lie == .lengthZero {
            // An empty locator is no locator: the parent is found by the header's name, nothing changes.
            let before = try hostile.digests(dir)
            let info = try CLI.run(["info", child])
            #expect(info.status == 0 && info.output.contains("parent.vhd (vhd-dynamic"), "\(info.output)")
            #expect(try hostile.digests(dir) == before)
            return
        }
        try hostile.expectRefusal(
            ["info", child], in: dir, mentions: ["locator", "parent"], warningAllowed: true,
            "info, locator \(lie)")
    }

    /// a → b → c → a, opened for writing at each point.
    @Test func writersRefuseAThreeImageParentLoop() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-hostile-write")
        let a = try hostile.dynamicVHD(dir, name: "a.vhd")
        let b = dir.file("b.vhd"), c = dir.file("c.vhd"), d = dir.file("d.vhd")
        try ExternalTool.check([CLI.binary, "create", b, "--parent", a])
        try ExternalTool.check([CLI.binary, "create", c, "--parent", b])
        try ExternalTool.check([CLI.binary, "create", d, "--parent", c])
        // a.vhd becomes d (parent c → b → a): a loop of three.
        try FileManager.default.removeItem(atPath: a)
        try FileManager.default.moveItem(atPath: d, toPath: a)
        let local = try localFile(dir)
        for image in [a, b, c] {
            try hostile.expectRefusal(["put", image, local, "/x"], in: dir, mentions: ["loop"], "put on \(image)")
        }
    }
}
