internal import BlockIO
internal import DiskLayout
public import Ext4

/// What `vhdedit recover` found and did: the image's own pending edit (vhdedit's redo log) and the filesystem's
/// journal (jbd2).
public struct RecoveryReport: Sendable, Codable {
    /// What happened to a pending vhdedit edit journal (`<image>.vhdedit-journal`).
    public enum EditJournalOutcome: String, Sendable, Codable {
        /// There was none.
        case none
        /// A sealed journal of a committed session was replayed: that edit is finished.
        case finished
        /// A torn journal (a session that never committed) was deleted: the image is as before that session.
        case discarded
    }

    /// The image file.
    public var image: String
    /// The pending edit journal's outcome.
    public var editJournal: EditJournalOutcome
    /// The sentence describing it.
    public var editJournalDetail: String
    /// The partition whose filesystem was looked at (nil: a disk without a partition table).
    public var partition: Int?
    /// The filesystem journal's replay; nil when it did not need recovery.
    public var filesystemJournal: JournalReplaySummary?
}

/// `vhdedit recover`: finishes what an interrupted writer left, and nothing else.
public enum ImageRecovery {
    /// Opens `path` for writing (which finishes a sealed edit journal or discards a torn one), then replays
    /// the journal of the root filesystem (or of partition `partition`) if it needs recovery, committing the
    /// replay alone (orphans, quota and everything else are left as the replay leaves them).
    ///
    /// - Throws: ``ImagePrepError`` with code `.image` (cannot open or lock), `.noRoot` (no Linux filesystem to
    ///   look at), `.filesystem` (the journal cannot be replayed: nothing is written) or `.commit`.
    public static func recover(path: String, partition: Int? = nil) throws(ImagePrepError) -> RecoveryReport {
        let image: DiskImage
        do {
            image = try DiskImage.open(path: path, writable: true)
        } catch {
            throw ImagePrepError(.image, "cannot open the image", image: path, cause: error.description)
        }
        let outcome: RecoveryReport.EditJournalOutcome
        switch image.journalRecovery {
        case .replayed: outcome = .finished
        case .discarded: outcome = .discarded
        default: outcome = .none
        }
        var report = RecoveryReport(
            image: path, editJournal: outcome, editJournalDetail: image.journalRecovery.description, partition: nil,
            filesystemJournal: nil)
        let root: RootSelection
        do {
            root = try RootSelector.select(
                in: try PartitionedDisk.inspect(image.device), partition: partition, fstab: FstabRootProbe.line)
        } catch {
            image.abandon()
            throw ImagePrepError(.noRoot, "no Linux filesystem to recover", image: path, cause: "\(error)")
        }
        report.partition = root.volume.number
        do {
            report.filesystemJournal = try Ext4FileSystem.replayJournal(on: root.device)
        } catch {
            image.abandon()
            throw ImagePrepError(
                .filesystem, "cannot replay the filesystem's journal; nothing was written", image: path,
                cause: error.description)
        }
        guard report.filesystemJournal != nil else {
            image.abandon()
            return report
        }
        do {
            try image.commit()
        } catch {
            throw ImagePrepError(
                .commit, "cannot commit the replay; the image is as it was", image: path,
                cause: error.description)
        }
        return report
    }
}
