/// An all-or-nothing edit session over an image file: a ``ByteStore`` whose writes stay pending until
/// ``commit()``.
///
/// Every write lands in an overlay of dirty 4 KiB pages; reads see the overlay over the file; writing past the
/// end grows the logical length as a dynamic VHD's block allocation does. ``sync()`` does *not* touch the image
/// (libext2fs and the VHD code flush in the middle of a session); nothing reaches the image before `commit()`.
/// ``abandon()``, or releasing the journal without committing, leaves the image exactly as it was.
///
/// ## Commit protocol
/// `commit()` writes a redo log beside the image, `<image>.vhdedit-journal` (see ``HostRedoLogLocation``):
/// a 512-byte header (magic, version, image device/inode, original and target length, record count, seal
/// offset, CRC-32C), then `PAGE` records (page index, 4 KiB of data) and `CUT_` records (a shrinking length),
/// each with its own CRC-32C, then a `SEAL` record whose checksum chain covers every record's checksum. Then:
///
/// 1. `fsync` the log: its records and seal are on disk before any byte of the image changes.
/// 2. `fsync` the folder: the log's directory entry is on disk too; without it, a power loss could drop the new
///    file while the image is half rewritten, and nothing would be left to finish the edit.
/// 3. Apply the records in place (`pwrite` of each page, `ftruncate` for cuts, then the target length): from
///    memory when nothing spilled (the log is the cut and pages still held), else read back from the log.
///    In place keeps the inode, so the lock other processes wait on stays the image's lock.
/// 4. `fsync` the image: the edit is durable before its log is deleted.
/// 5. Delete the log and `fsync` the folder: once `commit()` returns, a later session can never see this log
///    again and replay it over newer edits.
///
/// A crash before step 2 completes leaves a *torn* log: header state still "open", a seal missing or not
/// matching the header, a record checksum or sequence number wrong, or the chain not matching (a record that
/// was not completely written). The image was not touched, so the next writable open deletes the log and the
/// image is the old one. A crash after step 2 leaves a *sealed* log: the next open replays it (writable) or
/// reads through it (read-only, see ``RecoveredStore``), so the image is the new one. Replay is idempotent.
///
/// ## Memory
/// Dirty pages beyond `memoryLimit` (4 MiB by default) spill into the log as records of an unsealed log, and
/// are read back from it; the seal at commit makes them part of the edit. A page written again after a spill is
/// written again later in the log; the last record of a page wins. A write is checked against the limit page
/// by page, so one large write spills as it goes.
///
/// What grows with the number of spilled pages is their index (`LoggedPageMap`): runs of consecutive pages,
/// 16 bytes each, so a journal replay that writes 220,000 neighbouring blocks is indexed in about a hundred
/// runs, and scattered pages cost 16 bytes each. Nothing is kept per record when the log is replayed (at
/// commit or at the next open): the records are walked again from the log.
///
/// ## Locks
/// The journal must be created over a file opened with its exclusive lock (``HostFile/Access/readWrite``):
/// the log is created, replayed and deleted only under that lock.
public final class EditJournal: ByteStore {
    /// 4 MiB of dirty pages are kept in memory before they spill into the log (the log is written at the
    /// commit anyway, so spilling early costs little: the commit reads the spilled pages back from the page
    /// cache). The budget is most of what a writing replay of a large filesystem journal holds besides the
    /// replay's own plan: 8 MiB of it left a 1 GiB journal's replay at 39 MiB peak RSS.
    public static let defaultMemoryLimit = 4 << 20

    /// The file underneath.
    public let base: any ByteStore
    /// Where the redo log lives.
    public let location: any RedoLogLocation
    /// What opening the journal found: a committed edit finished, a torn log discarded, or nothing.
    public let recovery: JournalRecovery

    private let identity: FileIdentity
    private let pageLimit: Int
    private var memoryPages: [UInt64: [UInt8]] = [:]
    private var logged = LoggedPageMap()
    private var logStore: (any ByteStore)?
    private var writer: RedoLogWriter?
    private var pendingCut: UInt64?
    private var logicalLength: UInt64
    private var committedLength: UInt64
    private var state = State.editing

