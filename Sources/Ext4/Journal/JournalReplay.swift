public import BlockIO

/// What replaying a filesystem's journal did (or, for a read-only open, showed).
public struct JournalReplaySummary: Sendable, Hashable, Codable {
    /// Committed transactions replayed.
    public var transactions: Int
    /// The first transaction in the log (the journal superblock's `s_sequence`).
    public var firstTransaction: UInt32
    /// Distinct filesystem blocks the replay wrote (their latest copies).
    public var blocks: Int
    /// Copies skipped because a later transaction revoked their block.
    public var revokedCopies: Int
    /// The transaction whose commit block failed its checksum, where the replay stopped (as the kernel does).
    public var stoppedAtCorruptCommit: UInt32?
    /// The journal superblock's `s_sequence` once emptied.
    public var nextSequence: UInt32
    /// Whether the replay is written into the image with the session's commit (writable open), or only shown
    /// (read-only open: the image is unchanged).
    public var isCommitted: Bool

    /// One sentence for a person.
    public var sentence: String {
        let what =
            "\(transactions) transaction\(transactions == 1 ? "" : "s"), \(blocks) block\(blocks == 1 ? "" : "s")"
        let stop =
            stoppedAtCorruptCommit.map {
                "; transaction \($0) and later were not replayed: its commit block fails its checksum"
            } ?? ""
        return isCommitted
            ? "the journal was replayed (\(what)\(stop)) and is written with this session's changes"
            : "the journal was replayed in memory (\(what)\(stop)): reads show the filesystem as the kernel would "
                + "mount it; the image is unchanged (`vhdedit recover` writes the replay)"
    }
}

/// The journal replay of a filesystem whose superblock says `needs_recovery`: its plan, and the device seen as
/// replayed.
struct JournalReplay {
    let plan: JournalReplayPlan
    let view: ReplayedDevice

    /// Plans the replay of the journal of the filesystem open (read-only) in `probe`, on `device`; nil when the
    /// filesystem does not need recovery.
    ///
    /// `checkingCopies` false (a read-only view, never applied): the scan reads the log's descriptor, commit and
    /// revoke blocks only, and the view checks each copy's checksum when it reads the copy (a journal of large
    /// transactions is then read a few blocks a transaction, not whole).
    ///
    /// - Throws: ``Ext4Error/Code/unsupportedFeature`` for an external journal device or a fast-commit area
    ///   that holds entries; ``Ext4Error/Code/journal`` for a damaged or hostile log; ``Ext4Error/Code/corrupt``
    ///   when `needs_recovery` is set without a journal.
    static func prepare(
        probe: Ext2Handle, device: any BlockDevice, checkingCopies: Bool = true
    ) throws(Ext4Error) -> JournalReplay? {
        let sb = probe.superblock
        guard sb.incompat & FeatureBit.needsRecovery != 0 else { return nil }
        guard sb.compat & FeatureBit.hasJournal != 0 else {
            throw Ext4Error(
                .corrupt,
                "the superblock says the journal needs recovery (needs_recovery) but the filesystem has no journal; "
                    + "run `e2fsck -fy` on the partition")
        }
        let placement = probe.journalPlacement
        guard placement.inode != 0 else {
            throw Ext4Error(
                .unsupportedFeature,
                "the journal is on an external journal device (s_journal_dev 0x\(String(placement.externalDevice, radix: 16))"
                    + "\(placement.hasExternalUUID ? ", named by s_journal_uuid" : "")), which is not part of this image; "
                    + "external journals are not replayed: run `e2fsck -fy -j DEVICE` on the partition, or boot the VM once"
            )
        }
        let blockSize = Int(sb.blockSize)
        let record = try probe.readInode(placement.inode)
        let journalBlocks = record.size / UInt64(blockSize)
        guard journalBlocks >= 2, journalBlocks <= UInt64(UInt32.max) else {
            throw Ext4Error(
                .journal, "the journal inode \(placement.inode) is \(record.size) bytes long: not a journal")
        }
        let map: JournalBlockMap
        do {
            if let extents = try probe.extentRuns(of: placement.inode, count: journalBlocks) {
                map = JournalBlockMap(runs: extents)
            } else {
                map = JournalBlockMap(runs: try probe.blockRuns(of: placement.inode, count: journalBlocks))
            }
        } catch {
            throw Ext4Error(.journal, "the journal (inode \(placement.inode)): \(error.message)")
        }
        let source = DeviceJournalSource(device: device, map: map, journalBlockSize: blockSize)
        let superblock = try JournalSuperblock(
            parsing: Array(try source.readJournalBlock(0)), filesystemBlockSize: sb.blockSize,
            journalBlocks: journalBlocks)
        // Reading ahead reads every block of the log: only for a walk that reads them all. One that steps over
        // the copies (each checked when read) stays on this thread, its windows shrinking.
        let readsCopies = checkingCopies || !superblock.hasChecksumV2orV3
        source.beginWalk(of: superblock, shrinkingWindows: !readsCopies)
        if readsCopies { source.startReadingAhead(superblock) }
        defer { source.stopReadingAhead() }
        let plan = try JournalLog.plan(
            superblock: superblock, source: source, filesystemBlocks: sb.blocksCount, checkingCopies: checkingCopies)
        source.stopReadingAhead()
        try refuseFastCommits(plan, source: source)
        for run in map.runs {
            if let home = plan.copies.nextHome(atOrAfter: run.physical), home - run.physical < run.count {
                throw Ext4Error(
                    .journal,
                    "the log holds a copy of filesystem block \(home), which is a block of the journal itself")
            }
        }

        // The two superblocks as recovery leaves them.
        let unpatched = ReplayedDevice(
            base: device, blockSize: blockSize, copies: plan.copies, map: map, journal: superblock, patches: [:])
        var patches: [UInt64: [UInt8]] = [:]
        let superblockBlock: UInt64 = blockSize == 1024 ? 1 : 0
        let inBlock = blockSize == 1024 ? 0 : 1024
        do {
            var bytes = try unpatched.read(at: superblockBlock * UInt64(blockSize), count: blockSize)
            bytes[inBlock + 0x60] &= ~UInt8(FeatureBit.needsRecovery)
            if case .badCommit = plan.stop {
                // A committed transaction is lost: recorded as a filesystem error (s_state), as e2fsck does, so
                // that writes wait for a full check.
                bytes[inBlock + 0x3A] |= UInt8(FeatureBit.errorState)
            }
            if Self.littleEndian(bytes, inBlock + 0x64) & FeatureBit.metadataCsum != 0 {
                let sum = JournalChecksum.crc32c(~0, bytes[inBlock..<(inBlock + 1020)])
                for index in 0..<4 { bytes[inBlock + 1020 + index] = UInt8(truncatingIfNeeded: sum >> (8 * index)) }
            }
            patches[superblockBlock] = bytes
            let journalHome = map.physical(0)!
            let journalHeader = try device.read(at: journalHome * UInt64(blockSize), count: blockSize)
            patches[journalHome] = JournalSuperblock.emptied(
                journalHeader, nextSequence: plan.nextSequence, checksummed: superblock.hasChecksumV2orV3)
        } catch {
            throw Ext4Error(.io, "cannot read the superblocks to replay the journal", underlying: error)
        }
        let view = ReplayedDevice(
            base: device, blockSize: blockSize, copies: plan.copies, map: map, journal: superblock, patches: patches)
        return JournalReplay(plan: plan, view: view)
    }

