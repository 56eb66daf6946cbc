import Foundation
import Testing
import _TestSupport

@testable import BlockIO

/// The two ways convert takes the source's bytes: from a mapping of the source file (raw, fixed, fully present
/// dynamic blocks) and through the device's reads (everything else, or `mappedCopy: false`). Both must give the
/// same bytes and the same holes.
@Suite struct ConvertCopyPathTests {
    /// A raw disk: 3 MiB random, 1 MiB of written zero bytes (allocated in the file), a 2 MiB hole, 100 000
    /// random bytes, a hole, and a tail that is not a whole 4 KiB piece (but whole sectors: a VHD of it keeps
    /// its size).
    static func makeRaw(_ path: String) throws -> [UInt8] {
        let size = 9 * (1 << 20) + 1536
        var bytes = [UInt8](repeating: 0, count: size)
        bytes.replaceSubrange(0..<(3 << 20), with: VHDFixture.pseudoRandom(count: 3 << 20, seed: 11))
        bytes.replaceSubrange(
            (6 << 20)..<((6 << 20) + 100_000), with: VHDFixture.pseudoRandom(count: 100_000, seed: 12))
        bytes.replaceSubrange((size - 700)..<size, with: [UInt8](repeating: 0xA5, count: 700))
        try ExternalTool.check(["truncate", "-s", "\(size)", path])
        try VHDFixture.patch(path, at: 0, Array(bytes[0..<(4 << 20)]))  // the zero MiB is written, not a hole
        try VHDFixture.patch(path, at: 6 << 20, Array(bytes[(6 << 20)..<((6 << 20) + 100_000)]))
        try VHDFixture.patch(path, at: UInt64(size - 700), Array(bytes[(size - 700)...]))
        return bytes
    }

    static func dataRanges(_ path: String) throws -> [Range<UInt64>] {
        try HostFile(path: path, access: .readOnly).dataRanges()
    }

