public import BlockIO

#if canImport(Glibc)
    import Glibc
#endif

/// An ext2, ext3 or ext4 filesystem on a `BlockDevice`, read and edited through libext2fs.
///
/// Open one with `init(device:writable:)`, use the file operations (``stat(_:)``, ``list(_:recursive:)``,
/// ``readFile(_:limit:)``, ``writeFile(_:contents:options:)`` …), then call ``close()`` to write the metadata
/// back. Dropping the value without closing frees the handle and writes nothing more.
///
/// The type owns the only `ext2_filsys` handle of the filesystem and is not thread-safe (libext2fs is not):
/// use one value from one task at a time.
///
/// Safety on open: before anything is written the superblock is checked. A journal that needs recovery (an
/// image captured from a running system) is replayed first, as the kernel does at mount: a read-only open reads
/// through the replayed view and writes nothing; a writable open writes the replay to the device (the edit
/// journal makes it part of the session's one commit) and then releases or truncates the inodes on the orphan
/// list and orphan file. A journal that cannot be replayed, a recorded error state, an unclean ext2 or
/// multi-mount protection make a writable open fail with an error that says why and what to do; a
/// read-only open succeeds and carries the findings in ``warnings``. With the `quota` feature, every commit
/// recounts user, group and project usage into the quota files.
public final class Ext4FileSystem {
    /// How many symbolic links one path resolution may follow before it fails with
    /// ``Ext4Error/Code/symlinkLoop`` (Linux's limit).
    public static let maxSymlinkHops = 40

    /// Whether the filesystem was opened for writing.
    public let isWritable: Bool
    /// What the open-time checks found that a reader should know (for example a journal that needs recovery:
    /// what is read may be stale).
    public let warnings: [Ext4Warning]
    /// What the open replayed from the filesystem's journal (jbd2), when the superblock said it needed recovery:
    /// in memory for a read-only open, into the session's changes for a writable one. nil when nothing needed
    /// replaying.
    public let journalReplay: JournalReplaySummary?
    /// What a writable open did with the superblock's orphan list and the orphan file (files deleted while
    /// still open, truncates cut short), processed as the kernel does at mount; nil when there was none.
    public let orphans: OrphanCleanup?
    /// The time stamped on everything this session creates or changes, in seconds since 1970: the `clock`
    /// given to the initializer, else the `SOURCE_DATE_EPOCH` environment variable (reproducible edits), else
    /// `E2FSPROGS_FAKE_TIME` (as e2fsprogs' tools honour it), else the time of opening.
    public let timestamp: Int64
    /// Whether the clock is fixed (given, or from the environment): then new inode generations are derived
    /// from it too, so the same edit gives the same bytes.
    let isReproducible: Bool

    let handle: Ext2Handle
    /// Labels each inode this session creates (files, directories, symbolic links), e.g. with the guest's
    /// SELinux file contexts; nil: new inodes get no label.
    public var newInodeLabeler: (any NewInodeLabeling)?
    private let channelName: String

