// Directories: list (optionally recursive), mkdir (with parents), rmdir (empty or recursive), symlink, rename.

extension Ext4FileSystem {
    /// How deep ``list(_:recursive:)`` and recursive removal go before they report a corrupt tree.
    public static let maxDirectoryDepth = 2048

    // MARK: Listing

    /// The entries of the directory `path` (symbolic links on the way followed inside the guest), sorted by
    /// name bytes, without `.` and `..`.
    ///
    /// - Parameter recursive: also list every subdirectory, depth first (each directory's entries right
    ///   after it). Symbolic links to directories are listed, not entered.
    /// - Parameter path: the directory (or file) to list.
    /// - Throws: ``Ext4Error/Code/notDirectory`` when `path` is not a directory.
    public func list(_ path: GuestPath, recursive: Bool = false) throws(Ext4Error) -> [DirectoryEntry] {
        let ino = try existingInode(path, followFinal: true)
        guard try handle.readInode(ino).isDirectory else {
            throw Ext4Error(.notDirectory, "not a directory", path: path.description)
        }
        var out: [DirectoryEntry] = []
        var visited: Set<InodeNumber> = [ino]
        try list(directory: ino, at: path, recursive: recursive, depth: 0, visited: &visited, into: &out)
        return out
    }

    /// Depth first with an explicit stack (not recursion: a hostile image nests thousands of directories, and
    /// a thread's stack must not be what limits the walk).
    private func list(
        directory: InodeNumber, at path: GuestPath, recursive: Bool, depth: Int, visited: inout Set<InodeNumber>,
        into out: inout [DirectoryEntry]
    ) throws(Ext4Error) {
        struct Level {
            var path: GuestPath
            var entries: [RawDirectoryEntry]
            var next = 0
        }
        func level(_ directory: InodeNumber, _ path: GuestPath) throws(Ext4Error) -> Level {
            Level(
                path: path,
                entries: try handle.entries(of: directory).sorted { $0.name.lexicographicallyPrecedes($1.name) })
        }
        var stack = [try level(directory, path)]
        while let top = stack.indices.last {
            guard stack[top].next < stack[top].entries.count else {
                stack.removeLast()
                continue
            }
            let entry = stack[top].entries[stack[top].next]
            stack[top].next += 1
            let name = GuestName(bytes: entry.name)
            let childPath = stack[top].path.appending(name)
            let status = try status(of: entry.inode)
            out.append(
                DirectoryEntry(
                    name: name, path: childPath, inode: entry.inode, kind: status.kind, status: status))
            if recursive && status.kind == .directory {
                guard visited.insert(entry.inode).inserted else {
                    throw Ext4Error(
                        .corrupt, "directory inode \(entry.inode) appears twice in the tree",
                        path: childPath.description)
                }
                guard depth + stack.count < Self.maxDirectoryDepth else {
                    throw Ext4Error(
                        .corrupt, "directories nest deeper than \(Self.maxDirectoryDepth)", path: childPath.description)
                }
                stack.append(try level(entry.inode, childPath))
            }
        }
    }

    // MARK: Creating

    /// Creates the directory `path`.
    ///
    /// - Parameters:
    ///   - parents: create missing parents too, and succeed when `path` already is a directory (`mkdir -p`).
    ///   - options: mode (default 0755) and owner (default root:root) of each directory created.
    ///   - path: the directory to create.
    /// - Throws: ``Ext4Error/Code/exists`` when the name is taken (without `parents`), ``Ext4Error/Code/notFound``
    ///   for a missing parent (without `parents`), ``Ext4Error/Code/notDirectory``.
    public func makeDirectory(
        _ path: GuestPath, parents: Bool = false, options: WriteOptions = WriteOptions()
    )
        throws(Ext4Error)
    {
        try requireWritable(path)
        try validate(options, path)
        guard parents else {
            try makeOneDirectory(path, options: options, existingIsFine: false)
            return
        }
        var prefix = GuestPath.root
        for name in path.components {
            prefix = prefix.appending(name)
            try makeOneDirectory(prefix, options: options, existingIsFine: true)
        }
    }

