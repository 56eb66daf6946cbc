import Foundation
import HostSystem
import Testing
import _TestSupport

@testable import BlockIO

/// Stored runs copied together (``HostFileCalls/copyNonZero(from:to:runs:granule:sharing:inKernel:)``): a
/// dynamic VHD's 2 MiB blocks shared out between threads give the bytes and the holes that one run at a time
/// gives, by the kernel's copy and by writes from the mapping; and ``CopyMethodTrial`` times both and settles.
@Suite struct BatchedCopyTests {
    /// `count` bytes of pseudo-random data with all-zero 4 KiB pieces every seventh piece and on both sides of
    /// every 2 MiB boundary.
    static func pattern(count: Int, seed: UInt64) -> [UInt8] {
        var bytes = VHDFixture.pseudoRandom(count: count, seed: seed)
        for piece in 0..<(count / 4096) {
            let start = piece * 4096
            let nearBlockEdge = (start + 4096) % (2 << 20) == 0 || start % (2 << 20) == 0
            if piece % 7 == 3 || nearBlockEdge {
                bytes.replaceSubrange(start..<start + 4096, with: repeatElement(0, count: 4096))
            } else {
                bytes[start + piece % 4096] |= 1
            }
        }
        return bytes
    }

    @Test(arguments: [true, false])
    func runsWithGapsBetweenThemCopyLikeOneAtATime(inKernel: Bool) throws {
        // Twelve 2 MiB runs, 512 bytes apart in the source (a dynamic VHD's bitmaps), to consecutive places of
        // the output: copied together (split over threads) and one by one.
        let dir = try TemporaryDirectory()
        let runLength = 2 << 20
        let data = Self.pattern(count: 12 * runLength, seed: 31)
        var source = [UInt8](repeating: 0xEE, count: 512)
        var runs: [HostFileCalls.CopyRun] = []
        for index in 0..<12 {
            runs.append(
                .init(sourceOffset: UInt64(source.count), offset: UInt64(index * runLength), count: runLength))
            source += data[(index * runLength)..<((index + 1) * runLength)]
            source += [UInt8](repeating: 0xBB, count: 512)
        }
        try Data(source).write(to: URL(fileURLWithPath: dir.file("source.bin")))
        let input = try HostFile(path: dir.file("source.bin"), access: .readOnly)
        var results: [(bytes: [UInt8], ranges: [Range<UInt64>], written: Int)] = []
        for batched in [true, false] {
            let path = dir.file(batched ? "together.raw" : "apart.raw")
            // The output is closed (dropped) before it is read back.
            let written = try { () throws -> Int in
                let output = try HostFile(path: path, access: .createNew)
                try output.setLength(UInt64(data.count))
                var sharing = false
                var kernel = inKernel
                if batched {
                    return try #require(
                        try output.copyNonZero(from: input, runs: runs, sharing: &sharing, inKernel: &kernel)
                    ).written
                }
                var written = 0
                for run in runs {
                    written += try #require(
                        try output.copyNonZero(from: input, runs: [run], sharing: &sharing, inKernel: &kernel)
                    ).written
                }
                return written
            }()
            results.append(
                (try ConvertCopyPathTests.contents(path), try ConvertCopyPathTests.dataRanges(path), written))
        }
        #expect(results[0].bytes == data)
        #expect(results[1].bytes == data)
        #expect(results[0].ranges == results[1].ranges)
        #expect(results[0].written == results[1].written)
        let zeroPieces = stride(from: 0, to: data.count, by: 4096).filter { start in
            data[start..<start + 4096].allSatisfy { $0 == 0 }
        }
        #expect(results[0].written == data.count - zeroPieces.count * 4096)
    }

    @Test func aDynamicVHDMadeByQemuConvertsToTheSameRawMappedAndRead() throws {
        // 48 MiB in 24 blocks: more than the two 16 MiB trials, so both copy methods and the chosen one run.
        let dir = try TemporaryDirectory()
        let data = Self.pattern(count: 48 << 20, seed: 32)
        try Data(data).write(to: URL(fileURLWithPath: dir.file("source.raw")))
        try ExternalTool.check([
            "qemu-img", "convert", "-f", "raw", "-O", "vpc", "-o", "subformat=dynamic,force_size=on",
            dir.file("source.raw"), dir.file("source.vhd"),
        ])
        let mapped = try ImageConverter.convert(
            source: dir.file("source.vhd"), destination: dir.file("mapped.raw"),
            options: .init(format: .raw, sync: false))
        let read = try ImageConverter.convert(
            source: dir.file("source.vhd"), destination: dir.file("read.raw"),
            options: .init(format: .raw, sync: false, mappedCopy: false))
        #expect(mapped.bytesMapped == mapped.bytesWritten && mapped.bytesMapped > 0)
        #expect(mapped.bytesWritten == read.bytesWritten)
        #expect(try ConvertCopyPathTests.contents(dir.file("mapped.raw")) == data)
        #expect(
            try ConvertCopyPathTests.dataRanges(dir.file("mapped.raw"))
                == ConvertCopyPathTests.dataRanges(dir.file("read.raw")))
        let compare = try ExternalTool.run([
            "qemu-img", "compare", "-f", "vpc", "-F", "raw", dir.file("source.vhd"), dir.file("mapped.raw"),
        ])
        #expect(compare.status == 0, "\(compare.output)")
    }

    @Test func theTrialTimesTheWritesThenTheKernelThenSettles() {
        var trial = CopyMethodTrial()
        #expect(!trial.prefersKernel && !trial.isDecided)
        trial.copied(bytes: 2 << 20, inKernel: false)  // starts the clock
        for _ in 0..<8 { trial.copied(bytes: 2 << 20, inKernel: false) }
        #expect(trial.prefersKernel && !trial.isDecided, "16 MiB written: now the kernel's copy")
        trial.copied(bytes: 2 << 20, inKernel: false)  // not the method asked for: ignored
        #expect(trial.prefersKernel)
        for _ in 0..<8 { trial.copied(bytes: 2 << 20, inKernel: true) }
        #expect(trial.isDecided)
        let choice = trial.prefersKernel
        trial.copied(bytes: 64 << 20, inKernel: choice)
        #expect(trial.isDecided && trial.prefersKernel == choice, "decided once")
    }
}

/// A dynamic VHD's bitmap cache: direct-mapped, a block that shares a slot replaces the one there.
@Suite struct BitmapSlotsTests {
    @Test func aBlockSharingASlotReplacesTheOneThere() {
        var slots = BitmapSlots()
        let first = SectorBitmap(byteCount: 512, filled: true)
        let second = SectorBitmap(byteCount: 512, filled: false)
        #expect(slots[7] == nil)
        slots.keep(first, ofBlock: 7)
        slots.keep(second, ofBlock: 8)
        #expect(slots[7] == first && slots[8] == second)
        slots.keep(second, ofBlock: 7 + 4096)  // the same slot as block 7
        #expect(slots[7] == nil && slots[7 + 4096] == second && slots[8] == second)
        slots.keep(first, ofBlock: 7)
        #expect(slots[7] == first && slots[7 + 4096] == nil)
    }
}
