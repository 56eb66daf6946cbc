import BlockIO
import Foundation
import Testing
import _TestSupport

/// `DiskImage.resizeDisk(to:)` on raw, fixed and dynamic images made by qemu-img/qemu-io. Oracles: `qemu-img
/// info` and `vhdiinfo` sizes, `qemu-img compare` of the resized image with a copy of the original (the shared
/// range equal, the grown range zeros), the file's allocated bytes (`stat`), sha256 for refusals.
@Suite(.serialized) struct DiskResizeTests {
    private static let mib: UInt64 = 1 << 20

    /// A qemu-img image of 64 MiB with patterns at the start (block 0, next to the BAT), the middle and the
    /// last MiB.
    private func makeImage(_ path: String, subformat: String) throws {
        try VHDFixture.qemuCreate(path, size: "64M", options: "subformat=\(subformat),force_size=on")
        for (pattern, offset) in [(0x11, 0), (0x22, 33 * Self.mib + 512), (0x33, 63 * Self.mib)] as [(UInt8, UInt64)] {
            try VHDFixture.qemuWrite(path, pattern: pattern, offset: offset, length: Self.mib)
        }
    }

    private func resize(_ path: String, to size: UInt64) throws {
        let image = try VHDFixture.open(path: path, writable: true)
        try image.resizeDisk(to: size)
        #expect(image.device.size == size)
        try image.commit()
    }

    private func compare(_ original: String, _ resized: String, format: String = "vpc") throws {
        let result = try ExternalTool.run(["qemu-img", "compare", "-f", format, "-F", format, original, resized])
        #expect(result.status == 0, "\(result.output)\(result.stderr)")
    }

    private func allocatedBytes(_ path: String) throws -> UInt64 {
        UInt64(
            try ExternalTool.check(["stat", "-c", "%b", path]).output.trimmingCharacters(in: .whitespacesAndNewlines))!
            * 512
    }

    @Test(arguments: ["fixed", "dynamic"])
    func growKeepsDataAndReadsZerosAfter(subformat: String) throws {
        let dir = try TemporaryDirectory()
        let original = dir.file("original.vhd")
        let path = dir.file("disk.vhd")
        try makeImage(original, subformat: subformat)
        try ExternalTool.check(["cp", "--sparse=always", original, path])
        let before = try allocatedBytes(path)
        let newSize = 30 << 30 as UInt64
        try resize(path, to: newSize)
        #expect(try VHDFixture.qemuVirtualSize(path) == newSize)
        #expect(try VHDFixture.vhdiinfoSize(path) == newSize)
        try compare(original, path)
        // Sparse: the 30 GiB disk occupies about what the 64 MiB one did (plus the BAT and moved blocks).
        #expect(try allocatedBytes(path) <= before + 8 * Self.mib)
        // What we wrote reads back through a fresh open, footer copy and trailing footer agreeing.
        let reopened = try VHDFixture.open(path: path)
        #expect(reopened.warnings.isEmpty)
        #expect(reopened.vhd?.structure.footer.originalSize == newSize)
        #expect(reopened.vhd?.structure.footer.geometry == DiskGeometry.written(forSize: newSize))
    }

    @Test func dynamicGrowthMovesTheBlocksInTheBATsWay() throws {
        let dir = try TemporaryDirectory()
        let original = dir.file("original.vhd")
        let path = dir.file("disk.vhd")
        try makeImage(original, subformat: "dynamic")
        try ExternalTool.check(["cp", "--sparse=always", original, path])
        let oldTable = try VHDFixture.open(path: original).vhd!.structure
        let firstBlock = oldTable.table!.entries.filter { $0 != 0xFFFF_FFFF }.min()!
        // 64 MiB → 512 MiB: 256 entries (1 KiB) where qemu-img left room for 32 (512 bytes).
        try resize(path, to: 512 * Self.mib)
        let structure = try VHDFixture.open(path: path).vhd!.structure
        #expect(structure.header?.maxTableEntries == 256)
        #expect(!structure.table!.entries.contains(firstBlock), "the block next to the BAT moved")
        #expect(structure.table!.entries[0] != 0xFFFF_FFFF)
        try compare(original, path)
        #expect(try VHDFixture.qemuVirtualSize(path) == 512 * Self.mib)
    }

