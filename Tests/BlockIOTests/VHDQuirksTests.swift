import BlockIO
import Foundation
import Testing
import _TestSupport

/// The producer quirks of vhd-format.md §11 (cases 11–16), on files made by qemu-img and patched with dd.
@Suite struct VHDQuirksTests {
    @Test func fixedDiskWith511ByteFooter() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("old.vhd")
        try VHDFixture.qemuCreate(path, size: "2M", options: "subformat=fixed,force_size=on")
        try VHDFixture.qemuWrite(path, pattern: 0x44, offset: 4096, length: 4096)
        let expected = try VHDFixture.qemuRaw(path, in: dir)
        try ExternalTool.check(["truncate", "-s", "\(try VHDFixture.length(path) - 1)", path])
        let image = try VHDFixture.open(path: path)
        #expect(image.format == .vhdFixed)
        #expect(image.vhd?.structure.footerSource == .trailing511)
        #expect(image.device.size == 2 << 20)
        #expect(try VHDFixture.readAll(image.device) == expected)
    }

    @Test func fixedDataOffsetWithOnly32BitsSetIsAccepted() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("fixed.vhd")
        try VHDFixture.qemuCreate(path, size: "2M", options: "subformat=fixed,force_size=on")
        let end = try VHDFixture.length(path) - 512
        try VHDHostileInputTests.ddPatch(path, at: end + 16, [0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF])
        try VHDHostileInputTests.fixChecksum(path, structureAt: end, length: 512, fieldAt: 64)
        #expect(try VHDFixture.open(path: path).device.size == 2 << 20)
    }

    @Test func azureCreatorUsesCurrentSizeAndReportsTheCHSSize() throws {
        // A fixed image patched like the Azure export in vhd-format.md §2.1: creator "wa\0\0", CHS < current_size.
        let dir = try TemporaryDirectory()
        let path = dir.file("azure.vhd")
        try VHDFixture.qemuCreate(path, size: "5M", options: "subformat=fixed,force_size=on")
        let end = try VHDFixture.length(path) - 512
        try VHDHostileInputTests.ddPatch(path, at: end + 28, [0x77, 0x61, 0, 0])
        let chs = DiskGeometry(forSize: 5 << 20)
        try VHDHostileInputTests.ddPatch(
            path, at: end + 56,
            [UInt8(chs.cylinders >> 8), UInt8(chs.cylinders & 0xFF), chs.heads, chs.sectorsPerTrack])
        try VHDHostileInputTests.fixChecksum(path, structureAt: end, length: 512, fieldAt: 64)
        let info = try ImageInfo.read(path: path)
        #expect(info.virtualSize == 5 << 20)
        #expect(info.vhd?.geometrySize == chs.byteCount)
        #expect(chs.byteCount < 5 << 20)
        // qemu 7.2 trusts the geometry for this creator: the expected mismatch, reported beside the size.
        #expect(info.vhd?.qemu7Size == chs.byteCount)
        #expect(try VHDFixture.qemuVirtualSize(path) == chs.byteCount)
    }

    @Test func locatorSpaceInSectorsOrBytes() {
        func locator(_ space: UInt32) -> ParentLocator {
            ParentLocator(platform: .w2ru, dataSpace: space, dataLength: 20, dataOffset: 4096)
        }
        #expect(locator(2).reservedBytes == 1024)
        #expect(locator(1024).reservedBytes == 1024)
        #expect(locator(513).reservedBytes == nil)
        let bytes = locator(1024).serialized()
        #expect(ParentLocator(parsing: bytes) == locator(1024))
        #expect(Array(bytes[0..<4]) == Array("W2ru".utf8))
    }

    @Test(arguments: [UInt32(512 << 10), 4 << 20]) func otherBlockSizesReadAndWriteLikeQemu(blockSize: UInt32) throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("blocks.vhd")
        try ImageCreator.create(.dynamic(size: 6 << 20, blockSize: blockSize), at: path)
        var model = [UInt8](repeating: 0, count: 6 << 20)
        do {
            let image = try VHDFixture.open(path: path, writable: true)
            #expect(image.vhd?.structure.header?.bitmapSize == UInt64(max(512, blockSize / 4096)))
            try VHDWriteTests.randomWrites(image.device, model: &model, count: 25, seed: UInt64(blockSize))
            try image.commit()
        }
        #expect(try VHDFixture.qemuRaw(path, in: dir) == model)
        // And qemu's own writes into our image read back through us.
        try VHDFixture.qemuWrite(path, pattern: 0x99, offset: 3 << 20, length: 70_000)
        model.replaceSubrange((3 << 20)..<((3 << 20) + 70_000), with: [UInt8](repeating: 0x99, count: 70_000))
        #expect(try VHDFixture.readAll(VHDFixture.open(path: path).device) == model)
    }

    @Test func batEntryOverlappingTheFooter() throws {
        let dir = try TemporaryDirectory()
        let path = try VHDHostileInputTests.dynamicImage(dir)
        let footerSector = UInt32((try VHDFixture.length(path) - 512) / 512)
        try VHDHostileInputTests.ddPatch(path, at: 0x600 + 12, VHDHostileInputTests.be32(footerSector - 10))
        let error = try #require(VHDHostileInputTests.openError(path))
        #expect(error.code == .overlap)
        #expect(error.message.contains("overlaps the footer"))
        #expect(error.field == "entry 3")
    }

    /// Sector bitmaps are most-significant-bit first, and a clear bit reads as zeros on a dynamic disk (the spec's
    /// rule, which libvhdi follows; qemu ignores bitmaps and writes them all ones).
    @Test func clearedBitmapBitsReadAsZerosMSBFirst() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("bits.vhd")
        try VHDFixture.qemuCreate(path, size: "4M")
        try VHDFixture.qemuWrite(path, pattern: 0x42, offset: 0, length: 16 * 512)
        let entry = try VHDFixture.bytes(path, at: 0x600, count: 4)
        let bitmapOffset = UInt64(entry[0]) << 24 | UInt64(entry[1]) << 16 | UInt64(entry[2]) << 8 | UInt64(entry[3])
        #expect(try VHDFixture.bytes(path, at: bitmapOffset * 512, count: 1) == [0xFF])
        try VHDHostileInputTests.ddPatch(path, at: bitmapOffset * 512, [0x7E])  // sectors 0 and 7 absent
        let image = try VHDFixture.open(path: path)
        let head = try image.device.read(at: 0, count: 16 * 512)
        for sector in 0..<16 {
            let expected: UInt8 = sector == 0 || sector == 7 ? 0 : 0x42
            #expect(head[(sector * 512)..<(sector * 512 + 512)].allSatisfy { $0 == expected }, "sector \(sector)")
        }
    }
}
