import BlockIO
import Ext4
import Foundation
import Testing
import _TestSupport

/// jbd2's version-2 block checksums (`JBD2_FEATURE_INCOMPAT_CSUM_V2`): no tool writes them today (the kernel and
/// debugfs write v3), so a v3 log written by debugfs is rewritten as the kernel wrote v2 logs — the feature bit,
/// descriptor tags in the v2 layout (16-bit checksum, 16-bit flags, two bytes of padding), each descriptor's
/// tail checksum and the superblock's checksum recomputed — and e2fsck -E journal_only on the same bytes is the
/// oracle. e2fsck checks every checksum it replays, so a wrongly rewritten log would fail there too.
@Suite struct JournalChecksumV2Tests {
    /// The kernel's `crc32c(seed, bytes)`: no inversion in or out.
    static func crc32c(_ seed: UInt32, _ bytes: ArraySlice<UInt8>) -> UInt32 { CRC32C.update(seed, bytes) }

    static func u32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func set32(_ bytes: inout [UInt8], _ offset: Int, _ value: UInt32) {
        for index in 0..<4 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (24 - 8 * index)) }
    }

    static func set16(_ bytes: inout [UInt8], _ offset: Int, _ value: UInt16) {
        bytes[offset] = UInt8(value >> 8)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: value)
    }

    /// Rewrites the v3 journal of `fixture` as a v2 one; returns the image byte offsets of the copies it
    /// describes, in log order (the journal's blocks are found with debugfs's bmap, one by one).
    @discardableResult
    static func rewriteAsChecksumV2(_ fixture: Ext4Fixture) throws -> [Int] {
        let blockSize = try #require(try JournalReplayTests.header(fixture.image, "Block size"))
        let length = try #require(try JournalReplayTests.header(fixture.image, "Total journal blocks"))
        var image = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture.image)))
        var offsets: [Int: Int] = [:]
        func offset(_ index: Int) throws -> Int {
            if let known = offsets[index] { return known }
            let found = try JournalReplayTests.journalOffset(fixture, block: index, blockSize: blockSize)
            offsets[index] = found
            return found
        }
        func block(_ index: Int) throws -> [UInt8] {
            let start = try offset(index)
            return Array(image[start..<(start + blockSize)])
        }
        func store(_ index: Int, _ bytes: [UInt8]) throws {
            let start = try offset(index)
            image.replaceSubrange(start..<(start + blockSize), with: bytes)
        }

        var superblock = try block(0)
        let incompat = u32(superblock, 40)
        try #require(incompat & 0x10 != 0, "debugfs wrote csum v3")
        let bits64 = incompat & 0x2 != 0
        set32(&superblock, 40, incompat & ~0x10 | 0x8)
        set32(&superblock, 252, 0)
        set32(&superblock, 252, crc32c(~0, superblock[0..<1024]))
        try store(0, superblock)
        let seed = crc32c(~0, superblock[48..<64])

        var position = Int(u32(superblock, 28))
        var sequence = u32(superblock, 24)
        var copies: [Int] = []
        while position != 0 && position < length {
            let bytes = try block(position)
            guard u32(bytes, 0) == 0xC03B_3998, u32(bytes, 8) == sequence else { break }
            switch u32(bytes, 4) {
            case 1:  // descriptor: v3 tags (16 bytes) become v2 tags (14 bytes with 64-bit numbers, else 10)
                var rewritten = [UInt8](repeating: 0, count: blockSize)
                rewritten.replaceSubrange(0..<12, with: bytes[0..<12])
                var from = 12
                var to = 12
                var tags = 0
                while from + 16 <= blockSize - 4 {
                    let flags = u32(bytes, from + 4)
                    set32(&rewritten, to, u32(bytes, from))
                    set16(&rewritten, to + 4, UInt16(truncatingIfNeeded: u32(bytes, from + 12)))  // low 16 bits
                    set16(&rewritten, to + 6, UInt16(flags))
                    if bits64 { set32(&rewritten, to + 8, u32(bytes, from + 8)) }
                    from += 16
                    to += bits64 ? 14 : 10
                    if flags & 2 == 0 {  // a UUID follows the tag
                        rewritten.replaceSubrange(to..<(to + 16), with: bytes[from..<(from + 16)])
                        from += 16
                        to += 16
                    }
                    tags += 1
                    if flags & 8 != 0 { break }
                }
                set32(&rewritten, blockSize - 4, crc32c(seed, rewritten[...]))
                try store(position, rewritten)
                copies += try (1...tags).map { try offset(position + $0) }
                position += tags
            case 2:
                sequence &+= 1
            default:
                break
            }
            position += 1
        }
        try Data(image).write(to: URL(fileURLWithPath: fixture.image))
        let features = try ExternalTool.check(["dumpe2fs", "-h", fixture.image]).output
        #expect(features.contains("journal_checksum_v2") && !features.contains("journal_checksum_v3"), "\(features)")
        return copies
    }

    /// 64-bit block numbers (14-byte tags) and 32-bit ones (10-byte tags), 1 KiB and 4 KiB blocks; several
    /// transactions, a revoke and an escaped copy: the same bytes as e2fsck's replay.
    @Test(arguments: [
        FilesystemVariant.all[3],
        FilesystemVariant(name: "ext4-4k-32bit", fsType: "ext4", options: ["-b", "4096", "-O", "^64bit"]),
    ])
    func aV2LogReplaysAsE2fsckDoes(variant: FilesystemVariant) throws {
        for script in [JournalReplayTests.scripts[3], JournalReplayTests.scripts[5]] {
            let fixture = try JournalReplayTests.journaled(variant, script)
            try Self.rewriteAsChecksumV2(fixture)
            let summary = try JournalReplayTests.expectSameReplayAsE2fsck(fixture)
            #expect(
                (summary?.transactions ?? 0) >= 1 && summary?.stoppedAtCorruptCommit == nil,
                "\(String(describing: summary))")
        }
    }

    /// A copy whose bytes no longer match its v2 tag's 16-bit checksum: a typed error naming the journal block,
    /// nothing written; a read-only open replays the log and refuses reads of that copy's block.
    @Test func aCopyFailingItsV2ChecksumIsATypedError() throws {
        let fixture = try JournalReplayTests.journaled(.all[3], JournalReplayTests.scripts[5])
        let copies = try Self.rewriteAsChecksumV2(fixture)
        let copy = try #require(copies.first)
        try JournalReplayTests.patch(fixture.image, at: copy + 500, [0x5A, 0xA5])
        let before = try fixture.sha256()
        do {
            _ = try fixture.open(writable: true)
            Issue.record("a copy failing its checksum was replayed")
        } catch let error as Ext4Error {
            #expect(error.code == .journal && error.message.contains("checksum does not match"), "\(error)")
        }
        // A reader's view checks each copy when it reads it (JournalCopyCheckTests): the open itself replays.
        let reader = try fixture.open(writable: false)
        #expect((reader.journalReplay?.transactions ?? 0) >= 1, "\(reader.warnings)")
        #expect(try fixture.sha256() == before)
    }
}
