#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where an edit journal keeps its redo log, and the folder operations its commit protocol needs.
///
/// On the host this is ``HostRedoLogLocation`` (`<image>.vhdedit-journal` beside the image); tests put a
/// simulated folder behind it to inject crashes between any two writes.
public protocol RedoLogLocation: AnyObject {
    /// The log's path, for messages.
    var path: String { get }
    /// The existing log opened for reading, or `nil` when there is none.
    func openExisting() throws(BlockIOError) -> (any ByteStore)?
    /// A new, empty log opened for writing (an old one is replaced).
    func create() throws(BlockIOError) -> any ByteStore
    /// Deletes the log; no error when there is none.
    func remove() throws(BlockIOError)
    /// Makes the folder's entries durable (`fsync` of the folder): the log's creation or its removal.
    func syncFolder() throws(BlockIOError)
}

/// The redo log of the image at `imagePath`: the file `<imagePath>.vhdedit-journal` in the same folder.
///
/// The log is only ever created, replayed or deleted by a process holding the image's exclusive lock, and only
/// read by one holding the image's shared lock, so the image's `flock` protects the log as well. It is created
/// with mode 0600 (it holds image bytes) and never followed through a symbolic link.
public final class HostRedoLogLocation: RedoLogLocation {
    /// The suffix added to the image path.
    public static let suffix = ".vhdedit-journal"

    /// The journal file's path: the image path plus ``suffix``.
    public let path: String
    /// The folder holding the image and its log.
    public let folder: String

    /// The log beside the image at `imagePath`.
    public init(imagePath: String) {
        path = imagePath + Self.suffix
        if let slash = imagePath.lastIndex(of: "/") {
            let parent = String(imagePath[..<slash])
            folder = parent.isEmpty ? "/" : parent
        } else {
            folder = "."
        }
    }

    /// Opens the journal file read-only when it exists.
    /// - Returns: The open journal, or nil when there is none.
    /// - Throws: `BlockIOError` when it exists but cannot be opened (or is a symbolic link).
    public func openExisting() throws(BlockIOError) -> (any ByteStore)? {
        var info = stat()
        if lstat(path, &info) != 0 {
            if errno == ENOENT { return nil }
            throw BlockIOError(.io, "cannot look at the edit journal", path: path, errno: errno)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw BlockIOError(
                .journal, "the edit journal is not a regular file; move it away to open the image", path: path)
        }
        return try HostFile(path: path, access: .readOnly, qemuLocks: false)
    }

    /// Creates the journal file (mode 0600, never through a symbolic link).
    /// - Returns: The new, empty journal, open for writing.
    /// - Throws: `BlockIOError` when it cannot be created.
    public func create() throws(BlockIOError) -> any ByteStore {
        try remove()
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BlockIOError(.io, "cannot create the edit journal", path: path, errno: errno) }
        close(fd)
        return try HostFile(path: path, access: .readWrite, qemuLocks: false)
    }

    /// Deletes the journal file; a missing file is not an error.
    /// - Throws: `BlockIOError` when it exists and cannot be deleted.
    public func remove() throws(BlockIOError) {
        if unlink(path) != 0, errno != ENOENT {
            throw BlockIOError(.io, "cannot delete the edit journal", path: path, errno: errno)
        }
    }

    /// Makes the journal's creation or removal durable (`fsync` of ``folder``).
    /// - Throws: `BlockIOError` when the folder cannot be synced.
    public func syncFolder() throws(BlockIOError) {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw BlockIOError(.io, "cannot open the image's folder", path: folder, errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else {
            throw BlockIOError(.io, "fsync of the image's folder failed", path: folder, errno: errno)
        }
    }
}
