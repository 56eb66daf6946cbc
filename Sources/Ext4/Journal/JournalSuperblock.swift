/// The first block of a jbd2 journal: where the log starts, which transaction comes next, and its features.
///
/// Byte layout (big-endian; `lib/ext2fs/kernel-jbd.h`, `journal_superblock_t`). Version 1 ends after `s_errno`
/// and has no features.
///
/// | offset | size | field | meaning |
/// |---|---|---|---|
/// | 0 | 4 | `h_magic` | `0xC03B3998` |
/// | 4 | 4 | `h_blocktype` | 3: superblock v1, 4: superblock v2 |
/// | 8 | 4 | `h_sequence` | unused here |
/// | 12 | 4 | `s_blocksize` | journal block size (the filesystem's) |
/// | 16 | 4 | `s_maxlen` | blocks in the journal |
/// | 20 | 4 | `s_first` | first block of the log |
/// | 24 | 4 | `s_sequence` | first transaction expected in the log |
/// | 28 | 4 | `s_start` | block of the first transaction; 0: the journal is empty |
/// | 32 | 4 | `s_errno` | error recorded by the kernel |
/// | 36 | 4 | `s_feature_compat` | 1: v1 transaction checksums |
/// | 40 | 4 | `s_feature_incompat` | 1 revoke, 2 64-bit, 4 async commit, 8 csum v2, 0x10 csum v3, 0x20 fast commit |
/// | 44 | 4 | `s_feature_ro_compat` | none defined |
/// | 48 | 16 | `s_uuid` | seeds the v2/v3 checksums |
/// | 64 | 4 | `s_nr_users` | filesystems sharing the journal (external journals) |
/// | 80 | 1 | `s_checksum_type` | 4: CRC-32C |
/// | 84 | 4 | `s_num_fc_blks` | fast-commit blocks at the end of the journal (0: 256) |
/// | 252 | 4 | `s_checksum` | CRC-32C of the 1024-byte superblock with this field 0 (v2/v3) |
struct JournalSuperblock: Equatable {
    static let magic: UInt32 = 0xC03B_3998
    static let size = 1024

    enum CompatFeature { static let checksum: UInt32 = 1 }
    enum IncompatFeature {
        static let revoke: UInt32 = 1
        static let bits64: UInt32 = 2
        static let asyncCommit: UInt32 = 4
        static let checksumV2: UInt32 = 8
        static let checksumV3: UInt32 = 0x10
        static let fastCommit: UInt32 = 0x20
        static let known: UInt32 = 0x3F
    }

    var version: Int
    var blockSize: UInt32
    var maxLength: UInt32
    var first: UInt32
    var sequence: UInt32
    var start: UInt32
    var errno: Int32
    var compat: UInt32
    var incompat: UInt32
    var roCompat: UInt32
    var uuid: [UInt8]
    var userCount: UInt32
    var checksumType: UInt8
    var fastCommitBlocks: UInt32
    var checksum: UInt32

