import BlockIO
import Foundation
import Testing
import _TestSupport

/// qcow2 images made by qemu-img and written by qemu-io read back byte-identical to `qemu-img convert -O raw`:
/// cluster sizes 512 B, 64 KiB and 2 MiB, version 2 (`compat=0.10`), extended L2 entries, compressed clusters
/// (zlib and zstd), zero clusters, backing chains over raw, qcow2 and VHD files. Converts to fixed VHD pass
/// `qemu-img compare`; `isKnownZero` never claims a byte qemu reads as data.
@Suite struct Qcow2ReadTests {
    /// qemu-io writes that touch cluster starts, a subcluster, a zero range and the last MiB.
    static let writes = [
        "write -P 0x11 0 1M", "write -P 0x22 3M 4k", "write -P 0x33 5000k 1k", "write -z 0 64k", "write -P 0x44 7M 1M",
    ]

    static func qemuIO(_ path: String, _ commands: [String], format: String = "qcow2") throws {
        try ExternalTool.check(["qemu-io", "-f", format] + commands.flatMap { ["-c", $0] } + [path])
    }

    /// 3 MiB of random bytes, 1 MiB of a pattern, zeros to 8 MiB: compressible and incompressible clusters.
    static func mixedRaw(_ path: String) throws {
        try ExternalTool.shell("head -c 3M /dev/urandom > \(path) && truncate -s 8M \(path)")
        try qemuIO(path, ["write -P 0x5a 4M 1M"], format: "raw")
    }

    /// Reads the whole image through BlockIO and compares it with qemu's raw conversion; then converts it to a
    /// fixed VHD and checks it with `qemu-img compare`.
    static func expectReadsLikeQemu(
        _ path: String, in dir: TemporaryDirectory, format: DiskImage.Format = .qcow2
    )
        throws
    {
        let expected = try VHDFixture.qemuRaw(path, in: dir, format: "qcow2")
        let image = try VHDFixture.open(path: path)
        #expect(image.format == format)
        #expect(image.device.size == UInt64(expected.count))
        let ours = try VHDFixture.readAll(image.device)
        #expect(ours == expected, "\(path): bytes differ from qemu-img convert -O raw")
        // Reads at odd offsets and lengths cross unit and run boundaries.
        var generator = SeededGenerator(seed: 21)
        for _ in 0..<64 {
            let offset = Int.random(in: 0..<expected.count, using: &generator)
            let count = Int.random(in: 1...min(300_000, expected.count - offset), using: &generator)
            let bytes = try image.device.read(at: UInt64(offset), count: count)
            #expect(bytes[...] == expected[offset..<offset + count], "\(path): read of \(count) at \(offset)")
        }
        // isKnownZero claims only zeros.
        var offset = 0
        while offset < expected.count {
            let end = min(offset + 65536, expected.count)
            if try image.device.isKnownZero(UInt64(offset)..<UInt64(end)) {
                #expect(expected[offset..<end].allSatisfy { $0 == 0 }, "\(path): known-zero range \(offset) holds data")
            }
            offset = end
        }
        let vhd = dir.file("out-\(UUID().uuidString).vhd")
        try ImageConverter.convert(
            source: path, destination: vhd, options: .init(format: .fixed, roundToMiB: true, sync: false))
        try ExternalTool.check(["qemu-img", "compare", "-q", "-f", "qcow2", "-F", "vpc", path, vhd])
        try FileManager.default.removeItem(atPath: vhd)
    }

