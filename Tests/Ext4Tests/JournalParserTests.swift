@_spi(Fuzzing) import Ext4
import Testing

/// The jbd2 log parser on journals built byte by byte (no checksums, 32-bit tags, 1 KiB blocks): where the
/// log ends, wrap-around, revokes, and logs that would loop.
@Suite struct JournalParserTests {
    static func be(_ value: UInt32) -> [UInt8] {
        [
            UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8),
            UInt8(truncatingIfNeeded: value),
        ]
    }

    /// A journal whose log blocks are `blocks` (from block 1), starting at `start` with transaction 7.
    static func journal(_ blocks: [[UInt8]], start: UInt32 = 1) -> [UInt8] {
        var superblock =
            be(0xC03B_3998) + be(4) + be(0) + be(1024) + be(UInt32(blocks.count + 1)) + be(1) + be(7)
            + be(start) + be(0) + be(0) + be(1) + be(0)
        superblock += [UInt8](repeating: 0, count: 1024 - superblock.count)
        return blocks.reduce(superblock) { $0 + $1 + [UInt8](repeating: 0, count: 1024 - $1.count) }
    }

    static let magic = be(0xC03B_3998)
    static func descriptor(_ tid: UInt32, _ homes: [UInt32]) -> [UInt8] {
        var bytes = magic + be(1) + be(tid)
        for (index, home) in homes.enumerated() {
            bytes += be(home) + be(index == homes.count - 1 ? 2 | 8 : 2)  // same UUID; last tag
        }
        return bytes
    }
    static func commit(_ tid: UInt32) -> [UInt8] { magic + be(2) + be(tid) }
    static func revoke(_ tid: UInt32, _ homes: [UInt32]) -> [UInt8] {
        homes.reduce(magic + be(5) + be(tid) + be(UInt32(16 + 4 * homes.count))) { $0 + be($1) }
    }
    static let copy = [UInt8](repeating: 0x11, count: 1024)

    func plan(_ journal: [UInt8]) -> Result<JournalReplaySummary, Ext4Error> {
        JournalParsing.plan(journal: journal, blockSize: 1024, filesystemBlocks: 4096)
    }

    @Test func transactionsRevokesAndATornLastOne() throws {
        let log = Self.journal([
            Self.descriptor(7, [100, 101]), Self.copy, Self.copy, Self.commit(7),
            Self.revoke(8, [100]), Self.descriptor(8, [102]), Self.copy, Self.commit(8),
            Self.descriptor(9, [103]), Self.copy,  // no commit: torn, not replayed
        ])
        let summary = try plan(log).get()
        #expect(summary.transactions == 2 && summary.blocks == 2 && summary.revokedCopies == 1)
        #expect(summary.nextSequence == 10)
    }

    @Test func aLogRunningPastTheEndGoesOnAtTheFirstLogBlock() throws {
        // Seven log blocks; the log starts at block 5: descriptor 5, copy 6, commit 7, then 1, 2, 3 (wrapped).
        var blocks = [[UInt8]](repeating: [], count: 7)
        blocks[4] = Self.descriptor(7, [200])
        blocks[5] = Self.copy
        blocks[6] = Self.commit(7)
        blocks[0] = Self.descriptor(8, [201])
        blocks[1] = Self.copy
        blocks[2] = Self.commit(8)
        let summary = try plan(Self.journal(blocks, start: 5)).get()
        #expect(summary.transactions == 2 && summary.blocks == 2)
    }

    @Test func aFullLogOfCommitsEndsWhereItBegan() throws {
        // Every block a commit, tids 7...13: the scan comes back to block 1 (tid 7, not 14) and stops.
        let summary = try plan(Self.journal((0..<7).map { Self.commit(7 + UInt32($0)) })).get()
        #expect(summary.transactions == 7)
    }

    @Test func hostileLogsAreTypedErrors() {
        let cases: [(String, [UInt8], String)] = [
            (
                "more tags than the log has blocks",
                Self.journal([Self.descriptor(7, Array(100..<200)), Self.commit(7)]),
                "loop"
            ),
            (
                "a revoke count past its block",
                Self.journal([Self.magic + Self.be(5) + Self.be(7) + Self.be(5000), Self.commit(7)]),
                "r_count"
            ),
            (
                "a copy past the filesystem", Self.journal([Self.descriptor(7, [9999]), Self.copy, Self.commit(7)]),
                "past the end of the filesystem"
            ),
            (
                "a log start past the journal",
                Array(Self.journal([Self.commit(7)]).enumerated().map { $0.offset == 31 ? 9 : $0.element }),
                "s_start"
            ),
            ("no magic", [UInt8](repeating: 0, count: 4096), "h_magic"),
        ]
        for (what, journal, words) in cases {
            switch plan(journal) {
            case .success(let summary): Issue.record("\(what): accepted (\(summary))")
            case .failure(let error):
                #expect(error.code == .journal, "\(what): \(error)")
                #expect(error.message.contains(words), "\(what): \(error.message)")
            }
        }
    }
}
