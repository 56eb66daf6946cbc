/// Where the blocks of a journal come from: journal block `index` (0 is the journal superblock) as bytes.
protocol JournalBlockSource {
    /// The block size of the journal (the filesystem's).
    var journalBlockSize: Int { get }
    /// Journal block `index`, exactly ``journalBlockSize`` bytes (possibly a slice of a larger buffer: its
    /// indices need not start at 0).
    func readJournalBlock(_ index: UInt32) throws(Ext4Error) -> ArraySlice<UInt8>
}

/// Where the latest committed copy of one filesystem block lies in the journal.
struct JournalCopy: Equatable, Sendable {
    /// The journal block holding the copy.
    var position: UInt32
    /// Whether the copy's first four bytes are to be set back to the journal magic (the tag's escape flag).
    var escaped: Bool
}

/// What replaying a journal's log does: for every filesystem block written by a committed transaction, the
/// journal block holding its latest copy (revoked copies left out), and which transactions those are.
///
/// Made by ``JournalLog/plan(superblock:source:filesystemBlocks:)`` in the kernel's three passes (scan for the
/// end of the log, collect revocations, map the copies); holds positions only, never block contents, so its
/// size follows the number of distinct blocks the log names, not the journal's size.
struct JournalReplayPlan {
    /// Why the scan stopped where it did.
    enum Stop: Equatable, Sendable {
        /// The next block is not the next transaction's (no magic, another sequence, a torn transaction).
        case endOfLog
        /// Transaction `tid`'s commit block fails its checksum: it and everything after it are not replayed
        /// (what the kernel does).
        case badCommit(UInt32)
        /// A block whose checksum fails belongs to an older, stale log (its commit time goes back).
        case staleLog(UInt32)
    }

    var superblock: JournalSuperblock
    /// The first transaction of the log (the superblock's `s_sequence`).
    var firstTransaction: UInt32
    /// The first transaction not replayed.
    var endTransaction: UInt32
    /// Home block → latest copy.
    var copies: [UInt64: JournalCopy]
    /// Copies left out because a later revoke record names their block.
    var revokedCopies: Int
    /// Copies written by the replay (the same block may be counted once per transaction).
    var replayedCopies: Int
    var stop: Stop

    /// Committed transactions found and replayed.
    var transactionCount: Int { Int(endTransaction &- firstTransaction) }
    /// The journal superblock's `s_sequence` once the journal is emptied (the kernel's and e2fsck's choice:
    /// one past the first transaction not replayed, so no stale commit block can ever match again).
    var nextSequence: UInt32 { superblock.start == 0 ? superblock.sequence &+ 1 : endTransaction &+ 1 }
}