    @Test(arguments: [
        "cluster_size=512", "cluster_size=65536", "cluster_size=2M", "compat=0.10", "compat=0.10,cluster_size=2M",
        "extended_l2=on", "extended_l2=on,cluster_size=2M",
    ])
    func qemuWrittenImagesReadLikeQemu(options: String) throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-qcow2")
        let path = dir.file("disk.qcow2")
        try ExternalTool.check(["qemu-img", "create", "-q", "-f", "qcow2", "-o", options, path, "8M"])
        try Self.qemuIO(path, Self.writes)
        try Self.expectReadsLikeQemu(path, in: dir)
        let image = try VHDFixture.open(path: path)
        let header = try #require(image.qcow2?.header)
        #expect(header.version == (options.contains("compat=0.10") ? 2 : 3))
        #expect(header.hasExtendedL2 == options.contains("extended_l2=on"))
    }

    @Test(arguments: ["zlib", "zstd"], ["512", "65536", "2M"])
    func compressedImagesReadLikeQemu(compression: String, clusterSize: String) throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-qcow2")
        let raw = dir.file("mixed.raw")
        try Self.mixedRaw(raw)
        let path = dir.file("disk.qcow2")
        try ExternalTool.check([
            "qemu-img", "convert", "-c", "-O", "qcow2", "-o",
            "compression_type=\(compression),cluster_size=\(clusterSize)",
            raw, path,
        ])
        try Self.expectReadsLikeQemu(path, in: dir)
        #expect(
            try VHDFixture.open(path: path).qcow2?.header.compressionType.rawValue == (compression == "zstd" ? 1 : 0))
    }

    @Test(arguments: ["raw", "qcow2", "vpc"])
    func backingChainsReadLikeQemu(baseFormat: String) throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-qcow2")
        let raw = dir.file("mixed.raw")
        try Self.mixedRaw(raw)
        let base = dir.file("base.\(baseFormat)")
        try ExternalTool.check(["qemu-img", "convert", "-O", baseFormat, raw, base])
        // A child larger than its base (reads past the base are zeros) and a grandchild.
        let child = dir.file("child.qcow2")
        try ExternalTool.check([
            "qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.\(baseFormat)", "-F", baseFormat, child, "12M",
        ])
        try Self.qemuIO(child, Self.writes)
        try Self.expectReadsLikeQemu(child, in: dir)
        let grandchild = dir.file("grandchild.qcow2")
        try ExternalTool.check([
            "qemu-img", "create", "-q", "-f", "qcow2", "-b", "child.qcow2", "-F", "qcow2", grandchild,
        ])
        try Self.qemuIO(grandchild, ["write -P 0x66 2M 64k", "write -z 7M 4k"])
        try Self.expectReadsLikeQemu(grandchild, in: dir)
        let image = try VHDFixture.open(path: grandchild)
        #expect(image.hostFiles == [grandchild, child, base])
        let info = ImageInfo(image: image)
        #expect(info.backingChain?.map(\.path) == [child, base])
    }

    @Test func aBackingFileOfAnotherFormatThanDeclaredIsRefused() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-qcow2")
        try ExternalTool.check(["qemu-img", "create", "-q", "-f", "raw", dir.file("base.img"), "8M"])
        let child = dir.file("child.qcow2")
        try ExternalTool.check(["qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.img", "-F", "raw", child])
        // Say the base is a qcow2 image: qemu-img rebase -u changes only the header.
        try ExternalTool.check(["qemu-img", "rebase", "-u", "-b", "base.img", "-F", "qcow2", child])
        #expect { try VHDFixture.open(path: child) } throws: { error in
            let error = error as? BlockIOError
            return error?.code == .parent && error?.field == "backing_file" && "\(error!)".contains("not a qcow2 image")
        }
        try FileManager.default.removeItem(atPath: dir.file("base.img"))
        #expect { try VHDFixture.open(path: child) } throws: { error in
            (error as? BlockIOError)?.code == .parent && "\(error)".contains("not found")
        }
    }

    /// Two L1 entries pointing at one L2 table (the third and the fifth made to share the first's) fail the open
    /// naming the first entry that repeats a table and the entry it repeats, whatever the entries' order on disk.
    @Test func l1EntriesSharingAnL2TableAreRefusedByEntry() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-qcow2")
        let path = dir.file("shared.qcow2")
        // 512-byte clusters: one L2 table maps 64 clusters (32 KiB), so writes 32 KiB apart get their own tables.
        try ExternalTool.check(["qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=512", path, "1M"])
        try Self.qemuIO(path, (0..<6).map { "write -P 0x\($0 + 1)\($0 + 1) \($0 * 32)k 512" })
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let l1Offset = Int(bytes[40..<48].reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        func entry(_ index: Int) -> ArraySlice<UInt8> { bytes[(l1Offset + 8 * index)..<(l1Offset + 8 * index + 8)] }
        try #require(Set((0..<6).map { Array(entry($0)) }).count == 6, "six L2 tables")
        var patched = bytes
        for index in [4, 2] {
            patched.replaceSubrange((l1Offset + 8 * index)..<(l1Offset + 8 * index + 8), with: entry(0))
        }
        try Data(patched).write(to: URL(fileURLWithPath: path))
        #expect { try VHDFixture.open(path: path) } throws: { error in
            let error = error as? BlockIOError
            return error?.code == .overlap && error?.field == "entry 2" && error?.offset == UInt64(l1Offset + 16)
                && "\(error!)".contains("is also the table of entry 0")
        }
    }
}
