import BlockIO
import Foundation
import Testing
import _TestSupport

/// A VHDX whose log holds an entry not yet applied reads as qemu's own replay (`qemu-img check -r all`) makes
/// it, without a byte of the file changing; torn and malformed entries are handled as the specification says.
@Suite struct VHDXLogReplayTests {
    /// The state qemu leaves when it dies after writing and flushing a log entry but before applying it:
    /// qemu-io makes an allocating write (data, log entry, then the BAT page in place, then a cleared log GUID);
    /// the copy gets back the BAT page from before the write and the current header's log GUID set to the
    /// entry's. (Killing qemu-io at the n-th pwrite64 with strace fault injection is not repeatable: strace
    /// counts calls per thread and qemu issues them from a pool of worker threads.)
    struct CrashedImage {
        let dir: TemporaryDirectory
        /// The image with the pending log.
        let path: String
        /// The image before the write (no pending log).
        let before: String
        let logOffset: UInt64

        init() throws {
            let dir = try TemporaryDirectory()
            let before = dir.file("before.vhdx")
            let path = dir.file("crashed.vhdx")
            try VHDXFixture.qemuCreate(before, size: "256M", options: "block_size=8M,log_size=1M")
            try VXWrites.apply(before, [(0x11, 0, 1 << 20)])
            try FileManager.default.copyItem(atPath: before, toPath: path)
            try VXWrites.apply(path, [(0x77, 150 << 20, 1 << 20)])  // inside block 18: one allocation, one entry
            let bat = try VHDXFixture.batOffset(path)
            try VHDFixture.patch(path, at: bat, try VHDFixture.bytes(before, at: bat, count: 4096))
            let sequences = try [UInt64(64 << 10), 128 << 10].map { try VHDXFixture.uint64(path, at: $0 + 8) }
            let header: UInt64 = sequences[0] > sequences[1] ? 64 << 10 : 128 << 10
            let logOffset = try VHDXFixture.uint64(path, at: header + 72)
            #expect(try VHDFixture.bytes(path, at: logOffset, count: 4) == Array("loge".utf8))
            try VHDFixture.patch(path, at: header + 48, try VHDFixture.bytes(path, at: logOffset + 32, count: 16))
            try VHDXFixture.reseal(path, structureAt: header, length: 4096)
            self.dir = dir
            self.before = before
            self.path = path
            self.logOffset = logOffset
        }

        /// A copy of the crashed image with `change` applied to it.
        func copy(_ name: String, _ change: (String) throws -> Void = { _ in }) throws -> String {
            let copy = dir.file(name)
            try FileManager.default.copyItem(atPath: path, toPath: copy)
            try change(copy)
            return copy
        }

        /// Recomputes the log entry's CRC-32C after a change to it.
        func resealEntry(_ path: String) throws {
            let length = Int(try VHDXFixture.uint32(path, at: logOffset + 8))
            try VHDXFixture.reseal(path, structureAt: logOffset, length: length)
        }
    }

    @Test func pendingLogIsReplayedInMemoryLikeQemuRepairs() throws {
        let crashed = try CrashedImage()
        // qemu agrees there is a log to replay: it refuses a read-only open.
        let refused = try ExternalTool.run(["qemu-img", "info", "-f", "vhdx", crashed.path])
        #expect(refused.status != 0 && refused.stderr.contains("log that needs to be replayed"), "\(refused.stderr)")
        let repaired = try crashed.copy("repaired.vhdx")
        try ExternalTool.check(["qemu-img", "check", "-q", "-r", "all", repaired])
        let digest = try FileDigest.sha256(crashed.path)

        let image = try VHDFixture.open(path: crashed.path)
        let structure = try #require(image.vhdx?.structure)
        #expect(structure.replayedEntries == 1)
        #expect(image.warnings.contains { $0.contains("replayed in memory") })
        #expect(try image.device.read(at: 150 << 20, count: 4096) == [UInt8](repeating: 0x77, count: 4096))
        let difference = try VHDXFixture.firstDifference(image.device, qemuImage: repaired, in: crashed.dir)
        #expect(difference == nil, "first difference at \(difference ?? 0)")
        let info = try ImageInfo.read(path: crashed.path)
        #expect(info.vhdx?.replayedLogEntries == 1)

        let output = crashed.dir.file("azure.vhd")
        var options = ImageConverter.Options(format: .fixed)
        options.roundToMiB = true
        try ImageConverter.convert(source: crashed.path, destination: output, options: options)
        let compare = try ExternalTool.run(["qemu-img", "compare", "-f", "vhdx", "-F", "vpc", repaired, output])
        #expect(compare.status == 0, "\(compare.output) \(compare.stderr)")
        #expect(try FileDigest.sha256(crashed.path) == digest, "the source is never written")
    }