    @Test(arguments: ["fixed", "dynamic"])
    func shrinkKeepsTheRangeBefore(subformat: String) throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("disk.vhd")
        let reference = dir.file("reference.raw")
        try VHDFixture.qemuCreate(path, size: "64M", options: "subformat=\(subformat),force_size=on")
        try VHDFixture.qemuWrite(path, pattern: 0x44, offset: 0, length: 3 * Self.mib)
        try VHDFixture.qemuWrite(path, pattern: 0x55, offset: 40 * Self.mib, length: Self.mib)
        try ExternalTool.check(["qemu-img", "convert", "-f", "vpc", "-O", "raw", path, reference])
        try ExternalTool.check(["truncate", "-s", "32M", reference])
        try resize(path, to: 32 * Self.mib)
        #expect(try VHDFixture.qemuVirtualSize(path) == 32 * Self.mib)
        let result = try ExternalTool.run(["qemu-img", "compare", "-f", "raw", "-F", "vpc", reference, path])
        #expect(result.status == 0, "\(result.output)")
        // Grown back, the cut range reads as zeros (no stale block comes back).
        try resize(path, to: 64 * Self.mib)
        try ExternalTool.check(["truncate", "-s", "64M", reference])
        let again = try ExternalTool.run(["qemu-img", "compare", "-f", "raw", "-F", "vpc", reference, path])
        #expect(again.status == 0, "\(again.output)")
    }

    @Test func rawGrowsSparseAndShrinks() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("disk.raw")
        let original = dir.file("original.raw")
        try ExternalTool.check(["truncate", "-s", "64M", path])
        try ExternalTool.check([
            "dd", "if=/dev/urandom", "of=\(path)", "bs=1M", "count=2", "conv=notrunc", "status=none",
        ])
        try ExternalTool.check(["cp", "--sparse=always", path, original])
        try resize(path, to: 30 << 30)
        #expect(try VHDFixture.length(path) == 30 << 30)
        #expect(try allocatedBytes(path) <= 3 * Self.mib)
        try compare(original, path, format: "raw")
        try resize(path, to: 16 * Self.mib)
        #expect(try VHDFixture.length(path) == 16 * Self.mib)
        try compare(original, path, format: "raw")  // the cut range was zeros
    }

    private func resizeAndAbandon(_ path: String) throws {
        let image = try VHDFixture.open(path: path, writable: true)
        try image.resizeDisk(to: 1 << 30)
        image.abandon()
    }

    @Test func abandonedResizeLeavesTheFileAndDifferencingIsRefused() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("disk.vhd")
        try makeImage(path, subformat: "dynamic")
        let digest = try FileDigest.sha256(path)
        try resizeAndAbandon(path)
        #expect(try FileDigest.sha256(path) == digest)

        let parent = dir.file("parent.vhd")
        try VHDFixture.qemuCreate(parent, size: "64M")
        let child = dir.file("child.vhd")
        try ImageCreator.create(.differencing(parent: parent), at: child)
        let childDigest = try FileDigest.sha256(child)
        let image = try VHDFixture.open(path: child, writable: true)
        #expect(throws: BlockIOError.self) { try image.resizeDisk(to: 1 << 30) }
        do {
            try image.resizeDisk(to: 1 << 30)
        } catch {
            #expect(error.code == .unsupported)
            #expect(error.description.contains("differencing"))
        }
        image.abandon()
        #expect(try FileDigest.sha256(child) == childDigest)
        // Sizes that are not whole sectors, or past the VHD limit, are refused.
        let vhd = try VHDFixture.open(path: path, writable: true)
        #expect(throws: BlockIOError.self) { try vhd.resizeDisk(to: 1000) }
        #expect(throws: BlockIOError.self) { try vhd.resizeDisk(to: 4 << 40) }
        vhd.abandon()
    }
}