    /// Writes the replay onto `device` (the view's base, writable).
    func apply(to device: any BlockDevice) throws(Ext4Error) { try view.apply(to: device) }

    func summary(committed: Bool) -> JournalReplaySummary {
        var stopped: UInt32?
        if case .badCommit(let tid) = plan.stop { stopped = tid }
        return JournalReplaySummary(
            transactions: plan.transactionCount, firstTransaction: plan.firstTransaction, blocks: plan.copies.count,
            revokedCopies: plan.revokedCopies, stoppedAtCorruptCommit: stopped, nextSequence: plan.nextSequence,
            isCommitted: committed)
    }

    /// Refuses a fast-commit area that holds entries for the transaction after the log (ext4's `fast_commit`:
    /// its first tag is a head naming that transaction).
    private static func refuseFastCommits(_ plan: JournalReplayPlan, source: DeviceJournalSource) throws(Ext4Error) {
        let sb = plan.superblock
        guard sb.hasFastCommit, sb.start != 0 else { return }
        for index in [sb.logEnd, sb.logEnd + 1] where index < sb.maxLength {
            let block = Array(try source.readJournalBlock(index))
            // struct ext4_fc_tl { le16 tag; le16 len; } then struct ext4_fc_head { le32 features; le32 tid; }
            let tag = UInt16(block[0]) | UInt16(block[1]) << 8
            let tid = UInt32(Self.littleEndian(block, 8))
            if tag == 9 && tid == plan.endTransaction {
                throw Ext4Error(
                    .unsupportedFeature,
                    "the journal's fast-commit area (journal block \(index)) holds entries for transaction \(tid); "
                        + "fast commits are not replayed yet (they may be later): run `e2fsck -fy` on the partition "
                        + "or boot the VM once")
            }
        }
    }

    private static func littleEndian(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        guard offset + 4 <= bytes.count else { return 0 }
        return UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
            | UInt32(bytes[offset + 3]) << 24
    }
}

extension Ext4FileSystem {
    /// Replays the journal of the filesystem on `device` onto the device and nothing else (what
    /// `e2fsck -E journal_only` does): every block of the committed transactions written home, `needs_recovery`
    /// cleared, the journal emptied. libext2fs never opens the filesystem for writing, so no other byte changes.
    ///
    /// - Parameter device: the filesystem's device, writable (under an edit journal: the replay becomes part of
    ///   the image at its commit).
    /// - Returns: what was replayed, or nil when the filesystem did not need recovery (nothing written).
    /// - Throws: ``Ext4Error`` as ``init(device:writable:clock:)`` does for a journal it cannot replay.
    public static func replayJournal(on device: any BlockDevice) throws(Ext4Error) -> JournalReplaySummary? {
        guard device.isWritable else {
            throw Ext4Error(.readOnly, "cannot replay the journal: the image is open read-only")
        }
        let name = DeviceRegistry.register(DeviceBackend(device: device, writable: false))
        defer { DeviceRegistry.unregister(name) }
        let probe = try Ext2Handle(channelName: name, backend: DeviceRegistry.backend(named: name)!, writable: false)
        defer { probe.abandon() }
        guard let replay = try JournalReplay.prepare(probe: probe, device: device) else { return nil }
        try replay.apply(to: device)
        return replay.summary(committed: true)
    }
}
