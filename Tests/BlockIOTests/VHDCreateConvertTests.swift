import BlockIO
import Foundation
import Testing
import _TestSupport

/// Images we write, judged by qemu-img (compare, info, convert) and libvhdi (vhdiinfo).
@Suite struct VHDCreateConvertTests {
    /// Sizes: CHS-representable, not representable, not a MiB multiple, a sector-odd byte count.
    static let sizes: [UInt64] = [1 << 20, 67_125_248, 64 << 20, 100 << 20, 3_000_000, 134_250_496, 5_000_192]

    @Test(arguments: sizes) func createdImagesHaveTheSameSizeEverywhere(size: UInt64) throws {
        let dir = try TemporaryDirectory()
        for kind in [ImageCreator.Kind.fixed(size: size), .dynamic(size: size)] {
            let path = dir.file("new.vhd")
            let report = try ImageCreator.create(kind, at: path, overwrite: true)
            let expected = (size + 511) / 512 * 512
            #expect(report.virtualSize == expected)
            #expect(try VHDFixture.qemuVirtualSize(path) == expected)
            #expect(try VHDFixture.vhdiinfoSize(path) == expected)
            #expect(try VHDFixture.open(path: path).device.size == expected)
            if case .fixed = kind {
                #expect(try VHDFixture.length(path) == expected + 512)
                // Sparse: the data area is a hole.
                let used = try ExternalTool.check(["du", "-k", path]).output.split(separator: "\t")[0]
                #expect((Int(used) ?? .max) < 64)
            }
        }
    }

