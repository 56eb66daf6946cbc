import Foundation
import Testing
import _TestSupport

/// A differencing VHD whose parent is smaller than itself (a parent replaced or shrunk after the child was
/// made) is readable, but `info` says so: the bytes past the parent's end read as zeros.
@Suite struct ParentSizeWarningTests {
    typealias Patch = HostileImageTests.Patch

    @Test func aParentSmallerThanItsChildIsAWarning() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-parent-size")
        let parent = dir.file("parent.vhd")
        try ExternalTool.check([
            "qemu-img", "create", "-q", "-f", "vpc", "-o", "subformat=dynamic,force_size=on", parent, "8M",
        ])
        try ExternalTool.check([
            "qemu-io", "-f", "vpc", "-c", "write -P 0x11 0 1M", "-c", "write -P 0x22 6M 1M", parent,
        ])
        let child = dir.file("child.vhd")
        try ExternalTool.check([CLI.binary, "create", child, "--parent", parent])
        let before = try CLI.run(["info", child])
        #expect(before.status == 0 && !before.output.contains("smaller"), "\(before.output)")
        // Shrink the parent's footer (and its copy) to 4 MiB: same unique id, so it is still the parent.
        var bytes = try Patch.read(parent)
        for footer in [0, bytes.count - 512] {
            for index in 0..<8 {
                bytes[footer + 48 + index] = UInt8(truncatingIfNeeded: UInt64(4 << 20) >> (56 - 8 * index))
            }
            Patch.fixVHDChecksum(&bytes, structure: footer..<footer + 512, field: 64)
        }
        try Patch.write(bytes, to: parent)
        let after = try CLI.run(["info", child])
        #expect(after.status == 0, "\(after.stderr)")
        #expect(
            after.output.contains("warning")
                && after.output.contains("is smaller (4194304 bytes) than this disk (8388608 bytes)"),
            "\(after.output)")
        // The child reads the parent's first MiB, and zeros past the parent's end (qemu-img reads the parent).
        let raw = dir.file("child.raw")
        #expect(try CLI.run(["convert", child, raw, "--to", "raw"]).status == 0)
        let ours = [UInt8](try Data(contentsOf: URL(fileURLWithPath: raw)))
        let parentRaw = dir.file("parent.raw")
        try ExternalTool.check(["qemu-img", "convert", "-f", "vpc", "-O", "raw", parent, parentRaw])
        let theirs = [UInt8](try Data(contentsOf: URL(fileURLWithPath: parentRaw)))
        #expect(theirs.count == 4 << 20)
        #expect(ours.count == 8 << 20)
        #expect(ours[0..<(4 << 20)] == theirs[...])
        #expect(ours[(4 << 20)...].allSatisfy { $0 == 0 })
    }
}
