import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Golden images: an image file with no write permission for anyone (`chmod a-w`, how image farms mark their
/// masters) is never written, not even by root, whose writes the mode does not stop, unless the caller says so
/// (`--force`).
///
/// It covers every image opened for writing (``HostFile/Access/readWrite``) and every existing destination a
/// convert or create would replace.
public enum WriteProtection {
    private static let overridden = Mutex(false)

    /// Allows (or, with `false`, forbids again) writing write-protected image files in this process.
    public static func allowWritingProtectedFiles(_ allow: Bool) {
        overridden.withLock { $0 = allow }
    }

    /// Whether write-protected image files may be written in this process.
    public static var isOverridden: Bool { overridden.withLock { $0 } }

    /// The permission bits of `status` when it is a regular file nobody may write, else `nil`.
    static func protectedMode(_ status: stat) -> mode_t? {
        guard (status.st_mode & S_IFMT) == S_IFREG, status.st_mode & 0o222 == 0 else { return nil }
        return status.st_mode & 0o7777
    }

    /// Throws unless the open file `descriptor` (the image `path`) may be written.
    ///
    /// - Throws: ``BlockIOError/Code/readOnly`` naming the file and its mode.
    static func check(descriptor: Int32, path: String) throws(BlockIOError) {
        var status = stat()
        guard fstat(descriptor, &status) == 0, let mode = protectedMode(status), !isOverridden else { return }
        throw refusal(path: path, mode: mode, remedy: "--force writes it anyway")
    }

    /// Throws when `path` exists, is a regular file nobody may write and the override is not given: it is not
    /// replaced.
    static func checkReplacing(_ path: String) throws(BlockIOError) {
        var status = stat()
        guard stat(path, &status) == 0, let mode = protectedMode(status), !isOverridden else { return }
        throw refusal(path: path, mode: mode, remedy: "make it writable (chmod u+w) to replace it")
    }

    private static func refusal(path: String, mode: mode_t, remedy: String) -> BlockIOError {
        BlockIOError(
            .readOnly,
            "is write-protected (mode \(String(mode, radix: 8))): a golden image is not written, even by root; "
                + remedy, path: path)
    }
}
