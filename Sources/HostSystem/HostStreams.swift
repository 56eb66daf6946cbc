internal import CHostFile

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A host file written front to back: the local side of copying a guest file out (`get`, `edit`).
///
/// It is created or truncated and never opened through a symlink (`O_NOFOLLOW`): a symlink planted where the
/// caller named the output is refused, not followed. No lock is taken; this is not an image.
public final class HostOutputFile {
    /// The path it was opened with.
    public let path: String
    private let descriptor: Int32

    /// Creates (or truncates) `path` with permission bits `mode` for new files.
    ///
    /// - Throws: ``HostSystemError/Code/invalidArgument`` when `path` is a symbolic link (never followed),
    ///   ``HostSystemError/Code/io`` with the errno when the file cannot be opened.
    public init(path: String, mode: UInt32 = 0o644) throws(HostSystemError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode_t(mode))
        guard descriptor >= 0 else {
            let code = errno
            var info = stat()
            if code == ELOOP && lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK {
                throw HostSystemError(
                    .invalidArgument, "is a symbolic link; not written through (remove it or name another file)",
                    path: path)
            }
            throw HostSystemError(.io, "cannot open for writing", path: path, errno: code)
        }
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Appends all of `bytes`, retrying short writes and `EINTR`.
    ///
    /// - Throws: ``HostSystemError/Code/io`` with the errno and the offset the failed write started at.
    public func write(_ bytes: [UInt8]) throws(HostSystemError) {
        var done = 0
        while done < bytes.count {
            let wrote = bytes.withUnsafeBytes { whole in
                let rest = UnsafeRawBufferPointer(rebasing: whole[done...])
                return Glibc.write(descriptor, rest.baseAddress, rest.count)
            }
            if wrote < 0 {
                if errno == EINTR { continue }
                let failure = errno
                throw HostSystemError(.io, "write failed", path: path, offset: position, errno: failure)
            }
            done += wrote
        }
    }

    /// Flushes the file to stable storage (`fsync`; a file system that cannot sync, `EINVAL`, is accepted).
    public func finish() throws(HostSystemError) {
        guard fsync(descriptor) == 0 || errno == EINVAL else {
            throw HostSystemError(.io, "fsync failed", path: path, errno: errno)
        }
    }

    private var position: UInt64? {
        let offset = lseek(descriptor, 0, SEEK_CUR)
        return offset >= 0 ? UInt64(offset) : nil
    }
}

/// A host file read front to back in chunks: the local side of copying a file into the guest (`put`, `edit`).
public final class HostInputFile {
    /// The path it was opened with.
    public let path: String
    private let descriptor: Int32

    /// Opens `path` for reading.
    ///
    /// - Throws: ``HostSystemError/Code/io`` with the errno when it cannot be opened.
    public init(path: String) throws(HostSystemError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw HostSystemError(.io, "cannot open for reading", path: path, errno: errno)
        }
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// The file's size from `fstat`, or `nil` when it has none (a pipe) or `fstat` fails.
    public var size: UInt64? {
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        return UInt64(status.st_size)
    }

    /// Up to `count` bytes (one `read(2)`, retried on `EINTR`); empty at the end of the file.
    ///
    /// - Throws: ``HostSystemError/Code/io`` with the errno.
    public func read(upToCount count: Int) throws(HostSystemError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        while true {
            let got = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, count) }
            if got >= 0 {
                buffer.removeLast(count - got)
                return buffer
            }
            if errno != EINTR { throw HostSystemError(.io, "read failed", path: path, errno: errno) }
        }
    }

    /// The rest of the file.
    public func readToEnd() throws(HostSystemError) -> [UInt8] {
        var all: [UInt8] = []
        while true {
            let chunk = try read(upToCount: 1 << 20)
            if chunk.isEmpty { return all }
            all += chunk
        }
    }
}

/// A private (mode 0700) scratch folder on the host for copies of guest files a person works on (`edit`), alive
/// as long as this value: when it is released, and when a SIGINT, SIGTERM, SIGHUP or SIGQUIT ends the process
/// (signals the process ignores are left alone), the folder is removed with everything in it, so that no copy
/// of a guest file (an editor's swap file included) and no empty folder outlives the command.
public final class HostScratchFolder {
    /// The folder's path, `BASE/PREFIX.XXXXXX`.
    public let path: String
    private let slot: Int32

    /// Creates `BASE/PREFIX.XXXXXX` with `mkdtemp(3)`, where BASE is `$TMPDIR` or `/tmp`; the folder and its
    /// removal on a signal are set up with those signals blocked, so that none can come in between.
    ///
    /// - Throws: ``HostSystemError/Code/io`` with the errno when the folder cannot be made.
    public init(prefix: String) throws(HostSystemError) {
        var base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        if base.isEmpty { base = "/tmp" }
        while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
        var template = Array((base + "/" + prefix + ".XXXXXX").utf8CString)
        let slot = template.withUnsafeMutableBufferPointer { chostfile_scratch_folder_create($0.baseAddress!) }
        guard slot != -2 else {
            throw HostSystemError(.io, "cannot create a scratch folder", path: base, errno: errno)
        }
        self.slot = slot
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `path/name`.
    public func file(_ name: String) -> String { path + "/" + name }

    deinit { chostfile_scratch_folder_remove(path, slot) }
}

/// While it lives, a SIGINT, SIGTERM, SIGHUP or SIGQUIT that ends the process removes the file at `path` first
/// (the handler `AtomicOutputFile` uses for its temporary file). Releasing the guard leaves the file alone.
public final class SignalRemovalGuard {
    private let slot: Int32

    /// Guards `path` (at most 64 paths per process are guarded at once; beyond that the guard does nothing).
    public init(path: String) { slot = chostfile_temp_guard_add(path) }

    deinit { chostfile_temp_guard_remove(slot) }
}
