internal import HostSystem
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file on the host, opened with a lock, as the ``ByteStore`` an image lives in.
///
/// A writer holds an exclusive `flock(2)` on the file, a reader a shared one, so that two writers (or a writer
/// and a reader) never meet: the second one gets ``BlockIOError/Code/inUse`` at once instead of waiting or
/// corrupting the image. The lock is released when the file is closed (on `deinit`).
///
/// Image files also get qemu's image locks (``QemuImageLock``: a reader's or a writer's), so that vhdedit refuses
/// an image a VM, qemu-nbd or qemu-img is writing (or that a qemu reader denies writing to), and qemu refuses to
/// write one vhdedit is using.
public final class HostFile: ByteStore {
    /// How a host file is opened.
    public enum Access: Sendable {
        /// Read only, shared lock.
        case readOnly
        /// Read and write an existing file, exclusive lock.
        case readWrite
        /// Create a new file (fails if it exists), exclusive lock.
        case createNew
    }

    /// The path the file was opened at.
    public let path: String
    /// Whether the file was opened for writing.
    public let isWritable: Bool
    /// The open file descriptor (owned; closed on deinit).
    public let descriptor: Int32

    /// Opens `path` with `access`, taking the matching lock.
    ///
    /// - Parameter path: the file on the host.
    /// - Parameter access: read-only (shared lock) or read-write (exclusive lock).
    /// - Parameter qemuLocks: also take qemu's image locks (``QemuImageLock/reading`` or ``QemuImageLock/writing``);
    ///   files that are not images (an edit journal) leave them out.
    /// - Throws: ``BlockIOError/Code/cannotOpen`` when the file cannot be opened, ``BlockIOError/Code/inUse``
    ///   when another process (or this one, through another open) holds a conflicting lock (a vhdedit run, or
    ///   qemu), ``BlockIOError/Code/readOnly`` when a file to write has no write permission for anyone (a golden
    ///   image, see ``WriteProtection``).
    public init(path: String, access: Access, qemuLocks: Bool = true) throws(BlockIOError) {
        let flags: Int32
        switch access {
        case .readOnly: flags = O_RDONLY
        case .readWrite: flags = O_RDWR
        case .createNew: flags = O_RDWR | O_CREAT | O_EXCL
        }
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, for ever. A regular file
        // under another process's lease refuses a non-blocking open (EWOULDBLOCK): open it as before, waiting
        // for the lease to be released, as every other program does.
        var fd = open(path, flags | O_CLOEXEC | O_NONBLOCK, 0o644)
        if fd < 0 && errno == EWOULDBLOCK { fd = open(path, flags | O_CLOEXEC, 0o644) }
        guard fd >= 0 else {
            let code = errno
            let refused = access == .readWrite && (code == EACCES || code == EPERM || code == EROFS)
            throw BlockIOError(
                .cannotOpen, refused ? "cannot open the image for writing" : "cannot open the image", path: path,
                errno: code)
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw BlockIOError(.io, "cannot stat the file", path: path, errno: code)
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw BlockIOError(
                .invalidArgument, "is \(Self.kindName(info.st_mode)), not a regular file: an image must be a file",
                path: path)
        }
        _ = fcntl(fd, F_SETFL, flags)  // back to blocking I/O (no effect on regular files, said for clarity)
        if access == .readWrite {
            do throws(BlockIOError) { try WriteProtection.check(descriptor: fd, path: path) } catch {
                close(fd)
                throw error
            }
        }
        let lockKind = access == .readOnly ? LOCK_SH : LOCK_EX
        var attempts = 0
        while flock(fd, lockKind | LOCK_NB) != 0 {
            let code = errno
            // While this process spawns a tool, the child holds copies of every descriptor (and so their locks)
            // until it execs: wait out that moment (at most 0.2 s) before calling the image in use.
            if code == EWOULDBLOCK && attempts < 20 {
                attempts += 1
                usleep(10_000)
                continue
            }
            if code == EWOULDBLOCK {
                let holder = OpenHostFiles.holder(of: fd)
                close(fd)
                throw BlockIOError(.inUse, Self.inUseMessage(access: access, holder: holder), path: path)
            }
            close(fd)
            throw BlockIOError(.io, "cannot lock the image", path: path, errno: code)
        }
        if qemuLocks {
            do throws(BlockIOError) {
                try (access == .readOnly ? QemuImageLock.reading : QemuImageLock.writing).acquire(on: fd, path: path)
            } catch {
                close(fd)
                throw error
            }
        }
        self.path = path
        self.descriptor = fd
        self.isWritable = access != .readOnly
        registration = OpenHostFiles.register(fd, writable: isWritable)
    }

