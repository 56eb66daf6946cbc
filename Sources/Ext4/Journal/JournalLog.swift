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
    var copies: JournalCopyTable
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
    /// With `checkingCopies` false the walk reads descriptor, commit and revoke blocks only and steps over the
    /// copies (as the kernel's scan pass does with v2/v3 checksums): a copy's checksum is then checked when the
    /// copy is read, and only the latest copy of each block is ever checked (a read-only view, which never reads
    /// the others; ``ReplayedDevice`` checks). A writing replay checks every copy here.
    ///
    /// - Throws: ``Ext4Error/Code/journal`` for a log the kernel would refuse to mount: a data copy, descriptor
    ///   or revoke block of a committed transaction whose checksum fails, a revoke count that does not fit its
    ///   block, a copy for a block past the end of the filesystem (`filesystemBlocks`), a log longer than the
    ///   journal (a loop); or the source's error.
    static func plan(
        superblock sb: JournalSuperblock, source: some JournalBlockSource, filesystemBlocks: UInt64,
        checkingCopies: Bool = true
    )
        throws(Ext4Error) -> JournalReplayPlan
    {
        var plan = JournalReplayPlan(
            superblock: sb, firstTransaction: sb.sequence, endTransaction: sb.sequence, copies: JournalCopyTable(),
            revokedCopies: 0, replayedCopies: 0, stop: .endOfLog)
        // Copies not checked by the scan carry their tag's checksum in the table (``JournalCopyTable/check(at:)``).
        let checksLater = !checkingCopies && sb.hasChecksumV2orV3
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
        var tags = LoggedTags(keepsChecksums: checksLater)
        var zeroRuns = CRC32CZeroRuns()
        var revokeBlocks: [(position: UInt32, tid: UInt32)] = []
        scan: while true {
            let position = cursor.position
            let block = JournalBytes(try cursor.read(source))
            guard let header = JournalBlockHeader(block), header.sequence == tid else { break }
            switch header.kind {
            case .descriptor:
                let (described, tagsEnd) = JournalBlockTag.tags(of: block, superblock: sb)
                if !journalTailChecksumMatches(block, superblock: sb, zerosFrom: tagsEnd, zeroRuns: &zeroRuns) {
                    checkCommitTime = true
                }
                tags.startDescriptor(at: position)
                if sb.hasChecksumV1 && !checkCommitTime {
                    sumV1 = JournalChecksum.crc32be(sumV1, block.bytes)
                    for tag in described {
                        let copyPosition = cursor.position
                        let copy = try cursor.read(source)
                        sumV1 = JournalChecksum.crc32be(sumV1, copy)
                        tags.append(tag, position: copyPosition, tid: tid, intact: true)
                    }
                } else if checksLater {
                    // Stepped over unread: each is checked against its tag when read.
                    for tag in described {
                        tags.append(tag, position: cursor.position, tid: tid, intact: true)
                        try cursor.skip(1)
                    }
                } else if sb.hasChecksumV2orV3 {
                    // Each copy is checked here, while the walk reads past it anyway; only a copy of a committed
                    // transaction that fails is an error (pass 3), a torn last transaction's are not.
                    let seed = JournalBlockTag.transactionSeed(tid, superblock: sb)
                    for tag in described {
                        let copyPosition = cursor.position
                        let intact = tag.matches(try cursor.read(source), transactionSeed: seed, superblock: sb)
                        tags.append(tag, position: copyPosition, tid: tid, intact: intact)
                    }
                } else {
                    for tag in described {
                        tags.append(tag, position: cursor.position, tid: tid, intact: true)
                        try cursor.skip(1)
                    }
                }
            case .commit:
                let commit = JournalCommitBlock(block)
                let intact =
                    (!sb.hasChecksumV1 || commit.v1Agrees(with: sumV1))
                    && JournalCommitBlock.checksumMatches(block, superblock: sb, zeroRuns: &zeroRuns)
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
        tags.dropTransaction(plan.endTransaction)

        // The committed copies grouped by home block (one sort of 4- or 8-byte keys, no dictionary).
        let order = tags.indicesByHome()
        var distinct: [UInt64] = []
        for index in order where distinct.last != tags.homes[Int(index)] { distinct.append(tags.homes[Int(index)]) }

        // Pass 2: revocations of committed transactions (kept only for blocks the log holds copies of): the
        // latest revoking transaction of each.
        var revokedIn = [UInt32](repeating: 0, count: distinct.count)
        var isRevoked = [Bool](repeating: false, count: distinct.count)
        for (position, revokeTid) in revokeBlocks where revokeTid != plan.endTransaction {
            let block = JournalBytes(try source.readJournalBlock(position))
            for home in try JournalRevokeBlock(block, superblock: sb, position: position).blocks {
                let group = distinct.lowerBound(of: home)
                guard group < distinct.count, distinct[group] == home else { continue }
                if isRevoked[group], Self.isAfter(revokedIn[group], revokeTid) { continue }
                revokedIn[group] = revokeTid
                isRevoked[group] = true
            }
        }

        // Pass 3: map every unrevoked copy of a committed transaction, the latest of each block winning. A fault
        // (a copy failing its checksum, a block past the filesystem) is reported for the earliest copy in the
        // log, as a walk in log order would.
        var fault: (tag: Int, checksum: Bool)?
        var table = JournalCopyTable()
        func check(_ tag: Int) -> JournalCopyCheck? {
            checksLater ? JournalCopyCheck(transaction: tags.tids[tag], checksum: tags.checksums[tag]) : nil
        }
        var group = -1
        var latest: Int?
        for index in order.lazy.map({ Int($0) }) {
            let home = tags.homes[index]
            if group < 0 || distinct[group] != home {
                if let latest {
                    table.append(home: distinct[group], copy: tags.copy(at: latest), check: check(latest))
                }
                group += 1
                latest = nil
            }
            if isRevoked[group], !Self.isAfter(tags.tids[index], revokedIn[group]) {
                plan.revokedCopies += 1
                continue
            }
            if sb.hasChecksumV2orV3 && !tags.isIntact(index) {
                if fault.map({ index < $0.tag }) ?? true { fault = (index, true) }
                continue
            }
            guard home < filesystemBlocks else {
                if fault.map({ index < $0.tag }) ?? true { fault = (index, false) }
                continue
            }
            latest = max(latest ?? index, index)
            plan.replayedCopies += 1
        }
        if let latest { table.append(home: tags.homes[latest], copy: tags.copy(at: latest), check: check(latest)) }
        if let fault {
            let home = tags.homes[fault.tag]
            let copyTid = tags.tids[fault.tag]
            let descriptor = tags.descriptor(ofTag: fault.tag)
            if fault.checksum {
                throw Ext4Error(
                    .journal,
                    "journal block \(tags.positions[fault.tag]), the copy of filesystem block \(home) in transaction "
                        + "\(copyTid): its checksum does not match the descriptor's tag (journal block \(descriptor))")
            }
            throw Ext4Error(
                .journal,
                "journal block \(descriptor), a tag of transaction \(copyTid): filesystem block \(home) "
                    + "is past the end of the filesystem (\(filesystemBlocks) blocks)")
        }
        plan.copies = table
        return plan
    }

    /// The kernel's `tid_gt`: whether transaction `a` comes after `b`, sequence numbers wrapping at 2³².
    static func isAfter(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) > 0 }
}