    /// Opens the filesystem on `device`.
    ///
    /// - Parameters:
    ///   - device: the partition (or whole disk) holding the filesystem.
    ///   - writable: open for writing. Refused when the device is read-only or the filesystem is not safe to
    ///     write (see the type's discussion).
    ///   - clock: the time to stamp on changes; default `SOURCE_DATE_EPOCH` or the current time.
    /// - Throws: ``Ext4Error`` with ``Ext4Error/Code/journal`` (a journal that cannot be replayed, for writing),
    ///   ``Ext4Error/Code/corrupt``, ``Ext4Error/Code/unsupportedFeature``, ``Ext4Error/Code/readOnly`` or
    ///   ``Ext4Error/Code/io``.
    public init(device: any BlockDevice, writable: Bool = false, clock: Int64? = nil) throws(Ext4Error) {
        if writable && !device.isWritable {
            throw Ext4Error(.readOnly, "cannot open the filesystem for writing: the image is open read-only")
        }
        let fixedClock = clock ?? Self.environmentClock()
        let now = fixedClock ?? Int64(time(nil))
        var name = DeviceRegistry.register(DeviceBackend(device: device, writable: writable))
        do throws(Ext4Error) {
            // Look first with a read-only handle: a writable open of an MMP filesystem would already write.
            var probe = try Ext2Handle(
                channelName: name, backend: DeviceRegistry.backend(named: name)!, writable: false)
            var replaySummary: JournalReplaySummary?
            var orphanCleanup: OrphanCleanup?
            var replayFailure: Ext4Error?
            var replay: JournalReplay?
            do {
                // A reader's view checks each journal copy when it reads it; a writer checks them all first.
                replay = try JournalReplay.prepare(probe: probe, device: device, checkingCopies: writable)
            } catch {
                // Writes need the replay; a reader is told why the journal was not replayed and reads on.
                if writable { probe.abandon(); throw error }
                replayFailure = error
            }
            if writable, let replay, case .badCommit(let tid) = replay.plan.stop {
                probe.abandon()
                throw Ext4Error(
                    .journal,
                    "journal transaction \(tid) is complete but its commit block fails its checksum: the kernel stops "
                        + "the replay before it and marks the filesystem as having errors, so writes wait for a full "
                        + "check; run `e2fsck -fy` on the partition (read-only commands show the replay up to it)")
            }
            if let replay {
                // A journal that needs recovery: replayed first, as the kernel does at mount. Writable: written
                // onto the device (the edit journal keeps it until the session commits, with the session's own
                // changes); read-only: the filesystem is read through the replayed view.
                probe.abandon()
                if writable {
                    try replay.apply(to: device)
                } else {
                    DeviceRegistry.unregister(name)
                    name = DeviceRegistry.register(DeviceBackend(device: replay.view, writable: false))
                }
                probe = try Ext2Handle(
                    channelName: name, backend: DeviceRegistry.backend(named: name)!, writable: false)
                replaySummary = replay.summary(committed: writable)
            }
            let findings = OpenChecks.findings(probe.superblock)
            if writable, let refusal = findings.first(where: { $0.refusesWrites }) {
                probe.abandon()
                throw Ext4Error(refusal.code, refusal.message)
            }
            if writable {
                probe.abandon()
                handle = try Ext2Handle(channelName: name, backend: probe.backend, writable: true)
                try handle.readBitmaps()
                handle.setClock(now)
                if replaySummary != nil { try handle.recountFreeFromGroups() }
                let sb = handle.superblock
                if sb.lastOrphan != 0 { orphanCleanup = try handle.processOrphanList(now: now) }
                if sb.compat & FeatureBit.orphanFile != 0 && sb.roCompat & FeatureBit.orphanPresent != 0 {
                    let more = try handle.processOrphanFile(now: now)
                    orphanCleanup = OrphanCleanup(
                        released: (orphanCleanup?.released ?? 0) + more.released,
                        truncated: (orphanCleanup?.truncated ?? 0) + more.truncated)
                }
            } else {
                handle = probe
            }
            journalReplay = replaySummary
            orphans = orphanCleanup
            var notes = findings.filter { writable || $0.concernsReaders }
                .map { Ext4Warning(code: $0.code, message: writable ? $0.message : $0.readerMessage ?? $0.message) }
            if let replaySummary {
                notes.insert(Ext4Warning(code: .needsRecovery, message: replaySummary.sentence), at: 0)
            }
            if let replayFailure {
                notes.append(
                    Ext4Warning(
                        code: replayFailure.code, message: "the journal cannot be replayed: \(replayFailure.message)"))
            }
            warnings = notes
        } catch {
            DeviceRegistry.unregister(name)
            throw error
        }
        channelName = name
        isWritable = writable
        timestamp = now
        isReproducible = fixedClock != nil
        handle.setClock(timestamp)
    }

    deinit {
        handle.abandon()
        DeviceRegistry.unregister(channelName)
    }

    /// Writes bitmaps, group descriptors, free counts and superblocks (with their checksums) back and flushes
    /// the device, keeping the filesystem open. Does nothing on a read-only filesystem.
    public func commit() throws(Ext4Error) {
        guard isWritable else { return }
        try requireIntact()
        try updateQuotaUsage()
        try handle.flush()
    }

