#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Which file on the host an image is: its device and inode number, the pair `stat(2)` reports.
///
/// An edit journal records the identity of the image it belongs to, so that a journal is never replayed onto a
/// different file that happens to have the same name.
public struct FileIdentity: Hashable, Sendable, CustomStringConvertible {
    /// `st_dev`.
    public var device: UInt64
    /// `st_ino`.
    public var inode: UInt64

    /// The identity `stat(2)` reports as `st_dev` and `st_ino`.
    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    /// `device D inode I`, for messages.
    public var description: String { "device \(device) inode \(inode)" }
}

extension HostFile {
    /// The device and inode of the open file (`fstat(2)`).
    public func identity() throws(BlockIOError) -> FileIdentity {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw BlockIOError(.io, "cannot stat the image", path: path, errno: errno)
        }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }
}

extension FileIdentity {
    /// The identity of the file `path` names (following symlinks), or `nil` when it does not exist.
    public static func of(path: String) -> FileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }
}
