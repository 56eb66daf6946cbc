import BlockIO
import Foundation
import Testing
import _TestSupport

/// Damaged and hostile VHDX files made from qemu-img images: typed errors naming the structure, field and
/// byte offset, never a crash or a wrong answer; a single damaged header or region table falls back to the other.
@Suite struct VHDXHostileInputTests {
    /// A qemu image with data in block 0, and its facts.
    struct Sample {
        let dir: TemporaryDirectory
        let path: String
        let bat: UInt64
        let metadata: UInt64

        init() throws {
            let dir = try TemporaryDirectory()
            let path = dir.file("disk.vhdx")
            try VHDXFixture.qemuCreate(path, size: "16M", options: "block_size=1M,log_size=1M")
            try VXWrites.apply(path, [(0x5A, 0, 1 << 20), (0x3C, 5 << 20, 4096)])
            self.dir = dir
            self.path = path
            bat = try VHDXFixture.batOffset(path)
            metadata = try VHDXFixture.metadataOffset(path)
        }

        /// Opens the file, expecting an error; checks the file is unchanged.
        func openError() throws -> BlockIOError? {
            let digest = try FileDigest.sha256(path)
            let error = #expect(throws: BlockIOError.self) { try DiskImage.open(path: path) }
            #expect(error?.path == path)
            #expect(try FileDigest.sha256(path) == digest)
            return error
        }
    }

    @Test func bothHeadersDamaged() throws {
        let sample = try Sample()
        try VHDFixture.patch(sample.path, at: (64 << 10) + 100, [0xFF])
        try VHDFixture.patch(sample.path, at: (128 << 10) + 100, [0xFF])
        let error = try sample.openError()
        #expect(error?.code == .checksumMismatch)
        #expect(error?.structure == "VHDX header")
        #expect(error?.field == "checksum")
        #expect(error?.offset == (64 << 10) + 4)
        #expect(error?.message.contains("header 2") == true)
    }

    @Test(arguments: [UInt64(64 << 10), 128 << 10]) func oneHeaderDamagedFallsBackToTheOther(_ header: UInt64) throws {
        let sample = try Sample()
        try VHDFixture.patch(sample.path, at: header + 100, [0xFF])
        let image = try VHDFixture.open(path: sample.path)
        #expect(image.vhdx?.structure.headerOffset != header)
        let difference = try VHDXFixture.firstDifference(image.device, qemuImage: sample.path, in: sample.dir)
        #expect(difference == nil)
    }

    @Test func firstRegionTableDamagedFallsBackToTheCopy() throws {
        let sample = try Sample()
        try VHDFixture.patch(sample.path, at: (192 << 10) + 200, [0xFF])
        let image = try VHDFixture.open(path: sample.path)
        #expect(image.vhdx?.structure.regionTable.offset == 256 << 10)
        #expect(try image.device.read(at: 5 << 20, count: 4096) == [UInt8](repeating: 0x3C, count: 4096))
    }

    @Test func regionsOverlap() throws {
        let sample = try Sample()
        let regions = try VHDXFixture.regions(sample.path)
        let metadataIndex = try #require(regions.firstIndex { $0.offset == sample.metadata })
        for table in [UInt64(192 << 10), 256 << 10] {
            let entry = table + 16 + 32 * UInt64(metadataIndex)
            try VHDFixture.patch(sample.path, at: entry + 16, VHDXFixture.littleEndian(sample.bat))
            try VHDXFixture.reseal(sample.path, structureAt: table, length: 64 << 10)
        }
        let error = try sample.openError()
        #expect(error?.code == .overlap)
        #expect(error?.structure == "VHDX region table")
        #expect(error?.field == "entry \(max(metadataIndex, 1 - metadataIndex))")
    }

    struct BATCase: Sendable, CustomTestStringConvertible {
        var name: String
        var code: BlockIOError.Code
        var testDescription: String { name }
    }

    @Test(arguments: [
        BATCase(name: "block past the end of the file", code: .truncated),
        BATCase(name: "block over the metadata region", code: .overlap),
        BATCase(name: "block over another block", code: .overlap),
        BATCase(name: "block in the header section", code: .overlap),
        BATCase(name: "unknown state", code: .invalidField),
        BATCase(name: "partially present without a parent", code: .invalidField),
    ]) func hostileBATEntry(_ testCase: BATCase) throws {
        let sample = try Sample()
        let block0 = try VHDXFixture.uint64(sample.path, at: sample.bat)
        let entry: UInt64 =
            switch testCase.name {
            case "block past the end of the file": (10_000 << 20) | 6
            case "block over the metadata region": sample.metadata | 6
            case "block over another block": (block0 & ~0xFFFFF) | 6
            case "block in the header section": (0 << 20) | 6
            case "unknown state": (block0 & ~0xFFFFF) | 4
            default: (block0 & ~0xFFFFF) | 7
            }
        // Entry 3 (payload block 3); block 0 keeps its place, so "another block" overlaps it.
        try VHDFixture.patch(sample.path, at: sample.bat + 24, VHDXFixture.littleEndian(entry))
        let error = try sample.openError()
        #expect(error?.code == testCase.code, "\(String(describing: error))")
        #expect(error?.structure == "VHDX BAT")
        #expect(error?.field == "entry 3")
        #expect(error?.offset == sample.bat + 24)
    }

    @Test(arguments: [UInt32(3 << 20), 512 << 20, 1 << 19]) func badBlockSize(_ blockSize: UInt32) throws {
        let sample = try Sample()
        let item = try VHDXFixture.metadataItemOffset(sample.path, data1: 0xCAA1_6737)
        try VHDFixture.patch(sample.path, at: item, VHDXFixture.littleEndian(UInt64(blockSize), count: 4))
        let error = try sample.openError()
        #expect(error?.code == .invalidField)
        #expect(error?.structure == "VHDX metadata")
        #expect(error?.field == "block_size")
        #expect(error?.offset == item)
    }

    @Test func virtualSizeNotWholeSectors() throws {
        let sample = try Sample()
        let item = try VHDXFixture.metadataItemOffset(sample.path, data1: 0x2FA5_4224)
        try VHDFixture.patch(sample.path, at: item, VHDXFixture.littleEndian((16 << 20) + 100))
        let error = try sample.openError()
        #expect(error?.code == .invalidField)
        #expect(error?.field == "virtual_disk_size")
    }

    @Test func truncatedFile() throws {
        let sample = try Sample()
        try FileHandle(forWritingTo: URL(fileURLWithPath: sample.path)).truncate(atOffset: 300 << 10)
        let error = try sample.openError()
        #expect(error?.code == .truncated)
    }
}