    /// Writes everything back (as ``commit()``) and releases the libext2fs handle. The handle is freed even
    /// when writing fails. Later calls on this value fail.
    ///
    /// - Throws: ``Ext4Error/Code/aborted`` without writing anything when an earlier change failed part-way
    ///   (libext2fs's in-memory state may then be half-updated): abandon the image's changes in that case.
    public func close() throws(Ext4Error) {
        defer { DeviceRegistry.unregister(channelName) }
        if let failure = handle.mutationFailure {
            handle.abandon()
            throw Ext4Error(
                .aborted, "not written back: an earlier change failed part-way (\(failure)); abandon this session",
                path: failure.path)
        }
        if isWritable {
            do { try updateQuotaUsage() } catch {
                handle.abandon()
                throw error
            }
        }
        try handle.close()
    }

    /// Releases the libext2fs handle without writing anything more (what dropping the value does).
    public func abandon() {
        handle.abandon()
        DeviceRegistry.unregister(channelName)
    }

    /// Whether an earlier change failed part-way, so the session can only be abandoned.
    public var hasFailedChange: Bool { handle.mutationFailure != nil }

    private func requireIntact() throws(Ext4Error) {
        if let failure = handle.mutationFailure {
            throw Ext4Error(
                .aborted, "an earlier change failed part-way (\(failure)); abandon this session", path: failure.path)
        }
    }

    /// Sizes, label, UUID and features of the filesystem.
    public var info: FilesystemInfo {
        let sb = handle.superblock
        let features = FeatureBit.names(compat: sb.compat, incompat: sb.incompat, roCompat: sb.roCompat)
        // What blkid calls it: any ext4-only feature makes ext4, else a journal makes ext3.
        let kind: FilesystemInfo.Kind =
            sb.incompat & FeatureBit.ext4Incompat != 0 || sb.roCompat & FeatureBit.ext4RoCompat != 0
            ? .ext4 : sb.compat & FeatureBit.hasJournal != 0 ? .ext3 : .ext2
        let uuid = sb.uuid.map { byte -> String in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
        }
        let text = uuid.joined()
        let dashed = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            String(Array(text)[range])
        }.joined(separator: "-")
        return FilesystemInfo(
            kind: kind, blockSize: Int(sb.blockSize), blockCount: sb.blocksCount, freeBlocks: sb.freeBlocks,
            inodeCount: UInt64(sb.inodesCount), freeInodes: UInt64(sb.freeInodes), inodeSize: sb.inodeSize,
            label: GuestName(bytes: sb.label).display, uuid: dashed, features: features)
    }

    /// `SOURCE_DATE_EPOCH`, else `E2FSPROGS_FAKE_TIME`, when set to a valid number.
    static func environmentClock() -> Int64? {
        for name in ["SOURCE_DATE_EPOCH", "E2FSPROGS_FAKE_TIME"] {
            if let text = getenv(name).map({ String(cString: $0) }), let value = Int64(text.trimmed(" \t\n")) {
                return value
            }
        }
        return nil
    }

    func requireWritable(_ path: GuestPath) throws(Ext4Error) {
        guard isWritable else {
            throw Ext4Error(.readOnly, "the filesystem is open read-only", path: path.description)
        }
        try requireIntact()
    }

    /// Fails with ``Ext4Error/Code/noSpace`` before anything changes when `bytes` of new data (plus extent
    /// index blocks) cannot fit in the free blocks, counting the blocks a replaced file gives back.
    func requireSpace(forBytes bytes: UInt64, reclaiming record: InodeRecord?, _ path: GuestPath) throws(Ext4Error) {
        let sb = handle.superblock
        let blockSize = UInt64(sb.blockSize)
        let dataBlocks = (bytes + blockSize - 1) / blockSize
        let indexBlocks = dataBlocks / (blockSize / 12) + 2
        let reclaimed = record.map { $0.blocks512 * 512 / blockSize } ?? 0
        guard dataBlocks + indexBlocks <= sb.freeBlocks + reclaimed else {
            throw Ext4Error(
                .noSpace,
                "\(bytes) bytes need about \(dataBlocks + indexBlocks) blocks of \(blockSize) bytes; "
                    + "\(sb.freeBlocks) are free", path: path.description)
        }
    }
}

extension String {
    /// The string without leading and trailing characters from `set`.
    fileprivate func trimmed(_ set: String) -> String {
        var view = Substring(self)
        while let first = view.first, set.contains(first) { view.removeFirst() }
        while let last = view.last, set.contains(last) { view.removeLast() }
        return String(view)
    }
}