/// The jbd2 log walk: scan, revoke and replay passes over a ``JournalBlockSource``.
enum JournalLog {
    /// Plans the replay of the log described by `superblock`.
    ///
    /// The walk stops where the kernel's does: at the first block that is not the expected transaction's, or at
    /// a commit block whose checksum fails.
    ///
    /// - Throws: ``Ext4Error/Code/journal`` for a log the kernel would refuse to mount: a data copy, descriptor
    ///   or revoke block of a committed transaction whose checksum fails, a revoke count that does not fit its
    ///   block, a copy for a block past the end of the filesystem (`filesystemBlocks`), a log longer than the
    ///   journal (a loop); or the source's error.
    static func plan(
        superblock sb: JournalSuperblock, source: some JournalBlockSource, filesystemBlocks: UInt64
    )
        throws(Ext4Error) -> JournalReplayPlan
    {
        var plan = JournalReplayPlan(
            superblock: sb, firstTransaction: sb.sequence, endTransaction: sb.sequence, copies: [:],
            revokedCopies: 0, replayedCopies: 0, stop: .endOfLog)
        guard sb.start != 0 else { return plan }

        // Pass 1: find the end of the log, noting every tag and revoke block on the way and checking each copy's
        // checksum as the walk passes it (so that the later passes read only revoke blocks, never a descriptor or
        // a copy again).
        var cursor = LogCursor(superblock: sb)
        var tid = sb.sequence
        // Version-1 transaction checksum: CRC-32 of the descriptor and data blocks (not revoke blocks).
        var sumV1: UInt32 = ~0
        var checkCommitTime = false
        var lastCommitTime: UInt64 = 0
        var tags: [LoggedTag] = []
        var revokeBlocks: [(position: UInt32, tid: UInt32)] = []
        scan: while true {
            let position = cursor.position
            let block = JournalBytes(try cursor.read(source))
            guard let header = JournalBlockHeader(block), header.sequence == tid else { break }
            switch header.kind {
            case .descriptor:
                if !journalTailChecksumMatches(block, superblock: sb) { checkCommitTime = true }
                let described = JournalBlockTag.tags(of: block, superblock: sb)
                if sb.hasChecksumV1 && !checkCommitTime {
                    sumV1 = JournalChecksum.crc32be(sumV1, block.bytes)
                    for tag in described {
                        let copyPosition = cursor.position
                        let copy = try cursor.read(source)
                        sumV1 = JournalChecksum.crc32be(sumV1, copy)
                        tags.append(
                            LoggedTag(
                                tag: tag, position: copyPosition, tid: tid, descriptor: position,
                                intact: tag.matches(copy, sequence: tid, superblock: sb)))
                    }
                } else if sb.hasChecksumV2orV3 {
                    // Each copy is checked here, while the walk reads past it anyway; only a copy of a committed
                    // transaction that fails is an error (pass 3), a torn last transaction's are not.
                    for tag in described {
                        let copyPosition = cursor.position
                        let intact = tag.matches(try cursor.read(source), sequence: tid, superblock: sb)
                        tags.append(
                            LoggedTag(
                                tag: tag, position: copyPosition, tid: tid, descriptor: position, intact: intact))
                    }
                } else {
                    for tag in described {
                        tags.append(LoggedTag(tag: tag, position: cursor.position, tid: tid, descriptor: position))
                        try cursor.skip(1)
                    }
                }
            case .commit:
                let commit = JournalCommitBlock(block)
                let intact =
                    (!sb.hasChecksumV1 || commit.v1Agrees(with: sumV1))
                    && JournalCommitBlock.checksumMatches(block, superblock: sb)
                if !intact {
                    plan.stop = commit.commitSeconds < lastCommitTime ? .staleLog(tid) : .badCommit(tid)
                    break scan
                }
                if checkCommitTime {
                    if commit.commitSeconds >= lastCommitTime {
                        throw Ext4Error(
                            .journal,
                            "journal transaction \(tid) (committed at journal block \(position)) holds a descriptor "
                                + "or revoke block whose checksum fails; the kernel refuses to mount such a journal")
                    }
                    plan.stop = .staleLog(tid)
                    break scan
                }
                lastCommitTime = commit.commitSeconds
                tid &+= 1
                sumV1 = ~0
            case .revoke:
                if !journalTailChecksumMatches(block, superblock: sb) { checkCommitTime = true }
                revokeBlocks.append((position, tid))
            case nil:
                break scan
            }
        }
        plan.endTransaction = tid
        guard tid != sb.sequence else { return plan }
        let committedTags = tags.prefix { $0.tid != plan.endTransaction }

        // Pass 2: revocations of committed transactions (kept only for blocks the log holds copies of).
        let tagged = Set(committedTags.map(\.tag.home))
        var revoked: [UInt64: UInt32] = [:]
        for (position, revokeTid) in revokeBlocks where revokeTid != plan.endTransaction {
            let block = JournalBytes(try source.readJournalBlock(position))
            for home in try JournalRevokeBlock(block, superblock: sb, position: position).blocks
            where tagged.contains(home) {
                if let known = revoked[home], Self.isAfter(known, revokeTid) { continue }
                revoked[home] = revokeTid
            }
        }

        // Pass 3: map every unrevoked copy of a committed transaction, latest last.
        for logged in committedTags {
            let home = logged.tag.home
            if let revokedIn = revoked[home], !Self.isAfter(logged.tid, revokedIn) {
                plan.revokedCopies += 1
                continue
            }
            if sb.hasChecksumV2orV3 {
                guard logged.intact else {
                    throw Ext4Error(
                        .journal,
                        "journal block \(logged.position), the copy of filesystem block \(home) in transaction "
                            + "\(logged.tid): its checksum does not match the descriptor's tag (journal block "
                            + "\(logged.descriptor))")
                }
            }
            guard home < filesystemBlocks else {
                throw Ext4Error(
                    .journal,
                    "journal block \(logged.descriptor), a tag of transaction \(logged.tid): filesystem block \(home) "
                        + "is past the end of the filesystem (\(filesystemBlocks) blocks)")
            }
            plan.copies[home] = JournalCopy(position: logged.position, escaped: logged.tag.isEscaped)
            plan.replayedCopies += 1
        }
        return plan
    }

