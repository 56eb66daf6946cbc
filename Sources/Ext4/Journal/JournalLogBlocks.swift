/// The 12-byte header that starts every descriptor, commit and revoke block of a jbd2 log.
///
/// | offset | size | field | meaning |
/// |---|---|---|---|
/// | 0 | 4 | `h_magic` | `0xC03B3998` (anything else ends the log) |
/// | 4 | 4 | `h_blocktype` | 1 descriptor, 2 commit, 5 revoke |
/// | 8 | 4 | `h_sequence` | the transaction the block belongs to |
struct JournalBlockHeader {
    enum Kind: UInt32 {
        case descriptor = 1
        case commit = 2
        case revoke = 5
    }

    /// The block type; nil for any other value (which ends the log, as in the kernel).
    var kind: Kind?
    var sequence: UInt32

    /// The header of `block`, or nil when the magic is missing (not a log block: the end of the log).
    init?(_ block: JournalBytes) {
        guard block.u32(0) == JournalSuperblock.magic else { return nil }
        kind = Kind(rawValue: block.u32(4))
        sequence = block.u32(8)
    }
}

/// One tag of a descriptor block: which filesystem block the next log block is a copy of.
///
/// Tags follow the 12-byte header back to back; their size depends on the journal's features
/// (``JournalSuperblock/tagSize``). Without `SAME_UUID` a tag is followed by a 16-byte UUID.
///
/// | features | layout (big-endian) |
/// |---|---|
/// | csum v3 (16 bytes) | `t_blocknr` u32, `t_flags` u32, `t_blocknr_high` u32, `t_checksum` u32 |
/// | others (8, 10, 12 or 14 bytes) | `t_blocknr` u32, `t_checksum` u16 (csum v2), `t_flags` u16, `t_blocknr_high` u32 (64-bit) |
///
/// Flags: 1 escaped (the copy's first four bytes were the journal magic and were zeroed), 2 same UUID as the
/// previous tag, 4 deleted (unused), 8 last tag of the block.
struct JournalBlockTag: Equatable {
    enum Flag {
        static let escaped: UInt32 = 1
        static let sameUUID: UInt32 = 2
        static let lastTag: UInt32 = 8
    }

    /// The filesystem block the copy belongs to.
    var home: UInt64
    var flags: UInt32
    /// The copy's checksum (v3: 32 bits; v2: the low 16 bits).
    var checksum: UInt32

    var isEscaped: Bool { flags & Flag.escaped != 0 }

    /// The tags of descriptor block `block`, stopping at the last-tag flag or where the next tag no longer fits
    /// before the checksum tail (v2/v3) — the kernel's `count_tags` — and the offset where they end.
    static func tags(of block: JournalBytes, superblock sb: JournalSuperblock) -> (tags: [JournalBlockTag], end: Int) {
        let tagSize = sb.tagSize
        let usable = block.count - (sb.hasChecksumV2orV3 ? 4 : 0)
        var offset = 12
        var out: [JournalBlockTag] = []
        while offset + tagSize <= usable {
            let tag: JournalBlockTag
            if sb.hasChecksumV3 {
                tag = JournalBlockTag(
                    home: UInt64(block.u32(offset)) | (sb.has64BitBlocks ? UInt64(block.u32(offset + 8)) << 32 : 0),
                    flags: block.u32(offset + 4), checksum: block.u32(offset + 12))
            } else {
                let v2 = sb.incompat & JournalSuperblock.IncompatFeature.checksumV2 != 0
                tag = JournalBlockTag(
                    home: UInt64(block.u32(offset)) | (sb.has64BitBlocks ? UInt64(block.u32(offset + 8)) << 32 : 0),
                    flags: UInt32(block.u16(offset + 6)), checksum: v2 ? UInt32(block.u16(offset + 4)) : 0)
            }
            out.append(tag)
            offset += tagSize
            if tag.flags & Flag.sameUUID == 0 { offset += 16 }
            if tag.flags & Flag.lastTag != 0 { break }
        }
        return (out, min(offset, usable))
    }

    /// Whether `copy` (the log block as stored, still escaped) matches this tag's checksum in the transaction
    /// whose seed is `transactionSeed` (``transactionSeed(_:superblock:)``, computed once for all its copies).
    /// Always true without v2/v3 checksums.
    func matches(_ copy: ArraySlice<UInt8>, transactionSeed: UInt32, superblock sb: JournalSuperblock) -> Bool {
        Self.copy(copy, hasChecksum: checksum, transactionSeed: transactionSeed, superblock: sb)
    }

    /// Whether `copy` has the tag checksum `checksum` (v3: 32 bits; v2: the low 16) in the transaction whose
    /// seed is `transactionSeed`; also for a copy checked after the scan, whose tag is no longer at hand.
    static func copy(
        _ copy: ArraySlice<UInt8>, hasChecksum checksum: UInt32, transactionSeed: UInt32,
        superblock sb: JournalSuperblock
    ) -> Bool {
        guard sb.hasChecksumV2orV3 else { return true }
        let computed = JournalChecksum.crc32c(transactionSeed, copy)
        return sb.hasChecksumV3 ? computed == checksum : computed & 0xFFFF == checksum
    }

