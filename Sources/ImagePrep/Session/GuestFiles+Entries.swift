internal import Ext4

/// One entry of a guest directory, with what `lstat` says of it.
public struct GuestDirectoryEntry: Sendable, Equatable {
    /// The name in the directory.
    public var name: String
    /// The entry itself (a symlink is not followed).
    public var info: GuestFileInfo
    /// The inode number, when the filesystem has one and listed it (lets ``Ext4GuestFiles`` read the file
    /// without walking its path again).
    public var inode: UInt32?

    /// An entry named `name` with its status and, when known, its inode number.
    public init(name: String, info: GuestFileInfo, inode: UInt32? = nil) {
        self.name = name
        self.info = info
        self.inode = inode
    }
}

extension GuestFiles {
    /// `listDirectory` then `lstat` of each entry (implementations that read both at once override it).
    public func listEntries(_ path: String) throws(ImagePrepError) -> [GuestDirectoryEntry] {
        var entries: [GuestDirectoryEntry] = []
        for name in try listDirectory(path) {
            guard let info = try lstat(PathText.join(path, name)) else { continue }
            entries.append(GuestDirectoryEntry(name: name, info: info))
        }
        return entries
    }
}

extension Ext4GuestFiles {
    /// One directory read: libext2fs gives each entry's inode with its name, so no path is walked again.
    public func listEntries(_ path: String) throws(ImagePrepError) -> [GuestDirectoryEntry] {
        let listed: [DirectoryEntry]
        do { listed = try filesystem.list(guestPath(path)) } catch { throw Self.wrap(error, path) }
        return listed.map { entry in
            GuestDirectoryEntry(name: entry.name.display, info: Self.info(entry.status), inode: entry.inode)
        }
    }

    /// The first `count` bytes of the regular file a listing returned, read by its inode.
    public func readHead(of entry: GuestDirectoryEntry, at path: String, count: Int) throws(ImagePrepError) -> [UInt8] {
        guard let inode = entry.inode else { return try readPrefix(path, count: count) }
        do { return try filesystem.readHead(inode: inode, count: count) } catch { throw Self.wrap(error, path) }
    }

    static func info(_ status: FileStatus) -> GuestFileInfo {
        let type: GuestFileType
        switch status.kind {
        case .regular: type = .regular
        case .directory: type = .directory
        case .symlink: type = .symlink
        default: type = .other
        }
        return GuestFileInfo(type: type, size: status.size, mode: status.permissions, uid: status.uid, gid: status.gid)
    }
}

extension GuestFiles {
    /// Refuses: this view cannot make symbolic links (conformers that can override it).
    public func makeSymlink(_ path: String, target: String) throws(ImagePrepError) {
        throw ImagePrepError(.unexpectedFile, "cannot make a symbolic link here", path: path)
    }
}

extension Ext4GuestFiles {
    /// Makes a symbolic link owned by root (mode 0777, as symlinks are).
    public func makeSymlink(_ path: String, target: String) throws(ImagePrepError) {
        do { try filesystem.makeSymlink(guestPath(path), target: target) } catch { throw Self.wrap(error, path) }
    }
}

extension PlanContext {
    /// Plans a symbolic link at `path` to `target`, replacing a file (not a directory) that is there; nothing
    /// when the link is already there with that target.
    public func symlink(_ path: String, to target: String, _ reason: String) throws(ImagePrepError) {
        if let info = try files.lstat(path) {
            if info.type == .symlink, try files.readLink(path) == target { return }
            guard info.type != .directory else {
                note(.warning, "cannot link it to \(target): a directory is there", path: path)
                return
            }
            try delete(path, reason)
        }
        guard
            try files.resolve(PathText.parent(path)).map({ (p) throws(ImagePrepError) in
                try files.lstat(p)?.type == .directory
            }) == true
        else {
            note(.warning, "cannot link it to \(target): \(PathText.parent(path)) does not exist", path: path)
            return
        }
        files.stage(
            PlannedChange(
                operation: operation, path: path, action: .symlink, reason: reason, after: "→ \(target)",
                contents: Array(target.utf8)))
    }
}
