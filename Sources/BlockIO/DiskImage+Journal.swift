extension DiskImage {
    /// Makes every change written through ``device`` since the open (or the last commit) part of the image,
    /// all or nothing: after a crash at any point the image is the old one or the new one, never a mix.
    ///
    /// Images opened for writing keep their writes in an ``EditJournal`` until this is called; flushing the
    /// device does not commit. Does nothing for a read-only image.
    ///
    /// - Throws: an I/O error; the image is then unchanged, or will be the new one at its next open.
    public func commit() throws(BlockIOError) {
        if let journal = store as? EditJournal { try journal.commit() }
    }

    /// Drops every uncommitted change; the image file stays as it was. Further writes fail.
    public func abandon() {
        (store as? EditJournal)?.abandon()
    }

    /// What the open found in the image's edit journal (an interrupted commit finished or seen through, a torn
    /// journal discarded, or nothing).
    public var journalRecovery: JournalRecovery {
        (store as? EditJournal)?.recovery ?? (store as? RecoveredStore)?.recovery ?? .none
    }

    /// Whether there are writes not committed yet.
    public var hasUncommittedChanges: Bool { (store as? EditJournal)?.hasChanges ?? false }
}
