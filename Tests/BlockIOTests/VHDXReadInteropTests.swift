import BlockIO
import Foundation
import Testing
import _TestSupport

/// Every VHDX qemu-img writes reads back byte-identical to `qemu-img convert -O raw`, and its facts agree with
/// `qemu-img info` and `vhdiinfo`; opening never changes the file.
@Suite struct VHDXReadInteropTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var size: UInt64
        var blockSize: UInt64
        var fixed: Bool
        var testDescription: String {
            "\(size >> 20) MiB, \(blockSize >> 20) MiB blocks, \(fixed ? "fixed" : "dynamic")"
        }
    }

    static let cases: [Case] = [
        Case(size: 64 << 20, blockSize: 1 << 20, fixed: false),
        Case(size: (100 << 20) + 4096, blockSize: 8 << 20, fixed: false),  // a partial last block
        Case(size: 72 << 20, blockSize: 32 << 20, fixed: false),
        Case(size: 264 << 20, blockSize: 256 << 20, fixed: false),
        Case(size: 20 << 20, blockSize: 1 << 20, fixed: true),
        Case(size: 40 << 20, blockSize: 32 << 20, fixed: true),
    ]

    @Test(arguments: cases) func readsLikeQemu(_ testCase: Case) throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("disk.vhdx")
        let subformat = testCase.fixed ? "fixed" : "dynamic"
        try VHDXFixture.qemuCreate(
            path, size: "\(testCase.size)",
            options: "block_size=\(testCase.blockSize),log_size=1M,subformat=\(subformat)")
        let block = testCase.blockSize
        // The first sectors, 1 MiB at 3 MiB, across the first block boundary, the last sectors.
        try VXWrites.apply(
            path,
            [(0x5A, 3 << 20, 1 << 20), (0xA5, 0, 4096), (0x3C, block - 2048, 8192), (0x77, testCase.size - 4096, 4096)])
        let before = try FileDigest.sha256(path)

        let image = try VHDFixture.open(path: path)
        #expect(image.format == .vhdx)
        let vhdx = try #require(image.vhdx)
        let qemu = try VHDXFixture.qemuInfo(path)
        #expect(image.device.size == qemu.virtualSize)
        #expect(UInt64(vhdx.structure.metadata.blockSize) == qemu.clusterSize)
        #expect(vhdx.diskType == subformat)
        let libvhdi = try VHDXFixture.vhdiinfo(path)
        #expect(libvhdi["Media size"] == "\(image.device.size)")
        #expect(libvhdi["Bytes per sector"] == "\(vhdx.structure.metadata.logicalSectorSize)")
        #expect(libvhdi["Disk type"]?.lowercased() == subformat)
        #expect(libvhdi["Identifier"] == vhdx.structure.header.dataWriteGUID.description)
        #expect(image.warnings.isEmpty)
        let difference = try VHDXFixture.firstDifference(image.device, qemuImage: path, in: dir)
        #expect(difference == nil, "first difference at \(difference ?? 0)")
        #expect(try FileDigest.sha256(path) == before, "opening and reading never writes the file")
    }

    /// `qemu-img convert -O vhdx` of a raw file holding random data (and holes) reads back as that raw file.
    @Test(arguments: ["dynamic", "fixed"]) func convertedFromRandomRaw(_ subformat: String) throws {
        let dir = try TemporaryDirectory()
        let raw = dir.file("source.raw")
        var generator = SeededGenerator(seed: 21)
        let handle = try { () throws -> FileHandle in
            _ = FileManager.default.createFile(atPath: raw, contents: nil)
            return try FileHandle(forWritingTo: URL(fileURLWithPath: raw))
        }()
        for (offset, length) in [(0, 1 << 20), (5 << 20, 3 << 20), ((31 << 20) + 512, 1536), ((48 << 20) - 4096, 4096)]
        {
            try handle.seek(toOffset: UInt64(offset))
            handle.write(Data((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }))
        }
        try handle.truncate(atOffset: 48 << 20)
        try handle.close()
        let path = dir.file("disk.vhdx")
        try ExternalTool.check([
            "qemu-img", "convert", "-f", "raw", "-O", "vhdx", "-o", "subformat=\(subformat)", raw, path,
        ])
        let image = try VHDFixture.open(path: path)
        #expect(image.device.size == 48 << 20)
        let ours = try VHDFixture.readAll(image.device)
        let same = ours == [UInt8](try Data(contentsOf: URL(fileURLWithPath: raw)))  // a Bool: no 48 MiB diff
        #expect(same)
    }

    /// 4 KiB logical sectors: qemu 7.2 neither creates nor reads them, so the logical sector size item of a
    /// qemu image is changed to 4096 in a copy (below one chunk the payload layout does not depend on it):
    /// libvhdi reports the new sector size, and the copy reads as qemu reads the original.
    @Test func fourKiBLogicalSectors() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("disk.vhdx")
        try VHDXFixture.qemuCreate(path, size: "96M", options: "block_size=8M,log_size=1M")
        try VXWrites.apply(
            path, [(0x5A, 3 << 20, 1 << 20), (0x3C, (8 << 20) - 4096, 8192), (0x77, (96 << 20) - 4096, 4096)])
        let copy = dir.file("4k.vhdx")
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        let item = try VHDXFixture.metadataItemOffset(copy, data1: 0x8141_BF1D)
        try VHDFixture.patch(copy, at: item, VHDXFixture.littleEndian(4096, count: 4))
        let image = try VHDFixture.open(path: copy)
        #expect(image.vhdx?.structure.metadata.logicalSectorSize == 4096)
        #expect(image.vhdx?.structure.metadata.chunkRatio == (1 << 23) * 4096 / (8 << 20))
        #expect(try VHDXFixture.vhdiinfo(copy)["Bytes per sector"] == "4096")
        let difference = try VHDXFixture.firstDifference(image.device, qemuImage: path, in: dir)
        #expect(difference == nil, "first difference at \(difference ?? 0)")
    }

    /// VHDX → fixed VHD for Azure: `qemu-img compare` finds the output identical to the source, and the output
    /// is a whole number of MiB plus the footer.
    @Test func convertsToFixedVHDForAzure() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("disk.vhdx")
        try VHDXFixture.qemuCreate(path, size: "\((40 << 20) + 4096)", options: "block_size=1M,log_size=1M")
        try VXWrites.apply(path, [(0x5A, 3 << 20, 1 << 20), (0x3C, (1 << 20) - 512, 1024), (0x77, 40 << 20, 4096)])
        let output = dir.file("azure.vhd")
        var options = ImageConverter.Options(format: .fixed)
        options.roundToMiB = true
        let report = try ImageConverter.convert(source: path, destination: output, options: options)
        #expect(report.sourceFormat == .vhdx)
        #expect(report.virtualSize == 41 << 20)
        #expect(try VHDFixture.length(output) == (41 << 20) + 512)
        let compare = try ExternalTool.run(["qemu-img", "compare", "-f", "vhdx", "-F", "vpc", path, output])
        #expect(compare.status == 0, "\(compare.output) \(compare.stderr)")
    }

    /// Writing is refused, naming the convert command; the file is not touched.
    @Test func writableOpenIsRefused() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("disk.vhdx")
        try VHDXFixture.qemuCreate(path, size: "8M", options: "block_size=1M")
        let before = try FileDigest.sha256(path)
        let error = #expect(throws: BlockIOError.self) { try DiskImage.open(path: path, writable: true) }
        #expect(error?.code == .readOnlyFormat)
        #expect(error?.description.contains("vhdedit convert") == true)
        #expect(try FileDigest.sha256(path) == before)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["disk.vhdx"], "no journal left beside it")
    }
}

/// qemu-io writes for the VHDX tests.
enum VXWrites {
    static func apply(_ path: String, _ writes: [(pattern: UInt8, offset: UInt64, length: UInt64)]) throws {
        var arguments = ["qemu-io", "-f", "vhdx"]
        for write in writes { arguments += ["-c", "write -P \(write.pattern) \(write.offset) \(write.length)"] }
        try ExternalTool.check(arguments + [path])
    }
}