    /// Parses the superblock from the first bytes of journal block 0.
    ///
    /// - Throws: ``Ext4Error/Code/journal`` naming the field at fault: a wrong magic or block type, a block size
    ///   that is not the filesystem's, an unknown incompatible feature, a log outside the journal, a wrong
    ///   checksum.
    init(parsing block: [UInt8], filesystemBlockSize: UInt32, journalBlocks: UInt64) throws(Ext4Error) {
        let b = JournalBytes(block)
        func fail(_ field: String, _ offset: Int, _ why: String) -> Ext4Error {
            Ext4Error(.journal, "journal superblock (journal block 0), field \(field) at byte \(offset): \(why)")
        }
        guard block.count >= Self.size else { throw fail("h_magic", 0, "the block is shorter than 1024 bytes") }
        guard b.u32(0) == Self.magic else {
            throw fail("h_magic", 0, "magic is 0x\(String(b.u32(0), radix: 16)), not 0xc03b3998")
        }
        switch b.u32(4) {
        case 3: version = 1
        case 4: version = 2
        default: throw fail("h_blocktype", 4, "\(b.u32(4)) is not a journal superblock (3 or 4)")
        }
        blockSize = b.u32(12)
        maxLength = b.u32(16)
        first = b.u32(20)
        sequence = b.u32(24)
        start = b.u32(28)
        errno = Int32(bitPattern: b.u32(32))
        compat = version == 2 ? b.u32(36) : 0
        incompat = version == 2 ? b.u32(40) : 0
        roCompat = version == 2 ? b.u32(44) : 0
        uuid = Array(b.slice(48..<64))
        userCount = b.u32(64)
        checksumType = b.u8(80)
        fastCommitBlocks = b.u32(84)
        checksum = b.u32(252)
        checksumSeed = JournalChecksum.crc32c(~0, uuid[...])
        guard blockSize == filesystemBlockSize else {
            throw fail("s_blocksize", 12, "\(blockSize) is not the filesystem's block size \(filesystemBlockSize)")
        }
        guard maxLength >= 2, UInt64(maxLength) <= journalBlocks else {
            throw fail("s_maxlen", 16, "\(maxLength) blocks, but the journal inode holds \(journalBlocks)")
        }
        guard incompat & ~IncompatFeature.known == 0 else {
            throw Ext4Error(
                .unsupportedFeature,
                "journal superblock, field s_feature_incompat at byte 40: unknown features 0x"
                    + String(incompat & ~IncompatFeature.known, radix: 16))
        }
        guard first >= 1, first < logEnd else {
            throw fail("s_first", 20, "log start \(first) is outside the journal's log area 1..<\(logEnd)")
        }
        guard start == 0 || (start >= first && start < logEnd) else {
            throw fail("s_start", 28, "block \(start) is outside the log \(first)..<\(logEnd)")
        }
        if hasChecksumV2orV3 {
            guard checksumType == 4 else {
                throw fail("s_checksum_type", 80, "\(checksumType) is not CRC-32C (4)")
            }
            var zeroed = JournalBytes(Array(block[0..<Self.size]))
            zeroed.setU32(252, 0)
            let computed = JournalChecksum.crc32c(~0, zeroed.bytes)
            guard computed == checksum else {
                throw fail(
                    "s_checksum", 252,
                    "checksum 0x\(String(checksum, radix: 16)) does not match the contents (0x\(String(computed, radix: 16)))"
                )
            }
        }
    }

    var hasChecksumV2orV3: Bool { incompat & (IncompatFeature.checksumV2 | IncompatFeature.checksumV3) != 0 }
    var hasChecksumV3: Bool { incompat & IncompatFeature.checksumV3 != 0 }
    var hasChecksumV1: Bool { compat & CompatFeature.checksum != 0 }
    var has64BitBlocks: Bool { incompat & IncompatFeature.bits64 != 0 }
    var hasFastCommit: Bool { incompat & IncompatFeature.fastCommit != 0 }
    var hasAsyncCommit: Bool { incompat & IncompatFeature.asyncCommit != 0 }

    /// Fast-commit blocks at the end of the journal (0 without the feature).
    var fastCommitLength: UInt32 {
        guard hasFastCommit else { return 0 }
        return fastCommitBlocks == 0 ? 256 : fastCommitBlocks
    }

    /// One past the last block of the main log (the log wraps there back to ``first``).
    var logEnd: UInt32 { fastCommitLength < maxLength ? maxLength - fastCommitLength : 0 }

    /// The seed of every v2/v3 block checksum: CRC-32C of the journal UUID.
    private(set) var checksumSeed: UInt32 = 0

    /// Bytes one block tag takes in a descriptor block (without the 16-byte UUID that may follow it).
    var tagSize: Int {
        if hasChecksumV3 { return 16 }
        var size = 12
        if incompat & IncompatFeature.checksumV2 != 0 { size += 2 }
        return has64BitBlocks ? size : size - 4
    }

    /// `block` (journal block 0) with the log marked empty and `sequence` as the next transaction, its checksum
    /// recomputed (what e2fsck and the kernel write once the journal is replayed).
    static func emptied(_ block: [UInt8], nextSequence: UInt32, checksummed: Bool) -> [UInt8] {
        var b = JournalBytes(block)
        b.setU32(24, nextSequence)
        b.setU32(28, 0)
        if checksummed && b.count >= size {
            b.setU32(252, 0)
            b.setU32(252, JournalChecksum.crc32c(~0, b.slice(0..<size)))
        }
        return Array(b.bytes)
    }
}