    private func makeOneDirectory(
        _ path: GuestPath, options: WriteOptions, existingIsFine: Bool
    )
        throws(Ext4Error)
    {
        let resolved = try resolve(path, followFinal: true)
        if let existing = resolved.inode {
            let isDirectory = try handle.readInode(existing).isDirectory
            if existingIsFine && isDirectory { return }
            throw Ext4Error(.exists, "already exists", path: path.description)
        }
        guard let parent = resolved.parent, let name = resolved.name else {
            throw Ext4Error(.invalidArgument, "cannot create the root directory", path: path.description)
        }
        do throws(Ext4Error) {
            try handle.makeDirectory(name, in: parent)
            guard let ino = try handle.lookup(name, in: parent) else {
                throw Ext4Error(.corrupt, "the new directory cannot be found")
            }
            var record = try handle.readInode(ino)
            record.mode = ModeBits.directory | (options.mode ?? 0o755)
            record.setOwner(uid: options.uid ?? 0, gid: options.gid ?? 0)
            record.setTimes(access: timestamp, modification: timestamp, change: timestamp)
            try handle.writeInode(ino, record)
            try touchDirectory(parent)
            try labelNewInode(ino, at: path, kind: .directory)
        } catch {
            throw error.at(path)
        }
    }

    /// Creates the symbolic link `path` pointing at `target` (stored as given, never resolved).
    ///
    /// - Throws: ``Ext4Error/Code/exists`` when the name is taken, ``Ext4Error/Code/invalidArgument`` for an
    ///   empty target, one with a NUL byte or one longer than 4095 bytes.
    public func makeSymlink(
        _ path: GuestPath, target: [UInt8], options: WriteOptions = WriteOptions()
    )
        throws(Ext4Error)
    {
        try requireWritable(path)
        guard !target.isEmpty, !target.contains(0), target.count < GuestPath.maxLength else {
            throw Ext4Error(
                .invalidArgument, "a symlink target must be 1 to 4095 bytes without NUL", path: path.description)
        }
        let location = try entryLocation(path, for: "create a symbolic link at")
        guard location.inode == nil else { throw Ext4Error(.exists, "already exists", path: path.description) }
        do throws(Ext4Error) {
            try handle.makeSymlink(location.name, target: target, in: location.parent)
            guard let ino = try handle.lookup(location.name, in: location.parent) else {
                throw Ext4Error(.corrupt, "the new symbolic link cannot be found")
            }
            var record = try handle.readInode(ino)
            record.setOwner(uid: options.uid ?? 0, gid: options.gid ?? 0)
            record.setTimes(access: timestamp, modification: timestamp, change: timestamp)
            try handle.writeInode(ino, record)
            try touchDirectory(location.parent)
            try labelNewInode(ino, at: path, kind: .symlink)
        } catch {
            throw error.at(path)
        }
    }

    /// ``makeSymlink(_:target:options:)`` with the target's UTF-8 bytes.
    public func makeSymlink(
        _ path: GuestPath, target: String, options: WriteOptions = WriteOptions()
    )
        throws(Ext4Error)
    {
        try makeSymlink(path, target: Array(target.utf8), options: options)
    }

    // MARK: Removing

    /// Deletes the directory `path`.
    ///
    /// - Parameter recursive: delete everything inside first (symbolic links are deleted, never followed).
    /// - Parameter path: the directory to delete.
    /// - Throws: ``Ext4Error/Code/notEmpty`` when it has entries and `recursive` is false,
    ///   ``Ext4Error/Code/notDirectory`` when `path` is not a directory (a symlink to one included).
    public func removeDirectory(_ path: GuestPath, recursive: Bool = false) throws(Ext4Error) {
        try requireWritable(path)
        let location = try entryLocation(path, for: "remove")
        guard let ino = location.inode else {
            throw Ext4Error(.notFound, "no such file or directory", path: path.description)
        }
        guard try handle.readInode(ino).isDirectory else {
            throw Ext4Error(.notDirectory, "not a directory", path: path.description)
        }
        do throws(Ext4Error) {
            let isEmpty = try handle.entries(of: ino).isEmpty
            if !recursive && !isEmpty {
                throw Ext4Error(.notEmpty, "directory is not empty")
            }
            var visited: Set<InodeNumber> = [ino]
            try removeTree(parent: location.parent, name: location.name, directory: ino, depth: 0, visited: &visited)
        } catch {
            throw error.at(path)
        }
    }