    static func contents(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

    /// The file's bytes without its footers (the last 512 bytes, and the copy at 0 of a dynamic VHD): they hold
    /// a creation time and a unique ID that differ between two converts.
    static func withoutFooters(_ path: String, format: ImageConverter.OutputFormat) throws -> [UInt8] {
        let bytes = try contents(path)
        return Array(bytes[(format == .dynamic ? 512 : 0)..<(bytes.count - (format == .raw ? 0 : 512))])
    }

    @Test(arguments: ImageConverter.OutputFormat.allCases)
    func mappedCopyOfARawSourceGivesTheSameBytesAndHolesAsReads(format: ImageConverter.OutputFormat) throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("source.raw")
        let bytes = try Self.makeRaw(source)
        #expect(try Self.dataRanges(source).contains { $0.contains(3 << 20) }, "the written zeros are allocated")
        let mapped = dir.file("mapped.\(format.rawValue)")
        let read = dir.file("read.\(format.rawValue)")
        let viaMap = try ImageConverter.convert(source: source, destination: mapped, options: .init(format: format))
        let viaRead = try ImageConverter.convert(
            source: source, destination: read, options: .init(format: format, mappedCopy: false))
        #expect(viaMap.bytesMapped > 0 && viaMap.bytesMapped == viaMap.bytesWritten)
        #expect(viaRead.bytesMapped == 0)
        #expect(viaMap.bytesWritten == viaRead.bytesWritten)
        #expect(viaMap.allocatedBlocks == viaRead.allocatedBlocks)
        #expect(try Self.withoutFooters(mapped, format: format) == Self.withoutFooters(read, format: format))
        #expect(try Self.dataRanges(mapped) == Self.dataRanges(read))
        let qemuFormat = format == .raw ? "raw" : "vpc"
        let compare = try ExternalTool.run(["qemu-img", "compare", "-f", "raw", "-F", qemuFormat, source, mapped])
        #expect(compare.status == 0, "\(compare.output)\(compare.stderr)")
        if format == .raw {
            #expect(try Self.contents(mapped) == bytes)
            // Holes where the source has a hole and where it has written zeros; data everywhere else.
            let ranges = try Self.dataRanges(mapped)
            #expect(!ranges.contains { $0.overlaps((3 << 20)..<(6 << 20)) }, "\(ranges)")
            #expect(ranges.first == 0..<(3 << 20), "\(ranges)")
            #expect(
                ranges.contains { $0.contains(6 << 20) } && ranges.contains { $0.contains(UInt64(bytes.count - 1)) })
        }
    }

    /// Dynamic and fixed sources: blocks whose sectors are all present are mapped, others read. A differencing
    /// child with one fully written block, one partly written block and the rest from its parent.
    @Test func vhdSourcesMapWhatIsStoredAndReadTheRest() throws {
        let dir = try TemporaryDirectory()
        let raw = dir.file("source.raw")
        _ = try Self.makeRaw(raw)
        let dynamic = dir.file("dynamic.vhd")
        let fixed = dir.file("fixed.vhd")
        try ImageConverter.convert(source: raw, destination: dynamic, options: .init(format: .dynamic))
        try ImageConverter.convert(source: raw, destination: fixed, options: .init(format: .fixed))
        let direct = dir.file("direct.raw")
        try ImageConverter.convert(source: raw, destination: direct, options: .init(format: .raw, mappedCopy: false))
        for source in [dynamic, fixed] {
            let out = dir.file("back.raw")
            let report = try ImageConverter.convert(
                source: source, destination: out, options: .init(format: .raw, overwrite: true))
            #expect(report.bytesMapped > 0 && report.bytesMapped == report.bytesWritten, "\(source)")
            #expect(try Self.contents(out) == Self.contents(raw), "\(source)")
            #expect(try Self.dataRanges(out) == Self.dataRanges(direct), "\(source)")
        }
        try VHDFixture.retryingInUse { () throws(BlockIOError) in
            try ImageCreator.create(.differencing(parent: dynamic), at: dir.file("child.vhd"))
        }
        do {
            let child = try VHDFixture.open(path: dir.file("child.vhd"), writable: true)
            try child.device.write(at: 2 << 20, bytes: VHDFixture.pseudoRandom(count: 2 << 20, seed: 13))  // block 1
            try child.device.write(at: (4 << 20) + 5000, bytes: [7, 7, 7])  // block 2, one 4 KiB piece
            try child.commit()
        }
        let model = try VHDFixture.readAll(VHDFixture.open(path: dir.file("child.vhd")).device)
        for format in ImageConverter.OutputFormat.allCases {
            let mapped = dir.file("child-mapped.\(format.rawValue)")
            let read = dir.file("child-read.\(format.rawValue)")
            let viaMap = try ImageConverter.convert(
                source: dir.file("child.vhd"), destination: mapped, options: .init(format: format))
            let viaRead = try ImageConverter.convert(
                source: dir.file("child.vhd"), destination: read, options: .init(format: format, mappedCopy: false))
            #expect(viaMap.bytesMapped == 2 << 20, "only the fully written block is taken from the child's file")
            #expect(viaMap.bytesWritten == viaRead.bytesWritten)
            #expect(try Self.withoutFooters(mapped, format: format) == Self.withoutFooters(read, format: format))
            #expect(try Self.dataRanges(mapped) == Self.dataRanges(read))
            let back = format == .raw ? try Self.contents(mapped) : try VHDFixture.qemuRaw(mapped, in: dir)
            #expect(back == model, "\(format)")
        }
    }

    /// A source cut short under the mapping (here: a range past its end) is reported as truncated; the SIGBUS
    /// is caught, the process goes on, and a second fault is caught as well.
    @Test func aSourceCutShortIsAnErrorNotACrash() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("short.raw")
        try Data(VHDFixture.pseudoRandom(count: 8192, seed: 14)).write(to: URL(fileURLWithPath: path))
        let source = try HostFile(path: path, access: .readOnly)
        let output = try HostFile(path: dir.file("out.raw"), access: .createNew)
        var sharing = false
        for _ in 0..<2 {
            #expect {
                _ = try output.copyNonZero(from: source, at: 0, count: 1 << 20, to: 0, sharing: &sharing)
            } throws: { ($0 as? BlockIOError)?.code == .truncated }
        }
        // What lies inside the file still copies, from an offset that is not page aligned.
        #expect(try output.copyNonZero(from: source, at: 512, count: 4096, to: 0, sharing: &sharing)?.written == 4096)
        #expect(
            try VHDFixture.bytes(dir.file("out.raw"), at: 0, count: 4096)
                == VHDFixture.bytes(path, at: 512, count: 4096))
    }

    /// Copies of 1 MiB or more are split over the cores (contiguous parts of at least 512 KiB, copied at once):
    /// the mapped copy and the buffer writer leave exactly the all-zero 4 KiB pieces as holes, also next to the
    /// split points (data runs across some of them) and from a source offset that is not page aligned. Oracle:
    /// the kernel's `SEEK_DATA`/`SEEK_HOLE` and the bytes read back.
    @Test func splitCopiesLeaveExactlyTheZeroPiecesAsHoles() throws {
        let dir = try TemporaryDirectory()
        let granule = 4096
        let count = 8 << 20
        var pattern = [UInt8](repeating: 0, count: count)
        let random = VHDFixture.pseudoRandom(count: count, seed: 21)
        var nonZero: [Bool] = []
        for piece in 0..<(count / granule) {
            let start = piece * granule
            // Zero pieces on either side of the odd 512 KiB boundaries, and every fifth piece: runs of data cross
            // some MiB boundaries (where the parts of a split meet) and stop at others.
            let nearBoundary = start % (1 << 20) == (512 << 10) || (start + granule) % (1 << 20) == (512 << 10)
            let filled = !nearBoundary && piece % 5 != 2
            nonZero.append(filled)
            if filled {
                pattern.replaceSubrange(start..<start + granule, with: random[start..<start + granule])
                pattern[start + (piece % granule)] |= 1  // never a whole zero piece by chance
            }
        }
        var expected: [Range<UInt64>] = []
        for (piece, filled) in nonZero.enumerated() where filled {
            expected.appendMerging(UInt64(piece * granule)..<UInt64((piece + 1) * granule))
        }
        let sourcePath = dir.file("source.raw")
        // 512 bytes ahead of the pattern: the copy starts off a page. Every byte is written (no holes).
        try Data([UInt8](repeating: 0xEE, count: 512) + pattern).write(to: URL(fileURLWithPath: sourcePath))
        let mappedPath = dir.file("mapped.raw")
        let writtenPath = dir.file("written.raw")
        // The outputs have their length first: writes inside it are split (extending ones are not).
        let copied = try {
            let source = try HostFile(path: sourcePath, access: .readOnly)
            let mapped = try HostFile(path: mappedPath, access: .createNew)
            try mapped.setLength(UInt64(count))
            var sharing = false
            return try #require(try mapped.copyNonZero(from: source, at: 512, count: count, to: 0, sharing: &sharing))
        }()
        let put = try {
            let written = try HostFile(path: writtenPath, access: .createNew)
            try written.setLength(UInt64(count))
            return try pattern.withUnsafeBytes { try SparseWriter.writeNonZero($0, to: written, at: 0) }
        }()
        let filledBytes = nonZero.filter { $0 }.count * granule
        #expect(copied.written == filledBytes && put == filledBytes)
        for path in [mappedPath, writtenPath] {
            #expect(try Self.contents(path) == pattern, "\(path)")
            #expect(try Self.dataRanges(path) == expected, "\(path)")
        }
    }

    /// Stored runs are written from the mapping (`pwrite`) for the first 16 MiB and copied by the kernel
    /// (`copy_file_range`, page cache to page cache) for the next 16 MiB, both seen by strace, before the
    /// cheaper is kept (``CopyMethodTrial``); a small copy only writes. The outputs are what qemu-img reads from
    /// the sources.
    @Test(.enabled(if: CrashHarness.available(subcommand: "convert")))
    func storedRunsAreWrittenThenCopiedByTheKernelWhileTheMethodIsTimed() throws {
        let dir = try TemporaryDirectory()
        let small = dir.file("small.raw")
        _ = try Self.makeRaw(small)
        let large = dir.file("large.raw")
        try Data(VHDFixture.pseudoRandom(count: 40 << 20, seed: 14)).write(to: URL(fileURLWithPath: large))
        for (source, both) in [(small, false), (large, true)] {
            let output = dir.file("out-\(both).vhd")
            let counts = try CrashHarness.countCalls(["convert", source, output, "--to", "fixed"], environment: [:])
            #expect(counts["pwrite64", default: 0] > 0, "\(counts)")
            #expect((counts["copy_file_range", default: 0] > 0) == both, "\(counts)")
            let compare = try ExternalTool.run(["qemu-img", "compare", "-f", "raw", "-F", "vpc", source, output])
            #expect(compare.status == 0, "\(compare.output)\(compare.stderr)")
        }
    }

    /// `sync: false` (`--no-sync`): the same output, no fsync of the data or the folder.
    @Test func withoutSyncTheOutputIsTheSame() throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("source.raw")
        _ = try Self.makeRaw(source)
        let report = try ImageConverter.convert(
            source: source, destination: dir.file("out.raw"), options: .init(format: .raw, sync: false))
        #expect(!report.synced)
        #expect(try Self.contents(dir.file("out.raw")) == Self.contents(source))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["out.raw", "source.raw"])
    }

    /// The CLI's `--no-sync` makes no fsync at all; the default syncs the data and the folder.
    @Test(.enabled(if: CrashHarness.available(subcommand: "convert")))
    func noSyncMakesNoFsync() throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("source.raw")
        _ = try Self.makeRaw(source)
        let durable = try CrashHarness.countCalls(
            ["convert", source, dir.file("durable.vhd"), "--to", "dynamic"], environment: [:])
        let unsynced = try CrashHarness.countCalls(
            ["convert", source, dir.file("unsynced.vhd"), "--to", "dynamic", "--no-sync"], environment: [:])
        #expect(durable["fsync", default: 0] >= 2, "\(durable)")
        #expect(unsynced["fsync", default: 0] + unsynced["fdatasync", default: 0] == 0, "\(unsynced)")
        #expect(
            unsynced["renameat", default: 0] + unsynced["rename", default: 0] + unsynced["renameat2", default: 0] == 1)
        let compare = try ExternalTool.run(
            ["qemu-img", "compare", "-f", "raw", "-F", "vpc", source, dir.file("unsynced.vhd")])
        #expect(compare.status == 0, "\(compare.output)")
    }

    /// On a reflink filesystem (XFS on a loop device, where this machine allows mounting one) the non-zero runs of
    /// a raw source are shared with it, not written: same bytes, same holes (written zeros too), and a source
    /// rewritten afterwards leaves the output as it was (copy-on-write).
    @Test(.enabled(if: ReflinkFolder.shared != nil))
    func onAReflinkFilesystemRunsAreSharedNotCopied() throws {
        let folder = try #require(ReflinkFolder.shared)
        let source = folder.file("source-\(UInt32.random(in: 0...UInt32.max)).raw")
        defer { try? FileManager.default.removeItem(atPath: source) }
        let bytes = try Self.makeRaw(source)
        for format in ImageConverter.OutputFormat.allCases {
            let shared = folder.file("shared-\(UInt32.random(in: 0...UInt32.max)).\(format.rawValue)")
            defer { try? FileManager.default.removeItem(atPath: shared) }
            // The read copy on the same filesystem: XFS and ext4 report holes at different granularity.
            let read = folder.file("read-\(UInt32.random(in: 0...UInt32.max)).\(format.rawValue)")
            defer { try? FileManager.default.removeItem(atPath: read) }
            let report = try ImageConverter.convert(source: source, destination: shared, options: .init(format: format))
            try ImageConverter.convert(
                source: source, destination: read, options: .init(format: format, mappedCopy: false))
            if format == .dynamic {
                // Block data lies 512 bytes past a block boundary of the file: not shareable, written.
                #expect(report.bytesShared == 0)
            } else {
                #expect(report.bytesShared > 0 && report.bytesShared == report.bytesWritten, "\(format)")
            }
            #expect(try Self.withoutFooters(shared, format: format) == Self.withoutFooters(read, format: format))
            #expect(try Self.dataRanges(shared) == Self.dataRanges(read), "\(format)")
        }
        // Copy-on-write: the output keeps its bytes when the source changes.
        let output = folder.file("cow-\(UInt32.random(in: 0...UInt32.max)).raw")
        defer { try? FileManager.default.removeItem(atPath: output) }
        let report = try ImageConverter.convert(source: source, destination: output, options: .init(format: .raw))
        #expect(report.bytesShared > 0)
        try VHDFixture.patch(source, at: 4096, [UInt8](repeating: 0x5C, count: 8192))
        #expect(try Self.contents(output) == bytes)
    }
}

