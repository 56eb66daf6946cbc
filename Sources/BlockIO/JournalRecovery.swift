/// What opening an image found in its edit journal (`<image>.vhdedit-journal`).
public enum JournalRecovery: Sendable, Equatable, CustomStringConvertible {
    /// No journal: the image is as the last session left it.
    case none
    /// Writable open: a sealed journal of a committed session was replayed, finishing that edit.
    case replayed(records: Int)
    /// Read-only open: a sealed journal is pending; reads see the image as it will be once it is replayed,
    /// and the file is not changed.
    case readThrough(records: Int)
    /// Writable open: a torn journal (a session that never committed) was deleted; the image is unchanged.
    case discarded(reason: String)
    /// Read-only open: a torn journal was left in place and ignored; the image is unchanged.
    case ignored(reason: String)

    /// One sentence saying what happened to the journal, as `vhdedit info` prints it.
    public var description: String {
        switch self {
        case .none: "no pending edit journal"
        case .replayed(let records): "finished an interrupted commit (replayed \(records) journal records)"
        case .readThrough(let records):
            "an interrupted commit is pending (\(records) journal records); shown as committed, file not changed"
        case .discarded(let reason): "deleted an uncommitted edit journal (\(reason)); the image is unchanged"
        case .ignored(let reason): "ignored an uncommitted edit journal (\(reason)); the image is unchanged"
        }
    }

    /// Writable open: replays a sealed log onto `base` (then deletes it) or deletes a torn one.
    static func finishPendingEdit(
        of base: any ByteStore, log location: any RedoLogLocation, identity: FileIdentity
    ) throws(BlockIOError) -> JournalRecovery {
        guard let log = try location.openExisting() else { return .none }
        switch try SealedRedoLog.scan(log) {
        case .failure(let torn):
            try location.remove()
            try location.syncFolder()
            return .discarded(reason: torn.reason)
        case .success(let sealed):
            try sealed.checkBelongs(to: identity, log: location)
            try sealed.replay(from: log, onto: base)
            try location.remove()
            try location.syncFolder()
            return .replayed(records: sealed.recordCount)
        }
    }
}

extension SealedRedoLog {
    /// Throws ``BlockIOError/Code/journal`` unless the log was written for the file `identity`.
    func checkBelongs(to identity: FileIdentity, log location: any RedoLogLocation) throws(BlockIOError) {
        guard header.image == identity else {
            throw BlockIOError(
                .journal,
                "a committed edit journal is pending but it was written for another file (\(header.image), "
                    + "\"\(header.imagePath)\"; this image is \(identity)). If the image was copied or replaced, "
                    + "move the journal away or put it beside the right file",
                path: location.path, offset: 24)
        }
    }
}

/// A read-only image file seen as it is once its pending edit journal (if any) is replayed, without writing.
///
/// A read-only open must never change a byte, yet a sealed journal means the last session committed: its
/// changes are part of the image. So a sealed journal is read as an overlay (its pages over the file, its
/// target length), and a torn one is ignored (that session never committed and the file was never touched).
/// The image's shared lock keeps writers (and so any change to the journal) away while this store is alive.
public final class RecoveredStore: ByteStore {
    /// The file underneath.
    public let base: any ByteStore
    /// What was found.
    public let recovery: JournalRecovery

    private let log: (any ByteStore)?
    private let logged: LoggedPageMap
    private let logicalLength: UInt64

    /// The image file's path.
    public var path: String { base.path }
    /// Always false: the replayed view is read-only.
    public var isWritable: Bool { false }

    /// The image file `file` (its shared lock held) with the journal beside it applied as a read overlay.
    ///
    /// - Throws: ``BlockIOError/Code/journal`` if a sealed journal belongs to another file, or an I/O error.
    public convenience init(over file: HostFile) throws(BlockIOError) {
        try self.init(over: file, log: HostRedoLogLocation(imagePath: file.path), identity: file.identity())
    }

    /// `base` with the journal at `location` applied as a read overlay; `identity` is checked against the log.
    public init(
        over base: any ByteStore, log location: any RedoLogLocation, identity: FileIdentity
    )
        throws(BlockIOError)
    {
        self.base = base
        if let log = try location.openExisting() {
            switch try SealedRedoLog.scan(log) {
            case .failure(let torn):
                self.log = nil
                logged = LoggedPageMap()
                logicalLength = try base.length()
                recovery = .ignored(reason: torn.reason)
            case .success(let sealed):
                try sealed.checkBelongs(to: identity, log: location)
                self.log = log
                logged = try LoggedPageMap(replaying: sealed, from: log)
                logicalLength = sealed.header.targetLength
                recovery = .readThrough(records: sealed.recordCount)
            }
        } else {
            log = nil
            logged = LoggedPageMap()
            logicalLength = try base.length()
            recovery = .none
        }
    }

    /// The image's length with the sealed log applied.
    /// - Throws: `BlockIOError` when the base file cannot be measured.
    public func length() throws(BlockIOError) -> UInt64 { log == nil ? try base.length() : logicalLength }

    /// Reads the image as it will be once the sealed log is applied: logged pages from the log, the rest from the file.
    /// - Parameters:
    /// - offset: The byte offset in the image.
    /// - buffer: Where the bytes go.
    /// - Returns: The number of bytes read.
    /// - Throws: `BlockIOError` when the log or the image cannot be read.
    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) -> Int {
        guard log != nil else { return try base.read(at: offset, into: buffer) }
        guard offset < logicalLength else { return 0 }
        let count = Int(min(UInt64(buffer.count), logicalLength - offset))
        try logged.read(
            at: offset, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count]), base: base, log: log)
        return count
    }

    /// Refused: the replayed view is read-only.
    /// - Throws: `BlockIOError` with code `readOnly`.
    public func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockIOError) {
        throw BlockIOError(.readOnly, "image is open read-only", path: path, offset: offset)
    }

    /// Refused: the replayed view is read-only.
    /// - Throws: `BlockIOError` with code `readOnly`.
    public func setLength(_ length: UInt64) throws(BlockIOError) {
        throw BlockIOError(.readOnly, "image is open read-only", path: path)
    }

    /// Nothing to sync: nothing is written.
    public func sync() throws(BlockIOError) {}
}