    /// Deletes the directory entry `name` of `parent`, which is the directory `directory`, after deleting
    /// everything inside it (post-order; each directory's names are collected before anything in it changes).
    /// An explicit stack, not recursion, so that depth is limited by ``maxDirectoryDepth`` and not by a stack.
    private func removeTree(
        parent: InodeNumber, name: [UInt8], directory: InodeNumber, depth: Int, visited: inout Set<InodeNumber>
    ) throws(Ext4Error) {
        struct Level {
            var parent: InodeNumber
            var name: [UInt8]
            var directory: InodeNumber
            var entries: [RawDirectoryEntry]
            var next = 0
        }
        var stack = [
            Level(parent: parent, name: name, directory: directory, entries: try handle.entries(of: directory))
        ]
        while let top = stack.indices.last {
            guard stack[top].next < stack[top].entries.count else {
                let done = stack.removeLast()
                try removeEmptyDirectory(parent: done.parent, name: done.name, directory: done.directory)
                continue
            }
            let entry = stack[top].entries[stack[top].next]
            stack[top].next += 1
            let record = try handle.readInode(entry.inode)
            if record.isDirectory {
                guard visited.insert(entry.inode).inserted else {
                    throw Ext4Error(.corrupt, "directory inode \(entry.inode) appears twice in the tree")
                }
                guard depth + stack.count < Self.maxDirectoryDepth else {
                    throw Ext4Error(.corrupt, "directories nest deeper than \(Self.maxDirectoryDepth)")
                }
                stack.append(
                    Level(
                        parent: stack[top].directory, name: entry.name, directory: entry.inode,
                        entries: try handle.entries(of: entry.inode)))
            } else {
                try removeEntry(parent: stack[top].directory, name: entry.name, inode: entry.inode)
            }
        }
    }

    /// Unlinks the empty directory `directory` (entry `name` of `parent`), frees it and drops the parent's
    /// link from its `..`.
    func removeEmptyDirectory(parent: InodeNumber, name: [UInt8], directory: InodeNumber) throws(Ext4Error) {
        try handle.unlink(name, in: parent)
        var record = try handle.readInode(directory)
        record.linksCount = 0
        record.setTimes(change: timestamp)
        record.deletionTime = UInt32(truncatingIfNeeded: timestamp)
        try handle.release(directory, &record)
        try handle.writeInode(directory, record)
        var parentRecord = try handle.readInode(parent)
        if parentRecord.linksCount > 1 { parentRecord.linksCount -= 1 }
        parentRecord.setTimes(modification: timestamp, change: timestamp)
        try handle.writeInode(parent, parentRecord)
    }

    // MARK: Renaming

