import BlockIO
import Foundation
import Testing
import _TestSupport

/// Every VHD qemu-img writes reads back byte-identical to `qemu-img convert -O raw`.
@Suite struct VHDReadInteropTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var size: String
        var options: String?
        var format: DiskImage.Format
        var testDescription: String { "\(size) \(options ?? "dynamic")" }
    }

    static let cases: [Case] = [
        Case(size: "1M", options: nil, format: .vhdDynamic),  // rounded up by qemu to 1079296
        Case(size: "5M", options: nil, format: .vhdDynamic),
        Case(size: "67125248", options: nil, format: .vhdDynamic),  // CHS-representable 964/8/17
        Case(size: "3M", options: "force_size=on", format: .vhdDynamic),
        Case(size: "3000000", options: "force_size=on", format: .vhdDynamic),  // not a sector multiple
        Case(size: "2M", options: "subformat=fixed", format: .vhdFixed),
        Case(size: "4M", options: "subformat=fixed,force_size=on", format: .vhdFixed),
        Case(size: "4M", options: "subformat=fixed,force_size=off", format: .vhdFixed),
        Case(size: "5M", options: "subformat=dynamic,force_size=off", format: .vhdDynamic),
    ]

    @Test(arguments: cases) func readsLikeQemu(_ testCase: Case) throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("disk.vhd")
        try VHDFixture.qemuCreate(path, size: testCase.size, options: testCase.options)
        let virtualSize = try VHDFixture.qemuVirtualSize(path)
        // Random content in several places: block starts, a block boundary, the last sector.
        try VHDFixture.qemuWrite(path, pattern: 0xA5, offset: 0, length: 4096)
        try VHDFixture.qemuWrite(path, pattern: 0x3C, offset: min(512 * 4095, virtualSize - 2048), length: 1024)
        try VHDFixture.qemuWrite(path, pattern: 0x77, offset: virtualSize - 512, length: 512)

        let expected = try VHDFixture.qemuRaw(path, in: dir)
        let image = try VHDFixture.open(path: path)
        #expect(image.format == testCase.format)
        #expect(image.device.size == virtualSize)
        #expect(image.warnings.isEmpty)
        let ours = try VHDFixture.readAll(image.device)
        #expect(ours.count == expected.count)
        #expect(ours == expected)
    }

    /// `isKnownZero` (used to skip holes without reading them) is true only where qemu's raw conversion holds
    /// zeros, covers unallocated blocks and unwritten sectors, is false over every written byte, and a slice
    /// answers for its own offsets; a raw image never claims to know.
    @Test func knownZeroRangesAreZerosInQemusView() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("disk.vhd")
        try VHDFixture.qemuCreate(path, size: "8M")
        try VHDFixture.qemuWrite(path, pattern: 0xA5, offset: 1 << 20, length: 4096)  // block 0, sectors 2048…
        try VHDFixture.qemuWrite(path, pattern: 0x3C, offset: (5 << 20) + 1536, length: 512)  // block 2
        // qemu marks every sector of a block it allocates; clear the bits of block 0's first MiB (zeros in the
        // file) so that unwritten sectors of an allocated block are covered too.
        let bitmapOffset = try #require(try VHDFixture.open(path: path).vhd?.structure.table?.bitmapOffset(ofBlock: 0))
        try VHDFixture.patch(path, at: bitmapOffset, [UInt8](repeating: 0, count: 256))
        let expected = try VHDFixture.qemuRaw(path, in: dir)
        let device = try VHDFixture.open(path: path).device
        var known = 0
        for window in [4096, 1000] {
            var offset = 0
            while offset < expected.count {
                let end = min(offset + window, expected.count)
                let zeros = expected[offset..<end].allSatisfy { $0 == 0 }
                let claimed = try device.isKnownZero(UInt64(offset)..<UInt64(end))
                #expect(!claimed || zeros, "window \(offset)..<\(end) holds data")
                if claimed { known += 1 }
                offset = end
            }
        }
        #expect(try device.isKnownZero(0..<(1 << 20)), "unwritten sectors of an allocated block")
        #expect(try device.isKnownZero((2 << 20)..<(4 << 20)), "an unallocated block")
        #expect(try !device.isKnownZero((1 << 20)..<((1 << 20) + 512)))
        #expect(try !device.isKnownZero(((5 << 20) + 1024)..<((5 << 20) + 2048)))
        #expect(known > 1000, "most of an 8 MiB disk with 4.5 KiB written is known to be zeros (\(known))")
        let slice = try SliceDevice(base: device, start: 1 << 20, size: 4 << 20)
        #expect(try !slice.isKnownZero(0..<4096))
        #expect(try slice.isKnownZero((1 << 20)..<(3 << 20)), "the unallocated block at 2 MiB of the disk")
        #expect(try !slice.isKnownZero(4096..<(1 << 20)), "the rest of block 0, marked present by qemu")
        let raw = dir.file("disk.raw")
        try Data(expected).write(to: URL(fileURLWithPath: raw))
        #expect(try !VHDFixture.open(path: raw).device.isKnownZero(0..<4096), "raw images do not know")
    }

    @Test func reportsQemuFooterFields() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("d64.vhd")
        try VHDFixture.qemuCreate(path, size: "64M")
        let image = try VHDFixture.open(path: path)
        let structure = try #require(image.vhd?.structure)
        #expect(structure.footer.currentSize == 67_125_248)
        #expect(structure.footer.originalSize == 67_125_248)
        #expect(structure.footer.geometry == DiskGeometry(cylinders: 964, heads: 8, sectorsPerTrack: 17))
        #expect(structure.footer.creatorApplicationName == "qemu")
        #expect(structure.header?.blockSize == 0x20_0000)
        #expect(structure.header?.maxTableEntries == 33)
        #expect(structure.header?.tableOffset == 0x600)
        #expect(structure.table?.allocatedCount == 0)
        #expect(structure.footerCopyState == .valid)
        #expect(try VHDFixture.length(path) == 2560)
    }

    /// Reads of a VHD with many random writes, against qemu's reading.
    @Test func randomQemuWritesReadIdentically() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("random.vhd")
        try VHDFixture.qemuCreate(path, size: "9M")
        var generator = SeededGenerator(seed: 7)
        let size = try VHDFixture.qemuVirtualSize(path)
        for index in 0..<12 {
            let length = UInt64.random(in: 1...64, using: &generator) * 512
            let offset = UInt64.random(in: 0...((size - length) / 512), using: &generator) * 512
            try VHDFixture.qemuWrite(path, pattern: UInt8(index * 17 + 1), offset: offset, length: length)
        }
        let image = try VHDFixture.open(path: path)
        #expect(try VHDFixture.readAll(image.device) == VHDFixture.qemuRaw(path, in: dir))
    }

    /// Random bytes put into VHDs by `qemu-img convert` (dynamic and fixed, force_size on and off).
    @Test(arguments: [
        "subformat=dynamic", "subformat=dynamic,force_size=on", "subformat=fixed", "subformat=fixed,force_size=on",
    ])
    func randomContentConvertedByQemuReadsIdentically(options: String) throws {
        let dir = try TemporaryDirectory()
        let raw = dir.file("random.raw")
        var bytes = VHDFixture.pseudoRandom(count: 3_000_000, seed: 11)
        bytes.replaceSubrange(1_000_000..<2_000_000, with: [UInt8](repeating: 0, count: 1_000_000))
        try Data(bytes).write(to: URL(fileURLWithPath: raw))
        let path = dir.file("random.vhd")
        try ExternalTool.check(["qemu-img", "convert", "-f", "raw", "-O", "vpc", "-o", options, raw, path])
        let expected = try VHDFixture.qemuRaw(path, in: dir)
        let image = try VHDFixture.open(path: path)
        #expect(image.device.size == (try VHDFixture.qemuVirtualSize(path)))
        let ours = try VHDFixture.readAll(image.device)
        #expect(ours == expected)
        #expect(Array(ours.prefix(bytes.count)) == bytes)
    }
}