/// The tags seen by the scan, in log order, as parallel arrays (a 1 GiB log holds some 250,000): the home
/// block, the journal block holding the copy, the transaction, and two flags (escaped; failing its checksum).
struct LoggedTags {
    private enum Flag {
        static let escaped: UInt8 = 1
        static let damaged: UInt8 = 2
    }

    private(set) var homes: [UInt64] = []
    private(set) var positions: [UInt32] = []
    private(set) var tids: [UInt32] = []
    /// Each tag's checksum of its copy (v3: 32 bits; v2: the low 16; 0 without checksums), kept only when the
    /// copies are checked after the scan (``keepsChecksums``).
    private(set) var checksums: [UInt32] = []
    let keepsChecksums: Bool

    init(keepsChecksums: Bool) { self.keepsChecksums = keepsChecksums }
    private var flags: [UInt8] = []
    /// Each descriptor's first tag and journal block, in log order (for messages).
    private var descriptors: [(firstTag: Int, position: UInt32)] = []

    var count: Int { homes.count }

    /// Notes that the tags appended next belong to the descriptor at journal block `position`.
    mutating func startDescriptor(at position: UInt32) { descriptors.append((homes.count, position)) }

    /// Appends a tag whose copy lies at journal block `position`; `intact`: whether the copy matches the tag's
    /// checksum (v2/v3; true without them).
    mutating func append(_ tag: JournalBlockTag, position: UInt32, tid: UInt32, intact: Bool) {
        homes.append(tag.home)
        positions.append(position)
        tids.append(tid)
        if keepsChecksums { checksums.append(tag.checksum) }
        flags.append((tag.isEscaped ? Flag.escaped : 0) | (intact ? 0 : Flag.damaged))
    }

    /// Drops the tags of transaction `tid` from the end (a torn last transaction, never replayed).
    mutating func dropTransaction(_ tid: UInt32) {
        var kept = count
        while kept > 0 && tids[kept - 1] == tid { kept -= 1 }
        homes.removeSubrange(kept...)
        positions.removeSubrange(kept...)
        tids.removeSubrange(kept...)
        if keepsChecksums { checksums.removeSubrange(kept...) }
        flags.removeSubrange(kept...)
    }

    func isIntact(_ index: Int) -> Bool { flags[index] & Flag.damaged == 0 }

    func copy(at index: Int) -> JournalCopy {
        JournalCopy(position: positions[index], escaped: flags[index] & Flag.escaped != 0)
    }

    /// The journal block of the descriptor holding tag `index`.
    func descriptor(ofTag index: Int) -> UInt32 {
        descriptors.last { $0.firstTag <= index }?.position ?? 0
    }

    /// The tags' indices sorted by home block (in no particular order among the tags of one block).
    func indicesByHome() -> [UInt32] {
        if homes.allSatisfy({ $0 <= UInt64(UInt32.max) }) {
            // Home and index packed in one word: the sort compares integers, not through a closure.
            var keys = homes.indices.map { homes[$0] << 32 | UInt64($0) }
            keys.sort()
            return keys.map { UInt32(truncatingIfNeeded: $0) }
        }
        var order = homes.indices.map { UInt32($0) }
        order.sort { homes[Int($0)] < homes[Int($1)] }
        return order
    }
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
            for index in 0..<plan.copies.count {
                precondition(
                    plan.copies.homes[index] < filesystemBlocks
                        && plan.copies.copy(at: index).position < superblock.logEnd,
                    "a copy outside its bounds")
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