    /// The kernel's `tid_gt`: whether transaction `a` comes after `b`, sequence numbers wrapping at 2³².
    static func isAfter(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) > 0 }
}

/// A tag seen by the scan: the copy's place in the log and the transaction it belongs to.
struct LoggedTag {
    var tag: JournalBlockTag
    /// The journal block holding the copy.
    var position: UInt32
    var tid: UInt32
    /// The journal block of the descriptor (for messages).
    var descriptor: UInt32
    /// Whether the copy matches the tag's checksum (v2/v3; true without them).
    var intact = true
}

/// A position in the circular log: advances block by block, wraps from the log's end to its first block, and
/// refuses to walk further than the log is long (a log that would loop).
struct LogCursor {
    private(set) var position: UInt32
    private let first: UInt64
    private let end: UInt64
    private var walked: UInt64 = 0

    init(superblock sb: JournalSuperblock) {
        position = sb.start
        first = UInt64(sb.first)
        end = UInt64(sb.logEnd)
    }

    /// Reads the block at the cursor and moves past it.
    mutating func read(_ source: some JournalBlockSource) throws(Ext4Error) -> ArraySlice<UInt8> {
        let here = position
        try skip(1)
        let block = try source.readJournalBlock(here)
        guard block.count == source.journalBlockSize else {
            throw Ext4Error(.journal, "journal block \(here) could not be read whole")
        }
        return block
    }

    /// Moves `count` blocks on, wrapping at the log's end.
    mutating func skip(_ count: Int) throws(Ext4Error) {
        let length = end - first
        walked += UInt64(count)
        // One block more than the log's length may be read: the block after a completely full log.
        guard walked <= length + 1 else {
            throw Ext4Error(
                .journal,
                "the log runs on past its own start at journal block \(position) (it is longer than the "
                    + "journal's \(length) log blocks: a loop)")
        }
        var next = UInt64(position) + UInt64(count)
        if next >= end { next = first + (next - first) % length }
        position = UInt32(next)
    }
}

/// The jbd2 log parser over a journal held in memory, for the fuzzing targets (`Tests/Fuzz`): not API.
@_spi(Fuzzing)
public enum JournalParsing {
    /// Parses `journal` (journal block 0 first, `blockSize` bytes a block) and plans its replay onto a
    /// filesystem of `filesystemBlocks` blocks, as a writable open would.
    public static func plan(
        journal: [UInt8], blockSize: Int, filesystemBlocks: UInt64
    )
        -> Result<JournalReplaySummary, Ext4Error>
    {
        let source = MemoryJournalSource(bytes: journal, journalBlockSize: blockSize)
        do throws(Ext4Error) {
            let superblock = try JournalSuperblock(
                parsing: Array(try source.readJournalBlock(0)), filesystemBlockSize: UInt32(blockSize),
                journalBlocks: UInt64(journal.count / blockSize))
            let plan = try JournalLog.plan(superblock: superblock, source: source, filesystemBlocks: filesystemBlocks)
            for (home, copy) in plan.copies {
                precondition(home < filesystemBlocks && copy.position < superblock.logEnd, "a copy outside its bounds")
            }
            var stopped: UInt32?
            if case .badCommit(let tid) = plan.stop { stopped = tid }
            return .success(
                JournalReplaySummary(
                    transactions: plan.transactionCount, firstTransaction: plan.firstTransaction,
                    blocks: plan.copies.count, revokedCopies: plan.revokedCopies, stoppedAtCorruptCommit: stopped,
                    nextSequence: plan.nextSequence, isCommitted: false))
        } catch {
            return .failure(error)
        }
    }
}

/// A journal held in memory.
struct MemoryJournalSource: JournalBlockSource {
    let bytes: [UInt8]
    let journalBlockSize: Int

    func readJournalBlock(_ index: UInt32) throws(Ext4Error) -> ArraySlice<UInt8> {
        let start = Int(index) * journalBlockSize
        guard start + journalBlockSize <= bytes.count else {
            throw Ext4Error(.journal, "journal block \(index) is past the end of the journal")
        }
        return bytes[start..<(start + journalBlockSize)]
    }
}