    private enum State {
        case editing
        /// The log is sealed but applying it failed: the next open finishes the edit; this session is over.
        case sealedButNotApplied
        case finished
    }

    /// The image file's path (the store under the journal).
    public var path: String { base.path }
    /// Always true: a journal exists only for writing.
    public var isWritable: Bool { true }

    /// Whether anything was written since the session began (or since the last commit).
    public var hasChanges: Bool {
        !memoryPages.isEmpty || writer != nil || pendingCut != nil || logicalLength != committedLength
    }

    /// A session over the image file `file` (opened for writing, so its exclusive lock is held), with the redo
    /// log beside it. A pending log is handled first: replayed if sealed, deleted if torn.
    ///
    /// - Throws: ``BlockIOError/Code/readOnly`` if `file` is read-only, ``BlockIOError/Code/journal`` if a
    ///   sealed log belongs to another file, or an I/O error.
    public convenience init(
        over file: HostFile, memoryLimit: Int = EditJournal.defaultMemoryLimit
    )
        throws(BlockIOError)
    {
        try self.init(
            over: file, log: HostRedoLogLocation(imagePath: file.path), identity: file.identity(),
            memoryLimit: memoryLimit)
    }

    /// A session over any store `base`, with its log at `log`; `identity` is what the log records and checks.
    public init(
        over base: any ByteStore, log: any RedoLogLocation, identity: FileIdentity,
        memoryLimit: Int = EditJournal.defaultMemoryLimit
    ) throws(BlockIOError) {
        guard base.isWritable else {
            throw BlockIOError(.readOnly, "an edit session needs the image opened for writing", path: base.path)
        }
        self.base = base
        self.location = log
        self.identity = identity
        self.pageLimit = max(1, memoryLimit / RedoLog.pageSize)
        self.recovery = try JournalRecovery.finishPendingEdit(of: base, log: log, identity: identity)
        self.logicalLength = try base.length()
        self.committedLength = logicalLength
    }

    deinit {
        if state == .editing { discardLog() }
    }

    // MARK: ByteStore

    /// The image's length as this session sees it: the base file's, or the length set in the session.
    /// - Throws: `BlockIOError` when the base file cannot be measured.
    public func length() throws(BlockIOError) -> UInt64 {
        try checkEditing()
        return logicalLength
    }