    /// A torn entry (its CRC-32C wrong) is where the valid log ends: nothing is replayed and the disk reads
    /// as it was before the write.
    @Test func entryWithBadChecksumIsNotReplayed() throws {
        let crashed = try CrashedImage()
        let torn = try crashed.copy("torn.vhdx") { path in
            try VHDFixture.patch(path, at: crashed.logOffset + 4096 + 100, [0xEE])  // inside its data sector
        }
        let image = try VHDFixture.open(path: torn)
        #expect(image.vhdx?.structure.replayedEntries == 0)
        #expect(try image.device.isKnownZero((144 << 20)..<(152 << 20)))
        let difference = try VHDXFixture.firstDifference(image.device, qemuImage: crashed.before, in: crashed.dir)
        #expect(difference == nil, "first difference at \(difference ?? 0)")
    }

    /// A copy of the crashed image whose log is rewritten from qemu's entry: `entries` are (log position,
    /// sequence number, tail, whether block 18's BAT entry is turned to ZERO in the entry's page).
    func rewrittenLog(
        _ crashed: CrashedImage, _ name: String,
        _ entries: [(position: UInt64, sequence: UInt64, tail: UInt32, zeroBlock: Bool)]
    )
        throws -> (path: String, logLength: UInt64)
    {
        let original = try VHDFixture.bytes(crashed.path, at: crashed.logOffset, count: 8192)
        #expect(
            try VHDXFixture.uint32(crashed.path, at: crashed.logOffset + 8) == 8192,
            "qemu's entry: header + one data sector")
        var logLength: UInt64 = 0
        let path = try crashed.copy(name) { path in
            let sequences = try [UInt64(64 << 10), 128 << 10].map { try VHDXFixture.uint64(path, at: $0 + 8) }
            logLength = UInt64(
                try VHDXFixture.uint32(path, at: (sequences[0] > sequences[1] ? 64 << 10 : 128 << 10) + 68))
            try VHDFixture.patch(path, at: crashed.logOffset, [UInt8](repeating: 0, count: Int(logLength)))
            for entry in entries {
                var bytes = original
                bytes.replaceSubrange(12..<16, with: VHDXFixture.littleEndian(UInt64(entry.tail), count: 4))
                bytes.replaceSubrange(16..<24, with: VHDXFixture.littleEndian(entry.sequence))
                bytes.replaceSubrange(64 + 24..<64 + 32, with: VHDXFixture.littleEndian(entry.sequence))  // descriptor
                bytes.replaceSubrange(
                    4096 + 4..<4096 + 8, with: VHDXFixture.littleEndian(entry.sequence >> 32, count: 4))
                bytes.replaceSubrange(
                    4096 + 4092..<4096 + 4096, with: VHDXFixture.littleEndian(entry.sequence, count: 4))
                if entry.zeroBlock {  // block 18's entry (8 bytes at 144 of the BAT page): ZERO, no offset
                    bytes.replaceSubrange(4096 + 144..<4096 + 152, with: [2, 0, 0, 0, 0, 0, 0, 0])
                }
                bytes.replaceSubrange(4..<8, with: [0, 0, 0, 0])
                bytes.replaceSubrange(4..<8, with: VHDXFixture.littleEndian(UInt64(CRC32C.checksum(bytes)), count: 4))
                let first = Int(min(8192, logLength - entry.position))  // an entry may wrap at the log's end
                try VHDFixture.patch(path, at: crashed.logOffset + entry.position, Array(bytes[0..<first]))
                if first < 8192 { try VHDFixture.patch(path, at: crashed.logOffset, Array(bytes[first...])) }
            }
        }
        return (path, logLength)
    }

    /// Two consecutive entries, the first wrapping from the log's end to its start: both are replayed in
    /// order (the second's BAT page wins) as qemu's own replay does.
    @Test func sequenceOfTwoEntriesWrappingTheLog() throws {
        let crashed = try CrashedImage()
        let logLength: UInt64 = 1 << 20  // log_size=1M
        let tail = UInt32(logLength - 4096)
        let (path, length) = try rewrittenLog(
            crashed, "wrapped.vhdx", [(logLength - 4096, 100, tail, false), (4096, 101, tail, true)])
        #expect(length == logLength)
        let repaired = crashed.dir.file("wrapped-repaired.vhdx")
        try FileManager.default.copyItem(atPath: path, toPath: repaired)
        try ExternalTool.check(["qemu-img", "check", "-q", "-r", "all", repaired])
        let image = try VHDFixture.open(path: path)
        #expect(image.vhdx?.structure.replayedEntries == 2)
        #expect(try image.device.isKnownZero((144 << 20)..<(152 << 20)), "the second entry made block 18 ZERO")
        let difference = try VHDXFixture.firstDifference(image.device, qemuImage: repaired, in: crashed.dir)
        #expect(difference == nil, "first difference at \(difference ?? 0)")
    }

    /// The active sequence is the complete one with the largest sequence number: a newer entry whose tail
    /// names no entry of its own sequence (incomplete) is not replayed.
    @Test func incompleteNewerSequenceIsIgnored() throws {
        let crashed = try CrashedImage()
        let (path, _) = try rewrittenLog(
            crashed, "incomplete.vhdx",
            [(0, 100, 0, false), (8192, 101, 0, true), (16384, 200, 65536, false)])
        let image = try VHDFixture.open(path: path)
        #expect(image.vhdx?.structure.replayedEntries == 2)
        #expect(try image.device.read(at: 150 << 20, count: 512) == [UInt8](repeating: 0, count: 512))
    }

    struct Hostile: Sendable, CustomTestStringConvertible {
        var name: String
        /// Offset in the entry and the bytes put there (the entry's CRC is then made right again).
        var at: UInt64
        var bytes: [UInt8]
        var code: BlockIOError.Code
        var field: String
        /// Offset in the log of the field the error names.
        var errorAt: UInt64
        var testDescription: String { name }
    }

    static let hostile: [Hostile] = [
        Hostile(
            name: "unknown descriptor", at: 64, bytes: Array("xxxx".utf8), code: .invalidField, field: "descriptor 0",
            errorAt: 64),
        Hostile(
            name: "data sector of another sequence", at: 4096 + 4, bytes: [9, 0, 0, 0], code: .invalidField,
            field: "data sector of descriptor 0", errorAt: 4096 + 4),
        Hostile(
            name: "descriptor sequence number", at: 64 + 24, bytes: [0x55], code: .invalidField, field: "descriptor 0",
            errorAt: 64 + 24),
        Hostile(
            name: "write into the headers", at: 64 + 16, bytes: VHDXFixture.littleEndian(64 << 10), code: .overlap,
            field: "descriptor 0", errorAt: 0),
        Hostile(
            name: "unaligned write", at: 64 + 16, bytes: VHDXFixture.littleEndian((2 << 20) + 512), code: .invalidField,
            field: "descriptor 0", errorAt: 64 + 16),
        Hostile(
            name: "file shorter than flushed_file_offset", at: 48, bytes: VHDXFixture.littleEndian(1 << 40),
            code: .truncated, field: "flushed_file_offset", errorAt: 48),
    ]

    /// Entries whose CRC-32C is right but whose contents are malformed are errors naming the field and offset;
    /// the file is never changed.
    @Test(arguments: hostile) func malformedEntryIsATypedError(_ hostile: Hostile) throws {
        let crashed = try CrashedImage()
        let path = try crashed.copy("hostile.vhdx") { path in
            try VHDFixture.patch(path, at: crashed.logOffset + hostile.at, hostile.bytes)
            try crashed.resealEntry(path)
        }
        let digest = try FileDigest.sha256(path)
        let error = #expect(throws: BlockIOError.self) { try DiskImage.open(path: path) }
        #expect(error?.code == hostile.code, "\(String(describing: error))")
        #expect(error?.structure == "VHDX log entry")
        #expect(error?.field == hostile.field)
        #expect(error?.offset == crashed.logOffset + hostile.errorAt)
        #expect(error?.path == path)
        #expect(try FileDigest.sha256(path) == digest)
    }
}