    deinit {
        if let registration { OpenHostFiles.unregister(registration) }
        close(descriptor)
    }

    /// This file's entry among the locked files of this process (`nil` when `fstat` failed).
    private var registration: OpenHostFiles.Entry?

    /// The message of an ``BlockIOError/Code/inUse`` refusal: who holds the conflicting lock, as far as this
    /// process can tell. A lock held by this same process (an image opened twice: a `GuestImage` still open
    /// when `ImagePreparation` opens the same path) is named as such, not blamed on another process.
    static func inUseMessage(access: Access, holder: OpenHostFiles.Holder?) -> String {
        switch holder {
        case .writer?:
            return "image is in use: this process already has it open for writing (close that image first)"
        case .reader?:
            return "image is in use: this process has it open read-only (close that image before writing it)"
        case nil:
            return access == .readOnly
                ? "image is in use: another process is writing it"
                : "image is in use: another process has it open"
        }
    }

    /// A file kind in words, for the refusal of anything but a regular file.
    static func kindName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: "a FIFO (named pipe)"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        case S_IFDIR: "a directory"
        default: "a special file"
        }
    }

    /// The file's length in bytes (`fstat`).
    /// - Throws: `BlockIOError` when `fstat` fails.
    public func length() throws(BlockIOError) -> UInt64 {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw BlockIOError(.io, "cannot stat the image", path: path, errno: errno)
        }
        return UInt64(info.st_size)
    }

    /// Reads with `pread`, retrying short reads until the end of the file.
    /// - Parameters:
    /// - offset: The byte offset in the file.
    /// - buffer: Where the bytes go.
    /// - Returns: The number of bytes read (short only at the end of the file).
    /// - Throws: `BlockIOError` when `pread` fails.
    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) -> Int {
        var done = 0
        while done < buffer.count {
            let got = pread(
                descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if got < 0 {
                if errno == EINTR { continue }
                throw BlockIOError(.io, "read failed", path: path, offset: offset + UInt64(done), errno: errno)
            }
            if got == 0 { break }
            done += got
        }
        return done
    }

    /// Writes every byte with `pwrite`.
    /// - Parameters:
    /// - offset: The byte offset in the file.
    /// - buffer: The bytes to write.
    /// - Throws: `BlockIOError` when `pwrite` fails or the file is read-only.
    public func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockIOError) {
        guard isWritable else { throw BlockIOError(.readOnly, "image is open read-only", path: path) }
        var done = 0
        while done < buffer.count {
            let put = pwrite(
                descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if put < 0 {
                if errno == EINTR { continue }
                throw BlockIOError(.io, "write failed", path: path, offset: offset + UInt64(done), errno: errno)
            }
            done += put
        }
    }

    /// Truncates or extends the file (`ftruncate`).
    /// - Parameter length: The new length in bytes.
    /// - Throws: `BlockIOError` when `ftruncate` fails.
    public func setLength(_ length: UInt64) throws(BlockIOError) {
        guard isWritable else { throw BlockIOError(.readOnly, "image is open read-only", path: path) }
        guard ftruncate(descriptor, off_t(length)) == 0 else {
            throw BlockIOError(.io, "cannot set the file length to \(length)", path: path, errno: errno)
        }
    }

    /// Makes the file's data durable (`fsync`).
    /// - Throws: `BlockIOError` when `fsync` fails.
    public func sync() throws(BlockIOError) {
        guard isWritable else { return }
        guard fsync(descriptor) == 0 else {
            throw BlockIOError(.io, "fsync failed", path: path, errno: errno)
        }
    }

    /// Starts writing the file's dirty pages back to the disk without waiting (`sync_file_range` with
    /// `SYNC_FILE_RANGE_WRITE`), so that a later ``sync()`` has less left to wait for. Advisory: guarantees
    /// nothing about durability, and failures are ignored (``sync()`` reports them).
    public func startWriteback() {
        guard isWritable else { return }
        HostFileCalls.startWriteback(descriptor)
    }

    /// Copies `count` bytes of `source` at `sourceOffset` into this file at `offset`, leaving every 4 KiB piece
    /// (counted from `sourceOffset`) that is all zeros unwritten, so that it stays a hole: what
    /// ``SparseWriter`` does with a buffer, without reading the bytes into one. The source range is mapped
    /// (`mmap`) to find its zero pieces, and the others are copied by the kernel (`copy_file_range`, page cache to
    /// page cache), or written with `pwrite` straight from the mapping where the kernel refuses that: one copy
    /// instead of two.
    ///
    /// While `sharing` is true the non-zero runs are first shared with the source (`FICLONERANGE`: on XFS,
    /// btrfs and other reflink filesystems the output points at the source's blocks, copy-on-write, as with
    /// `cp --reflink`; nothing is copied or written back); the first clone the filesystem refuses (no reflink,
    /// two filesystems, offsets off block boundaries) sets `sharing` to false and the run is written instead.
    ///
    /// - Returns: the bytes put into the file (written or shared) and how many of them were shared, or `nil`
    ///   when the source cannot be mapped (nothing was written; read it instead).
    /// - Throws: ``BlockIOError/Code/truncated`` when the source is cut short while it is copied (another
    ///   process truncated it: the fault is caught, not fatal), ``BlockIOError/Code/io`` when a write fails.
    func copyNonZero(
        from source: HostFile, at sourceOffset: UInt64, count: Int, to offset: UInt64, sharing: inout Bool
    )
        throws(BlockIOError) -> (written: Int, shared: Int)?
    {
        var inKernel = true
        return try copyNonZero(
            from: source, runs: [HostFileCalls.CopyRun(sourceOffset: sourceOffset, offset: offset, count: count)],
            sharing: &sharing, inKernel: &inKernel)
    }

    /// ``copyNonZero(from:at:count:to:sharing:)`` of several runs of `source` at once (at most
    /// ``HostFileCalls/maximumCopyRuns``): runs that follow each other in the source are copied from one mapping,
    /// shared out between threads (``HostFileCalls/copyNonZero(from:to:runs:granule:sharing:inKernel:)``); a
    /// single run is a one-run copy. `copy_file_range` is used while `inKernel` is true: it turns false once the
    /// kernel refuses that for these files, or once a clone is refused because the offsets are off the blocks of
    /// a reflink filesystem (there `copy_file_range` would share parts of runs and copy the rest, leaving another
    /// layout of holes than a written copy).
    ///
    /// - Returns: the bytes put into the file and how many of them were shared, or `nil` when the source cannot
    ///   be mapped (nothing was written; read it instead).
    /// - Throws: as ``copyNonZero(from:at:count:to:sharing:)``; the error's offset is the first run's.
    func copyNonZero(
        from source: HostFile, runs: [HostFileCalls.CopyRun], sharing: inout Bool, inKernel: inout Bool
    ) throws(BlockIOError) -> (written: Int, shared: Int)? {
        guard isWritable else { throw BlockIOError(.readOnly, "image is open read-only", path: path) }
        switch HostFileCalls.copyNonZero(
            from: source.descriptor, to: descriptor, runs: runs, granule: SparseWriter.granule, sharing: &sharing,
            inKernel: &inKernel)
        {
        case .copied(let written, let shared): return (Int(written), Int(shared))
        case .sourceNotMapped: return nil
        case .sourceShrank:
            throw BlockIOError(
                .truncated, "the file was cut short while it was copied", path: source.path,
                offset: runs.first?.sourceOffset)
        case .writeFailed(let code):
            throw BlockIOError(.io, "write failed", path: path, offset: runs.first?.offset, errno: code)
        }
    }

    /// Writes the 4 KiB pieces of `data` that hold a non-zero byte (adjacent ones merged) at `offset`, leaving
    /// the all-zero ones unwritten, as ``SparseWriter`` does; a buffer of 1 MiB or more inside the file's length
    /// is written by several threads at once (``HostFileCalls/writeNonZero(_:to:at:granule:)``). Returns the bytes written.
    func writeNonZero(_ data: UnsafeRawBufferPointer, at offset: UInt64) throws(BlockIOError) -> Int {
        guard isWritable else { throw BlockIOError(.readOnly, "image is open read-only", path: path) }
        let result = HostFileCalls.writeNonZero(data, to: descriptor, at: offset, granule: SparseWriter.granule)
        guard result.errno == 0 else {
            throw BlockIOError(.io, "write failed", path: path, offset: offset, errno: result.errno)
        }
        return Int(result.written)
    }

    /// The byte ranges of the file that hold data (`SEEK_DATA`/`SEEK_HOLE`); holes read as zeros.
    ///
    /// Falls back to one range covering the whole file where the host filesystem cannot tell.
    public func dataRanges() throws(BlockIOError) -> [Range<UInt64>] {
        let end = try length()
        var ranges: [Range<UInt64>] = []
        var position: Int64 = 0
        while UInt64(position) < end {
            let dataStart = HostFileCalls.seekData(descriptor, from: position)
            if dataStart < 0 {
                if errno == ENXIO { break }  // no more data
                return end > 0 ? [0..<end] : []
            }
            var holeStart = HostFileCalls.seekHole(descriptor, from: dataStart)
            if holeStart < 0 { holeStart = Int64(end) }
            ranges.append(UInt64(dataStart)..<UInt64(holeStart))
            position = holeStart
        }
        return ranges
    }

    /// Deallocates `range` (it reads as zeros afterwards), where the host filesystem supports hole punching.
    ///
    /// - Returns: `false` when holes are not supported; the bytes are then unchanged.
    @discardableResult
    public func punchHole(_ range: Range<UInt64>) -> Bool {
        guard isWritable, !range.isEmpty else { return false }
        return HostFileCalls.punchHole(descriptor, at: Int64(range.lowerBound), length: Int64(range.count))
    }
}