/// A folder on an XFS filesystem with reflink, made in a file and loop-mounted for the test run (root, a loop
/// device and mkfs.xfs needed; `nil` where any is missing or the mount is refused). Unmounted and removed at exit.
enum ReflinkFolder {
    struct Folder: Sendable {
        let path: String
        func file(_ name: String) -> String { "\(path)/\(name)" }
    }

    static let shared: Folder? = {
        guard getuid() == 0, FileManager.default.fileExists(atPath: "/dev/loop-control") else { return nil }
        let base = FileManager.default.temporaryDirectory.path + "/vhdedit-xfs-\(getpid())"
        let image = base + "/xfs.img"
        let mountPoint = base + "/mnt"
        guard (try? FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)) != nil,
            (try? ExternalTool.run(["truncate", "-s", "512M", image]))?.status == 0,
            (try? ExternalTool.run(["mkfs.xfs", "-q", "-m", "reflink=1", image]))?.status == 0,
            (try? ExternalTool.run(["mount", "-o", "loop", image, mountPoint]))?.status == 0
        else {
            try? FileManager.default.removeItem(atPath: base)
            return nil
        }
        atexit {
            let base = FileManager.default.temporaryDirectory.path + "/vhdedit-xfs-\(getpid())"
            _ = try? ExternalTool.run(["umount", base + "/mnt"])
            try? FileManager.default.removeItem(atPath: base)
        }
        return Folder(path: mountPoint)
    }()
}
