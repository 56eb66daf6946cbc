/// The guest's files across its mounts: each path goes to the filesystem mounted at its longest mount point
/// (`/var/log/syslog` to the `/var` logical volume as `/log/syslog`), everything else to the root.
///
/// What `mount` would show a running guest for the separate `/usr`, `/var`, `/home` ... logical volumes of
/// RHEL-family images, so that generalize and azure-prepare read and change the files where the guest sees
/// them. A symlink is followed inside the filesystem it is on.
public final class MountedGuestFiles: GuestFiles {
    /// The root filesystem.
    public let root: any GuestFiles
    /// The mounts below `/`, longest mount point first.
    public let mounts: [(mountPoint: String, files: any GuestFiles)]

    /// `root` with `mounts` (absolute mount points such as `/var`, without a trailing `/`).
    public init(root: any GuestFiles, mounts: [(mountPoint: String, files: any GuestFiles)]) {
        self.root = root
        self.mounts = mounts.sorted { $0.mountPoint.utf8.count > $1.mountPoint.utf8.count }
    }

    /// The filesystem `path` is on and the path inside it.
    func route(_ path: String) -> (files: any GuestFiles, path: String) {
        for mount in mounts {
            if path == mount.mountPoint { return (mount.files, "/") }
            if path.hasPrefix(mount.mountPoint + "/") {
                return (mount.files, String(path.dropFirst(mount.mountPoint.utf8.count)))
            }
        }
        return (root, path)
    }

    /// The status of `path` in the filesystem that holds it (symlinks not followed).
    /// - Throws: That filesystem's ``ImagePrepError``.
    public func lstat(_ path: String) throws(ImagePrepError) -> GuestFileInfo? {
        let target = route(path)
        return try target.files.lstat(target.path)
    }

    /// Reads `path` from the filesystem that holds it.
    /// - Throws: That filesystem's ``ImagePrepError``.
    public func readFile(_ path: String, limit: Int) throws(ImagePrepError) -> [UInt8] {
        let target = route(path)
        return try target.files.readFile(target.path, limit: limit)
    }

    /// Reads the first `count` bytes of `path` from the filesystem that holds it.
    /// - Throws: That filesystem's ``ImagePrepError``.
    public func readPrefix(_ path: String, count: Int) throws(ImagePrepError) -> [UInt8] {
        let target = route(path)
        return try target.files.readPrefix(target.path, count: count)
    }

    /// Writes `path` in the filesystem that holds it.
    /// - Throws: That filesystem's ``ImagePrepError``.
    public func writeFile(_ path: String, contents: [UInt8], newFileMode: UInt16) throws(ImagePrepError) {
        let target = route(path)
        try target.files.writeFile(target.path, contents: contents, newFileMode: newFileMode)
    }

    /// Removes `path` from the filesystem that holds it.
    /// - Throws: That filesystem's ``ImagePrepError``.
    public func removeFile(_ path: String) throws(ImagePrepError) {
        let target = route(path)
        try target.files.removeFile(target.path)
    }

    /// Removes the tree at `path` from the filesystem that holds it.
    /// - Throws: That filesystem's ``ImagePrepError``.
    public func removeTree(_ path: String) throws(ImagePrepError) {
        let target = route(path)
        guard target.path != "/" else {
            throw ImagePrepError(.invalidArgument, "a mount point is not removed with everything under it", path: path)
        }
        try target.files.removeTree(target.path)
    }

    /// The names in the directory `path`, from the filesystem that holds it.
    /// - Throws: That filesystem's ``ImagePrepError``.
    public func listDirectory(_ path: String) throws(ImagePrepError) -> [String] {
        let target = route(path)
        return try target.files.listDirectory(target.path)
    }

    /// The target of the symbolic link `path`, from the filesystem that holds it.
    /// - Throws: That filesystem's ``ImagePrepError``.
    public func readLink(_ path: String) throws(ImagePrepError) -> String {
        let target = route(path)
        return try target.files.readLink(target.path)
    }
}