    /// Reads through the journal: pages written in this session come from the log, the rest from the image.
    /// - Parameters:
    /// - offset: The byte offset in the image.
    /// - buffer: Where the bytes go.
    /// - Returns: The number of bytes read (short only at the end of the image).
    /// - Throws: `BlockIOError` when the log or the image cannot be read.
    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) -> Int {
        try checkEditing()
        guard offset < logicalLength else { return 0 }
        let count = Int(min(UInt64(buffer.count), logicalLength - offset))
        let pageSize = UInt64(RedoLog.pageSize)
        var done = 0
        while done < count {
            let position = offset + UInt64(done)
            let page = position / pageSize
            let inPage = Int(position % pageSize)
            if let bytes = memoryPages[page] {
                let take = min(count - done, RedoLog.pageSize - inPage)
                UnsafeMutableRawBufferPointer(rebasing: buffer[done..<(done + take)])
                    .copyBytes(from: bytes[inPage..<(inPage + take)])
                done += take
                continue
            }
            // Pages not in memory, up to the next one that is: one read through the logged layer.
            var runEnd = min(offset + UInt64(count), (page + 1) * pageSize)
            while runEnd < offset + UInt64(count), memoryPages[runEnd / pageSize] == nil {
                runEnd = min(offset + UInt64(count), runEnd + pageSize)
            }
            let take = Int(runEnd - position)
            try logged.read(
                at: position, into: UnsafeMutableRawBufferPointer(rebasing: buffer[done..<(done + take)]), base: base,
                log: logStore)
            done += take
        }
        return count
    }

    /// Writes into the journal's log; the image file is not touched before ``commit()``.
    /// - Parameters:
    /// - offset: The byte offset in the image.
    /// - buffer: The bytes to write.
    /// - Throws: `BlockIOError` when the log cannot be written.
    public func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockIOError) {
        try checkEditing()
        let (end, overflow) = offset.addingReportingOverflow(UInt64(buffer.count))
        guard !overflow, end <= RedoLog.maximumImageLength else {
            throw BlockIOError(
                .outOfBounds, "a write of \(buffer.count) bytes ends past the largest image (16 TiB)", path: path,
                offset: offset)
        }
        let pageSize = UInt64(RedoLog.pageSize)
        var done = 0
        while done < buffer.count {
            let position = offset + UInt64(done)
            let page = position / pageSize
            let inPage = Int(position % pageSize)
            let take = min(buffer.count - done, RedoLog.pageSize - inPage)
            var bytes: [UInt8]
            if let existing = memoryPages.removeValue(forKey: page) {
                bytes = existing
            } else if take == RedoLog.pageSize {
                bytes = [UInt8](repeating: 0, count: RedoLog.pageSize)
            } else {
                bytes = try lowerPage(page)
            }
            bytes.withUnsafeMutableBytes { raw in
                UnsafeMutableRawBufferPointer(rebasing: raw[inPage..<(inPage + take)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[done..<(done + take)]))
            }
            memoryPages[page] = bytes
            done += take
            logicalLength = max(logicalLength, position + UInt64(take))
            // Checked page by page: one large write spills as it goes instead of holding all its pages.
            if memoryPages.count > pageLimit { try spill() }
        }
    }

    /// Sets the image's length for this session (applied to the file at commit).
    /// - Parameter length: The new length in bytes.
    /// - Throws: `BlockIOError` when the change cannot be logged.
    public func setLength(_ length: UInt64) throws(BlockIOError) {
        try checkEditing()
        guard length <= RedoLog.maximumImageLength else {
            throw BlockIOError(.outOfBounds, "length \(length) is past the largest image (16 TiB)", path: path)
        }
        if length < logicalLength {
            let pageSize = UInt64(RedoLog.pageSize)
            memoryPages = memoryPages.filter { $0.key < (length + pageSize - 1) / pageSize }
            if length % pageSize != 0, var straddling = memoryPages[length / pageSize] {
                for index in Int(length % pageSize)..<RedoLog.pageSize { straddling[index] = 0 }
                memoryPages[length / pageSize] = straddling
            }
            logged.cut(to: length)
            pendingCut = min(pendingCut ?? length, length)
        }
        logicalLength = length
    }

    /// Does nothing to the image: pending edits become durable only through ``commit()``.
    public func sync() throws(BlockIOError) { try checkEditing() }

    // MARK: Session

    /// Makes every pending edit part of the image, all or nothing (see the type's discussion for the protocol).
    ///
    /// After it returns the edit is durable and the session continues with the new image as its base. If it
    /// throws, the image is either unchanged (the log was not sealed) or will be the new one on the next open
    /// (the log was sealed); the session cannot be used further.
    ///
    /// - Throws: an I/O error from the log, the folder or the image.
    public func commit() throws(BlockIOError) {
        try checkEditing()
        guard hasChanges else { return }
        do throws(BlockIOError) {
            // Nothing spilled yet: the whole log is the cut and the pages this flush writes, still in memory.
            let allInMemory = writer == nil
            let cut = pendingCut
            let pages = try flushToLog()
            guard let writer, let logStore else { return }
            try writer.seal(targetLength: logicalLength)  // writes seal + header, fsyncs the log (step 1)
            state = .sealedButNotApplied
            try location.syncFolder()  // step 2
            if allInMemory {
                // Steps 3 and 4 from memory: the same writes a replay of the log makes, without reading it back.
                var apply = PageRunWriter(onto: base)
                if let cut { try apply.cut(to: cut) }
                for page in pages { try apply.write(page: page.index, bytes: page.bytes) }
                try apply.finish(targetLength: logicalLength)
            } else {
                switch try SealedRedoLog.scan(logStore) {
                case .success(let sealed):
                    try sealed.replay(from: logStore, onto: base)  // steps 3 and 4
                case .failure(let torn):
                    throw BlockIOError(
                        .journal, "the edit journal just written does not read back: \(torn.reason)",
                        path: location.path)
                }
            }
            self.logStore = nil
            self.writer = nil
            try location.remove()  // step 5
            try location.syncFolder()
        } catch {
            if state == .editing {
                discardLog()
                state = .finished
            }
            throw error
        }
        memoryPages = [:]
        logged = LoggedPageMap()
        pendingCut = nil
        committedLength = logicalLength
        state = .editing
    }

    /// Drops every pending edit: the image stays as it was, the session is over.
    public func abandon() {
        guard state == .editing else { return }
        discardLog()
        memoryPages = [:]
        state = .finished
    }

    // MARK: Internals

    private func checkEditing() throws(BlockIOError) {
        switch state {
        case .editing: return
        case .sealedButNotApplied:
            throw BlockIOError(
                .journal,
                "the edit session's commit did not finish; the next open of the image completes it", path: path)
        case .finished: throw BlockIOError(.journal, "the edit session is over", path: path)
        }
    }

    /// The page at `index` as the layers below memory hold it (zeros past the logical length).
    private func lowerPage(_ index: UInt64) throws(BlockIOError) -> [UInt8] { try lowerPages(index, count: 1) }

    /// `count` pages from `index` on as the layers below memory hold them, in one read.
    private func lowerPages(_ index: UInt64, count pages: Int) throws(BlockIOError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: pages * RedoLog.pageSize)
        let start = index * UInt64(RedoLog.pageSize)
        guard start < logicalLength else { return bytes }
        let count = Int(min(UInt64(bytes.count), logicalLength - start))
        let base = self.base
        let logged = self.logged
        let log = logStore
        try bytes.withMutableBytes { (raw) throws(BlockIOError) in
            try logged.read(
                at: start, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<count]), base: base, log: log)
        }
        return bytes
    }

    /// Moves the dirty pages out of memory into the (unsealed) log.
    private func spill() throws(BlockIOError) {
        do throws(BlockIOError) { try flushToLog() } catch {
            discardLog()
            state = .finished
            throw error
        }
    }

    /// Appends the dirty pages (and a pending cut) to the log and empties memory; returns the pages appended, in
    /// log order (pages that hold what the image already holds are no edit and are left out).
    @discardableResult
    private func flushToLog() throws(BlockIOError) -> [(index: UInt64, bytes: [UInt8])] {
        if writer == nil {
            let store = try location.create()
            logStore = store
            writer = try RedoLogWriter(
                store: store, image: identity, imagePath: base.path, originalLength: committedLength)
        }
        guard let writer else { return [] }
        var appended: [(index: UInt64, bytes: [UInt8])] = []
        var payloads: [UInt64] = []
        if let cut = pendingCut {
            try writer.appendCut(length: cut)
            pendingCut = nil
        }
        let indices = memoryPages.keys.sorted()
        var first = 0
        while first < indices.count {
            // Runs of consecutive pages (up to 1 MiB) are compared with the bytes below them read at once.
            var run = 1
            while run < Self.pagesPerRead, first + run < indices.count,
                indices[first + run] == indices[first] + UInt64(run)
            {
                run += 1
            }
            let lower = try lowerPages(indices[first], count: run)
            for position in 0..<run {
                let index = indices[first + position]
                let bytes = memoryPages[index]!
                // A page written back with the bytes it already holds is no edit. libext2fs rewrites every group
                // descriptor and bitmap block on each flush: logging and re-applying those would make a commit
                // cost the filesystem's size (megabytes at 1 TiB) instead of the change's size.
                if sameBytes(lower, at: position * RedoLog.pageSize, bytes) { continue }
                let offset = try writer.appendPage(index: index, bytes: bytes)
                payloads.append(offset)
                appended.append((index, bytes))
            }
            first += run
        }
        // Indexed once every comparison above has read the map as it was (the pages are distinct, ascending).
        for (page, offset) in zip(appended, payloads) { logged.record(page: page.index, payloadOffset: offset) }
        logged.settle()
        try writer.flush()
        memoryPages = [:]
        return appended
    }

    /// Pages compared with the bytes below them in one read when the overlay is flushed (1 MiB).
    private static let pagesPerRead = 256

    private func discardLog() {
        guard writer != nil || logStore != nil else { return }
        writer = nil
        logStore = nil
        try? location.remove()  // an unsealed log is ignored by every reader; removing it is tidiness
    }
}