    /// Moves `source` to `destination` inside the guest. Neither last component is followed: a symbolic
    /// link is moved (or replaced) itself.
    ///
    /// An existing destination is replaced when the kinds agree (a file by a file, an empty directory by a
    /// directory). Moving a directory into itself, or the root, is refused. Not atomic on disk: the new entry
    /// is added before the old one is removed.
    ///
    /// - Throws: ``Ext4Error/Code/notFound``, ``Ext4Error/Code/isDirectory``, ``Ext4Error/Code/notDirectory``,
    ///   ``Ext4Error/Code/notEmpty``, ``Ext4Error/Code/escapesRoot`` (into itself).
    public func rename(_ source: GuestPath, to destination: GuestPath) throws(Ext4Error) {
        try requireWritable(source)
        let from = try entryLocation(source, for: "rename")
        guard let moving = from.inode else {
            throw Ext4Error(.notFound, "no such file or directory", path: source.description)
        }
        let to = try entryLocation(destination, for: "rename onto")
        let movingRecord = try handle.readInode(moving)
        if movingRecord.isDirectory && (to.ancestors.contains(moving) || to.parent == moving) {
            throw Ext4Error(
                .escapesRoot, "cannot move a directory into itself", path: destination.description)
        }
        do throws(Ext4Error) {
            if let existing = to.inode {
                if existing == moving { return }
                let existingRecord = try handle.readInode(existing)
                if existingRecord.isDirectory {
                    guard movingRecord.isDirectory else { throw Ext4Error(.isDirectory, "destination is a directory") }
                    guard try handle.entries(of: existing).isEmpty else {
                        throw Ext4Error(.notEmpty, "destination directory is not empty")
                    }
                    try removeEmptyDirectory(parent: to.parent, name: to.name, directory: existing)
                } else {
                    guard !movingRecord.isDirectory else {
                        throw Ext4Error(.notDirectory, "destination is not a directory")
                    }
                    try removeEntry(parent: to.parent, name: to.name, inode: existing)
                }
            }
            try handle.link(to.name, to: moving, type: DirentType.of(mode: movingRecord.mode), in: to.parent)
            try handle.unlink(from.name, in: from.parent)
            if movingRecord.isDirectory && from.parent != to.parent {
                try handle.setParentEntry(of: moving, to: to.parent)
                var oldParent = try handle.readInode(from.parent)
                if oldParent.linksCount > 1 { oldParent.linksCount -= 1 }
                try handle.writeInode(from.parent, oldParent)
                var newParent = try handle.readInode(to.parent)
                if newParent.linksCount != 1 { newParent.linksCount += 1 }  // 1 means "not counted" (dir_nlink)
                try handle.writeInode(to.parent, newParent)
            }
            var record = try handle.readInode(moving)
            record.setTimes(change: timestamp)
            try handle.writeInode(moving, record)
            try touchDirectory(from.parent)
            if to.parent != from.parent { try touchDirectory(to.parent) }
        } catch {
            throw error.at(source)
        }
    }

    // MARK: Metadata

    /// Sets the permission bits (`mode & 0o7777`) of `path`.
    ///
    /// - Parameter followSymlinks: change the link's target (like `chmod`), or the link inode itself.
    /// - Parameter path: the guest path whose mode changes.
    /// - Parameter mode: the permission bits (`0o7777` at most); the file type is kept.
    public func chmod(_ path: GuestPath, mode: UInt16, followSymlinks: Bool = true) throws(Ext4Error) {
        try requireWritable(path)
        try validate(WriteOptions(mode: mode), path)
        let ino = try existingInode(path, followFinal: followSymlinks)
        var record = try handle.readInode(ino)
        record.mode = (record.mode & ModeBits.typeMask) | mode
        record.setTimes(change: timestamp)
        try handle.writeInode(ino, record)
    }

    /// Sets the owner and/or group of `path` (nil leaves one unchanged). Set-id bits are kept.
    ///
    /// - Parameter followSymlinks: change the link's target (like `chown`), or the link itself (`chown -h`).
    /// - Parameter uid: the new owner, or nil to keep it.
    /// - Parameter path: the guest path whose owner changes.
    /// - Parameter gid: the new group, or nil to keep it.
    public func chown(
        _ path: GuestPath, uid: UInt32?, gid: UInt32?, followSymlinks: Bool = true
    )
        throws(Ext4Error)
    {
        try requireWritable(path)
        let ino = try existingInode(path, followFinal: followSymlinks)
        var record = try handle.readInode(ino)
        record.setOwner(uid: uid ?? record.uid, gid: gid ?? record.gid)
        record.setTimes(change: timestamp)
        try handle.writeInode(ino, record)
    }

    /// Sets the access and modification times of `path` (symbolic links followed); the change time becomes
    /// the session's timestamp.
    public func setTimes(_ path: GuestPath, access: Int64?, modification: Int64?) throws(Ext4Error) {
        try requireWritable(path)
        let ino = try existingInode(path, followFinal: true)
        var record = try handle.readInode(ino)
        record.setTimes(access: access, modification: modification, change: timestamp)
        try handle.writeInode(ino, record)
    }
}