/// Something the open-time checks found: a reason writes are unsafe, or a note for readers.
public struct Ext4Warning: Sendable, Hashable, CustomStringConvertible {
    /// The error code a writable open would fail with for this finding.
    public var code: Ext4Error.Code
    /// What was found and what to do.
    public var message: String
    /// The ``message``.
    public var description: String { message }
}

/// Facts about an open filesystem.
public struct FilesystemInfo: Sendable, Hashable, Codable {
    /// The filesystem generation its features make it.
    public enum Kind: String, Sendable, Codable { case ext2, ext3, ext4 }
    /// ext2, ext3 or ext4, judged by the features as libblkid does.
    public var kind: Kind
    /// The block size in bytes (1024 to 65536).
    public var blockSize: Int
    /// Blocks in the filesystem.
    public var blockCount: UInt64
    /// Free blocks (the superblock's count, kept current by this session's allocations).
    public var freeBlocks: UInt64
    /// Inodes in the filesystem.
    public var inodeCount: UInt64
    /// Free inodes.
    public var freeInodes: UInt64
    /// The on-disk inode size in bytes (128 or more).
    public var inodeSize: Int
    /// The volume label (escaped like ``GuestName/display``).
    public var label: String
    /// The filesystem UUID, lowercase with dashes.
    public var uuid: String
    /// e2fsprogs' names of the features that are set.
    public var features: [String]
}

/// The superblock checks made before a filesystem is opened.
enum OpenChecks {
    struct Finding {
        var code: Ext4Error.Code
        /// Why a writable open is refused and what to do.
        var message: String
        var refusesWrites: Bool
        /// What a reader is told (defaults to `message`).
        var readerMessage: String? = nil
        /// Whether a reader is told at all.
        var concernsReaders = true
    }

    static func findings(_ sb: SuperblockSnapshot) -> [Finding] {
        var out: [Finding] = []
        if sb.incompat & FeatureBit.needsRecovery != 0 {
            out.append(
                Finding(
                    code: .needsRecovery,
                    message: "cannot write: the journal needs recovery (the image was taken from a running system or "
                        + "after a crash) and could not be replayed, and changes written now would be undone or corrupted "
                        + "by a later replay. Run `e2fsck -fy` on the partition (or boot the VM once) first, or open the "
                        + "image read-only",
                    refusesWrites: true,
                    readerMessage: "the journal needs recovery (the image was taken from a running system or after a "
                        + "crash) and was not replayed: what is read may be stale, the latest changes are still in the "
                        + "journal; run `e2fsck -fy` on the partition to replay it"))
        }
        if sb.state & FeatureBit.errorState != 0 || sb.errorCount > 0 {
            out.append(
                Finding(
                    code: .corrupt,
                    message:
                        "the filesystem has recorded errors (state 'with errors', \(sb.errorCount) errors counted); "
                        + "run `e2fsck -fy` on the partition before writing",
                    refusesWrites: true))
        }
        if sb.state & FeatureBit.validState == 0 && sb.incompat & FeatureBit.needsRecovery == 0 {
            out.append(
                Finding(
                    code: .corrupt,
                    message:
                        "the filesystem was not cleanly unmounted; run `e2fsck -fy` on the partition before writing",
                    refusesWrites: true))
        }
        if sb.lastOrphan != 0 || sb.compat & FeatureBit.orphanFile != 0 && sb.roCompat & FeatureBit.orphanPresent != 0 {
            out.append(
                Finding(
                    code: .corrupt,
                    message: "the filesystem has an orphan list (files deleted while still open, or cut short): it is "
                        + "processed as the kernel does at mount, with this session's changes",
                    refusesWrites: false,
                    readerMessage: "the filesystem has an orphan list (files deleted while still open): such files are "
                        + "not visible here; a writing command releases them as the kernel does at mount",
                    concernsReaders: true))
        }
        if sb.incompat & FeatureBit.mmp != 0 {
            out.append(
                Finding(
                    code: .unsupportedFeature,
                    message: "the filesystem uses multi-mount protection (mmp), which this tool does not take part in; "
                        + "disable it with `tune2fs -O ^mmp` on an image no host uses, or open it read-only",
                    refusesWrites: true))
        }
        if sb.incompat & FeatureBit.journalDevice != 0 {
            out.append(
                Finding(
                    code: .unsupportedFeature, message: "this is an external journal device, not a filesystem",
                    refusesWrites: true))
        }
        return out
    }
}