/// The host files this process holds locked, by identity: what tells a lock held by this process apart from
/// one held by another when `flock(2)` refuses (it says only that someone holds it).
enum OpenHostFiles {
    /// Who in this process holds a file locked.
    enum Holder: Equatable { case reader, writer }

    /// One locked file: its identity and access, and a number telling it apart from other opens of the same file.
    struct Entry: Hashable {
        let identity: FileIdentity
        let writable: Bool
        let serial: UInt64
    }

    /// An array, not a `Set`: a process holds a few files, and the first `Set<Entry>` made the Swift runtime
    /// scan every protocol-conformance record of the binary (about a tenth of a small `cat`'s start-up).
    private static let entries = Mutex<(next: UInt64, open: [Entry])>((0, []))

    /// Records the open, locked descriptor `fd`; `nil` when it cannot be identified (then it is never named).
    static func register(_ fd: Int32, writable: Bool) -> Entry? {
        guard let identity = identity(of: fd) else { return nil }
        return entries.withLock { state in
            state.next += 1
            let entry = Entry(identity: identity, writable: writable, serial: state.next)
            state.open.append(entry)
            return entry
        }
    }

    static func unregister(_ entry: Entry) { entries.withLock { $0.open.removeAll { $0 == entry } } }

    /// Whether this process holds the file `fd` refers to, as a writer (first) or a reader.
    static func holder(of fd: Int32) -> Holder? {
        guard let identity = identity(of: fd) else { return nil }
        return entries.withLock { state in
            let mine = state.open.filter { $0.identity == identity }
            if mine.contains(where: \.writable) { return .writer }
            return mine.isEmpty ? nil : .reader
        }
    }

    private static func identity(of fd: Int32) -> FileIdentity? {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }
}

/// Whether two byte arrays hold the same bytes, compared with `memcmp` (Array's `==` goes element by element,
/// several instructions a byte: a commit that compares a thousand 4 KiB pages spent 27M instructions there).
/// Whether the `b.count` bytes of `a` from `offset` on are `b`.
func sameBytes(_ a: [UInt8], at offset: Int, _ b: [UInt8]) -> Bool {
    guard offset >= 0, offset + b.count <= a.count else { return false }
    if b.isEmpty { return true }
    return a.withUnsafeBytes { x in
        b.withUnsafeBytes { y in memcmp(x.baseAddress! + offset, y.baseAddress!, y.count) == 0 }
    }
}

func sameBytes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    if a.isEmpty { return true }
    return a.withUnsafeBytes { x in b.withUnsafeBytes { y in memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 } }
}