    @Test func createRefusesExistingDestinationAndAbsurdSizes() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("exists.vhd")
        try ImageCreator.create(.dynamic(size: 1 << 20), at: path)
        let digest = try FileDigest.sha256(path)
        #expect(throws: BlockIOError.self) { try ImageCreator.create(.dynamic(size: 2 << 20), at: path) }
        #expect(try FileDigest.sha256(path) == digest)
        do {
            try ImageCreator.create(.fixed(size: 3 << 40), at: dir.file("huge.vhd"))
            Issue.record("3 TiB accepted")
        } catch {
            #expect(error.code == .tooLarge)
        }
        // No temporary files left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["exists.vhd"])
    }

    /// A raw disk with data, a hole and a tail that is not a whole MiB.
    static func makeRaw(_ path: String, size: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: size)
        let head = VHDFixture.pseudoRandom(count: 1_500_000, seed: 5)
        bytes.replaceSubrange(0..<head.count, with: head)
        let middle = VHDFixture.pseudoRandom(count: 70_000, seed: 6)
        bytes.replaceSubrange((5 << 20)..<((5 << 20) + middle.count), with: middle)
        bytes.replaceSubrange((size - 100)..<size, with: [UInt8](repeating: 0xEE, count: 100))
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        // Make the zero run in the middle a real hole.
        try ExternalTool.check(["fallocate", "--dig-holes", path])
        return bytes
    }

    @Test(arguments: ImageConverter.OutputFormat.allCases) func rawConvertsToEveryFormat(
        format: ImageConverter.OutputFormat
    ) throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("source.raw")
        let size = 9 * (1 << 20) + 4096  // not a MiB multiple
        _ = try Self.makeRaw(source, size: size)
        let destination = dir.file("out.\(format.rawValue)")
        let report = try ImageConverter.convert(
            source: source, destination: destination, options: .init(format: format))
        #expect(report.virtualSize == UInt64(size))
        #expect(!report.rounded)
        let qemuFormat = format == .raw ? "raw" : "vpc"
        let compare = try ExternalTool.run(["qemu-img", "compare", "-f", "raw", "-F", qemuFormat, source, destination])
        #expect(compare.status == 0, "\(compare.output)\(compare.stderr)")
        #expect(try VHDFixture.qemuVirtualSize(destination, format: qemuFormat) == UInt64(size))
        if format != .raw { #expect(try VHDFixture.vhdiinfoSize(destination) == UInt64(size)) }
        // Sparse output: far less on disk than the virtual size.
        let used = try ExternalTool.check(["du", "-k", destination]).output.split(separator: "\t")[0]
        #expect((Int(used) ?? .max) < 5 * 1024)
        if format == .dynamic {
            // Blocks 0 (head) and 2 (middle) and 4 (tail) only.
            #expect(report.allocatedBlocks == 3)
        }
    }

    @Test func roundToMiBForAzure() throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("source.raw")
        let size = 100_000_000
        try ExternalTool.check(["truncate", "-s", "\(size)", source])
        try VHDFixture.patch(source, at: UInt64(size - 10), [1, 2, 3])
        let destination = dir.file("azure.vhd")
        let report = try ImageConverter.convert(
            source: source, destination: destination, options: .init(format: .fixed, roundToMiB: true))
        let mib: UInt64 = 96 << 20  // 100000000 rounded up to 96 MiB (100663296)
        #expect(report.virtualSize == mib)
        #expect(report.rounded)
        #expect(report.notes.contains { $0.contains("whole MiB") })
        #expect(try VHDFixture.length(destination) == mib + 512)
        #expect(try VHDFixture.qemuVirtualSize(destination) == mib)
        let back = try VHDFixture.qemuRaw(destination, in: dir)
        #expect(back.count == Int(mib))
        #expect(Array(back[(size - 10)..<(size - 7)]) == [1, 2, 3])
        #expect(back[size...].allSatisfy { $0 == 0 })
    }

    @Test(arguments: ["subformat=dynamic", "subformat=fixed", "subformat=fixed,force_size=on"])
    func qemuImagesConvertBackIdentically(options: String) throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("qemu.vhd")
        try VHDFixture.qemuCreate(source, size: "7M", options: options)
        try VHDFixture.qemuWrite(source, pattern: 0x81, offset: 1 << 20, length: 300_000)
        try VHDFixture.qemuWrite(source, pattern: 0x82, offset: 6 << 20, length: 512)
        let expected = try VHDFixture.qemuRaw(source, in: dir)
        for format in ImageConverter.OutputFormat.allCases {
            let destination = dir.file("out.\(format.rawValue)")
            try ImageConverter.convert(source: source, destination: destination, options: .init(format: format))
            let qemuFormat = format == .raw ? "raw" : "vpc"
            #expect(try VHDFixture.qemuRaw(destination, in: dir, format: qemuFormat) == expected)
            let compare = try ExternalTool.run([
                "qemu-img", "compare", "-f", "vpc", "-F", qemuFormat, source, destination,
            ])
            #expect(compare.status == 0, "\(compare.stderr)")
        }
    }

    @Test func failedConversionLeavesNoDestination() throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("broken.vhd")
        try VHDFixture.qemuCreate(source, size: "3M")
        try VHDFixture.patch(source, at: 512, Array("garbage!".utf8))  // header cookie
        #expect(throws: BlockIOError.self) {
            try ImageConverter.convert(source: source, destination: dir.file("out.vhd"), options: .init(format: .fixed))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["broken.vhd"])
    }

    @Test func progressIsReportedUpToTheTotal() throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("source.raw")
        _ = try Self.makeRaw(source, size: 6 << 20)
        final class Log: @unchecked Sendable { var calls: [(UInt64, UInt64)] = [] }
        let log = Log()
        try ImageConverter.convert(
            source: source, destination: dir.file("out.vhd"),
            options: .init(format: .dynamic, bufferSize: 1 << 20, progress: { log.calls.append(($0, $1)) }))
        #expect(log.calls.count >= 2)
        #expect(log.calls.last.map { $0.0 == $0.1 && $0.1 == 6 << 20 } == true)
        #expect(zip(log.calls, log.calls.dropFirst()).allSatisfy { $0.0.0 <= $0.1.0 })
    }

    /// Holes of the source are skipped, not read: a 1 TiB sparse raw file with two data runs converts in moments.
    @Test func sparseTerabyteRawConvertsByItsDataRanges() throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("huge.raw")
        try ExternalTool.check(["truncate", "-s", "1T", source])
        try VHDFixture.patch(source, at: 0, [UInt8](repeating: 0x61, count: 4096))
        try VHDFixture.patch(source, at: 700 << 30, [UInt8](repeating: 0x62, count: 4096))
        let destination = dir.file("huge.vhd")
        let report = try ImageConverter.convert(
            source: source, destination: destination, options: .init(format: .dynamic))
        #expect(report.allocatedBlocks == 2)
        #expect(report.virtualSize == 1 << 40)
        let check = try ExternalTool.run([
            "qemu-io", "-f", "vpc", "-c", "read -P 0x61 0 4096", "-c", "read -P 0x62 \(700 << 30) 4096",
            "-c", "read -P 0 \(700 << 30 + 4096) 4096", destination,
        ])
        #expect(check.status == 0)
        #expect(!check.output.contains("failed"))
        #expect(try VHDFixture.qemuVirtualSize(destination) == 1 << 40)
    }

    /// qemu-img's largest VHD: 2040 GiB, sparse. Opening reads the 4 MiB BAT, nothing in proportion to the size.
    @Test func largestQemuDynamicImageOpensReadsAndWrites() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("big.vhd")
        try VHDFixture.qemuCreate(path, size: "2040G")
        let size: UInt64 = 2_190_433_320_960
        do {
            let image = try VHDFixture.open(path: path, writable: true)
            #expect(image.device.size == size)
            #expect(try image.device.read(at: size - 4096, count: 4096) == [UInt8](repeating: 0, count: 4096))
            try image.device.write(at: size - 512, bytes: [UInt8](repeating: 0x5A, count: 512))
            try image.device.write(at: 1 << 40, bytes: [UInt8](repeating: 0x5B, count: 512))
            try image.commit()
        }
        let check = try ExternalTool.run([
            "qemu-io", "-f", "vpc", "-c", "read -P 0x5a \(size - 512) 512", "-c", "read -P 0x5b \(1 << 40) 512", path,
        ])
        #expect(check.status == 0)
        #expect(!check.output.contains("failed"))
        #expect(try VHDFixture.open(path: path).vhd?.structure.table?.allocatedCount == 2)
        #expect(try VHDFixture.length(path) < 16 << 20)
    }
}