    /// Where the checksum of each copy in transaction `sequence` starts: the journal's seed fed the sequence
    /// number's four big-endian bytes.
    static func transactionSeed(_ sequence: UInt32, superblock sb: JournalSuperblock) -> UInt32 {
        JournalChecksum.crc32c(sb.checksumSeed, bigEndian: sequence)
    }
}

/// A commit block: the transaction it ends is complete.
///
/// | offset | size | field | meaning |
/// |---|---|---|---|
/// | 0 | 12 | header | block type 2 |
/// | 12 | 1 | `h_chksum_type` | v1 checksums: 1 (CRC-32) |
/// | 13 | 1 | `h_chksum_size` | v1 checksums: 4 |
/// | 16 | 4 | `h_chksum[0]` | v1: CRC-32 of the transaction's blocks; v2/v3: CRC-32C of this block with it 0 |
/// | 48 | 8 | `h_commit_sec` | commit time, seconds |
/// | 56 | 4 | `h_commit_nsec` | nanoseconds |
struct JournalCommitBlock {
    var checksumType: UInt8
    var checksumSize: UInt8
    var checksum: UInt32
    var commitSeconds: UInt64

    init(_ block: JournalBytes) {
        checksumType = block.u8(12)
        checksumSize = block.u8(13)
        checksum = block.u32(16)
        commitSeconds = block.u64(48)
    }

    /// Whether the v2/v3 checksum of `block` is right (true without those features). The bytes past the
    /// fields (60 on) are zeros in every commit block the kernel writes: `zeroRuns` accounts for them.
    static func checksumMatches(
        _ block: JournalBytes, superblock sb: JournalSuperblock, zeroRuns: inout CRC32CZeroRuns
    ) -> Bool {
        guard sb.hasChecksumV2orV3 else { return true }
        return JournalChecksum.crc32c(sb.checksumSeed, block.bytes, zeroing: 16, zerosFrom: 60, zeroRuns: &zeroRuns)
            == block.u32(16)
    }

    /// Whether a v1 transaction checksum `sum` (CRC-32 of descriptor and data blocks) agrees with this block,
    /// or the block carries none (written by a kernel that did not checksum).
    func v1Agrees(with sum: UInt32) -> Bool {
        (checksumType == 1 && checksumSize == 4 && checksum == sum)
            || (checksumType == 0 && checksumSize == 0 && checksum == 0)
    }
}

/// Whether the 4-byte checksum tail at the end of a descriptor or revoke block is right (v2/v3; true otherwise).
///
/// | offset | size | field |
/// |---|---|---|
/// | block size − 4 | 4 | `t_checksum`: CRC-32C (journal seed) of the block with this field 0 |
func journalTailChecksumMatches(_ block: JournalBytes, superblock sb: JournalSuperblock) -> Bool {
    guard sb.hasChecksumV2orV3 else { return true }
    let tail = block.count - 4
    return JournalChecksum.crc32c(sb.checksumSeed, block.bytes, zeroing: tail) == block.u32(tail)
}

/// ``journalTailChecksumMatches(_:superblock:)`` for a block whose records end at `contentEnd` (a descriptor's
/// tags): the zeros after them are accounted for by `zeroRuns`.
func journalTailChecksumMatches(
    _ block: JournalBytes, superblock sb: JournalSuperblock, zerosFrom contentEnd: Int,
    zeroRuns: inout CRC32CZeroRuns
) -> Bool {
    guard sb.hasChecksumV2orV3 else { return true }
    let tail = block.count - 4
    return JournalChecksum.crc32c(
        sb.checksumSeed, block.bytes, zeroing: tail, zerosFrom: contentEnd, zeroRuns: &zeroRuns) == block.u32(tail)
}

/// A revoke block: filesystem blocks whose copies in this or earlier transactions must not be replayed.
///
/// | offset | size | field | meaning |
/// |---|---|---|---|
/// | 0 | 12 | header | block type 5 |
/// | 12 | 4 | `r_count` | bytes used in the block, header included |
/// | 16 | 4 or 8 each | block numbers | 8 bytes with the 64-bit feature |
struct JournalRevokeBlock {
    var blocks: [UInt64]

    /// - Throws: ``Ext4Error/Code/journal`` when `r_count` is smaller than the header or larger than the block
    ///   (less its checksum tail), naming `position`.
    init(_ block: JournalBytes, superblock sb: JournalSuperblock, position: UInt32) throws(Ext4Error) {
        let count = Int(block.u32(12))
        let limit = block.count - (sb.hasChecksumV2orV3 ? 4 : 0)
        guard count >= 16, count <= limit else {
            throw Ext4Error(
                .journal,
                "journal block \(position) (revoke), field r_count at byte 12: \(count) bytes do not fit in the "
                    + "block (16...\(limit))")
        }
        let record = sb.has64BitBlocks ? 8 : 4
        var offset = 16
        var out: [UInt64] = []
        while offset + record <= count {
            out.append(record == 8 ? block.u64(offset) : UInt64(block.u32(offset)))
            offset += record
        }
        blocks = out
    }
}
