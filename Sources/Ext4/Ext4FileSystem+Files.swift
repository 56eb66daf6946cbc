// Reading and writing files: stat, exists, read (whole or streamed), write (create or replace), truncate,
// remove, readlink.

extension Ext4FileSystem {
    /// The largest file ``readFile(_:limit:)`` returns unless told otherwise (256 MiB).
    public static let defaultReadLimit = 256 << 20

    // MARK: Status

    /// The status of what `path` names, following a symbolic link in the last component (like `stat(2)`).
    ///
    /// - Throws: ``Ext4Error/Code/notFound``, ``Ext4Error/Code/notDirectory``, ``Ext4Error/Code/symlinkLoop``.
    public func stat(_ path: GuestPath) throws(Ext4Error) -> FileStatus {
        try status(of: existingInode(path, followFinal: true))
    }

    /// The status of what `path` names without following a symbolic link in the last component
    /// (like `lstat(2)`): for a link, the link itself and its target.
    public func lstat(_ path: GuestPath) throws(Ext4Error) -> FileStatus {
        try status(of: existingInode(path, followFinal: false))
    }

    /// Whether `path` names something. With `followSymlinks`, a dangling link does not count.
    public func exists(_ path: GuestPath, followSymlinks: Bool = true) throws(Ext4Error) -> Bool {
        do {
            return try resolve(path, followFinal: followSymlinks).inode != nil
        } catch  where error.code == .notFound || error.code == .notDirectory {
            return false
        }
    }

    func status(of ino: InodeNumber) throws(Ext4Error) -> FileStatus {
        let record = try handle.readInode(ino)
        let times = record.times(extra: handle.hasExtraTimes(record))
        return FileStatus(
            inode: ino, kind: FileKind(mode: record.mode), permissions: record.mode & ModeBits.permissions,
            mode: record.mode,
            uid: record.uid, gid: record.gid, size: record.size, linkCount: record.linksCount,
            accessTime: times.access, modificationTime: times.modification, changeTime: times.change,
            linkTarget: record.isSymlink ? try handle.symlinkTarget(ino, record) : nil)
    }

    /// The target of the symbolic link `path` (the last component is not followed), as stored.
    ///
    /// - Throws: ``Ext4Error/Code/notSymlink`` when `path` is not a symbolic link.
    public func readlink(_ path: GuestPath) throws(Ext4Error) -> [UInt8] {
        let ino = try existingInode(path, followFinal: false)
        let record = try handle.readInode(ino)
        guard record.isSymlink else {
            throw Ext4Error(.notSymlink, "not a symbolic link", path: path.description)
        }
        return try handle.symlinkTarget(ino, record)
    }

    // MARK: Reading

    /// The whole contents of the regular file `path` (symbolic links followed inside the guest).
    ///
    /// - Parameter limit: the largest size accepted; bigger files fail with ``Ext4Error/Code/tooLarge``
    ///   before anything is read (use ``readChunks(_:chunkSize:_:)`` for those).
    /// - Parameter path: the regular file to read (symbolic links followed).
    /// - Throws: ``Ext4Error/Code/isDirectory``, ``Ext4Error/Code/notFound``, ``Ext4Error/Code/tooLarge`` …
    public func readFile(
        _ path: GuestPath, limit: Int = Ext4FileSystem.defaultReadLimit
    ) throws(Ext4Error)
        -> [UInt8]
    {
        let (ino, record) = try regularFile(path)
        guard record.size <= UInt64(limit) else {
            throw Ext4Error(
                .tooLarge, "file is \(record.size) bytes, more than the \(limit)-byte limit", path: path.description)
        }
        do throws(Ext4Error) {
            return try handle.readFile(ino, limit: limit)
        } catch {
            throw error.at(path)
        }
    }

    /// Streams the regular file `path` to `body` in chunks of at most `chunkSize` bytes (holes as zeros),
    /// with memory bounded by `chunkSize` whatever the file's size.
    ///
    /// - Throws: an ``Ext4Error``, or whatever `body` throws (which stops the read).
    public func readChunks(_ path: GuestPath, chunkSize: Int = 1 << 20, _ body: ([UInt8]) throws -> Void) throws {
        let (ino, _) = try regularFile(path)
        var bodyError: (any Error)?
        do {
            try handle.readChunks(ino, chunkSize: chunkSize) { (chunk) throws(Ext4Error) in
                do {
                    try body(chunk)
                } catch {
                    bodyError = error
                    throw Ext4Error(.invalidArgument, "reading stopped by the caller")
                }
            }
        } catch {
            if let bodyError { throw bodyError }
            throw error.at(path)
        }
    }

    private func regularFile(_ path: GuestPath) throws(Ext4Error) -> (InodeNumber, InodeRecord) {
        let ino = try existingInode(path, followFinal: true)
        let record = try handle.readInode(ino)
        if record.isDirectory { throw Ext4Error(.isDirectory, "is a directory", path: path.description) }
        guard record.isRegular else {
            throw Ext4Error(.invalidArgument, "not a regular file", path: path.description)
        }
        return (ino, record)
    }

    // MARK: Writing

    /// Writes `contents` to `path`: creates a regular file, or replaces the contents of an existing one.
    ///
    /// A replaced file keeps its inode, mode and owner unless `options` says otherwise; a new one gets
    /// `options` or mode 0644, owner root:root. When `path` is a symbolic link, the link itself is replaced
    /// by a regular file (the link is not followed: its target may point anywhere). Whole zero blocks are
    /// left as holes (sparse files).
    ///
    /// - Throws: ``Ext4Error/Code/isDirectory``, ``Ext4Error/Code/notFound`` (missing parent),
    ///   ``Ext4Error/Code/noSpace``, ``Ext4Error/Code/readOnly`` …
    public func writeFile(
        _ path: GuestPath, contents: [UInt8], options: WriteOptions = WriteOptions()
    )
        throws(Ext4Error)
    {
        var sent = false
        try writeFile(path, options: options, sizeHint: UInt64(contents.count)) { () throws(Ext4Error) -> [UInt8]? in
            if sent { return nil }
            sent = true
            return contents
        }
    }

    /// Writes the chunks `produce` returns (until it returns nil) to `path`, as
    /// ``writeFile(_:contents:options:)`` does; memory stays bounded by the chunk size.
    ///
    /// - Parameter sizeHint: the total size when known: a write that cannot fit fails with
    ///   ``Ext4Error/Code/noSpace`` before anything changes. Without it, running out of space part-way fails
    ///   the write and the session (``Ext4Error/Code/aborted`` afterwards): abandon it.
    /// - Parameter produce: returns the next chunk of the contents, or nil at the end.
    /// - Parameter path: the guest file to write.
    /// - Parameter options: mode and owner for a new file (an existing file keeps its own unless given).
    public func writeFile(
        _ path: GuestPath, options: WriteOptions = WriteOptions(), sizeHint: UInt64? = nil,
        produce: () throws(Ext4Error) -> [UInt8]?
    ) throws(Ext4Error) {
        try requireWritable(path)
        try validate(options, path)
        let location = try entryLocation(path, for: "write")
        do throws(Ext4Error) {
            if let existing = location.inode {
                let record = try handle.readInode(existing)
                if record.isDirectory { throw Ext4Error(.isDirectory, "is a directory", path: path.description) }
                if let sizeHint { try requireSpace(forBytes: sizeHint, reclaiming: record, path) }
                if record.isRegular {
                    try handle.replaceData(existing, produce: produce)
                    var updated = try handle.readInode(existing)
                    if let mode = options.mode { updated.mode = (updated.mode & ModeBits.typeMask) | mode }
                    updated.setOwner(uid: options.uid ?? updated.uid, gid: options.gid ?? updated.gid)
                    updated.setTimes(modification: timestamp, change: timestamp)
                    try handle.writeInode(existing, updated)
                    return
                }
                // A symlink, device, fifo or socket: replace the entry itself, keeping its owner.
                var keep = options
                keep.uid = keep.uid ?? record.uid
                keep.gid = keep.gid ?? record.gid
                try removeEntry(parent: location.parent, name: location.name, inode: existing)
                let ino = try createFile(parent: location.parent, name: location.name, options: keep, produce: produce)
                try labelNewInode(ino, at: path, kind: .regular)
                return
            }
            if let sizeHint { try requireSpace(forBytes: sizeHint, reclaiming: nil, path) }
            let ino = try createFile(parent: location.parent, name: location.name, options: options, produce: produce)
            try labelNewInode(ino, at: path, kind: .regular)
        } catch {
            throw error.at(path)
        }
    }

    private func createFile(
        parent: InodeNumber, name: [UInt8], options: WriteOptions, produce: () throws(Ext4Error) -> [UInt8]?
    ) throws(Ext4Error) -> InodeNumber {
        let mode = ModeBits.regular | (options.mode ?? 0o644)
        let ino = try handle.allocateInode(near: parent, mode: mode)
        var record = InodeRecord()
        record.mode = mode
        record.setOwner(uid: options.uid ?? 0, gid: options.gid ?? 0)
        record.linksCount = 1
        record.setTimes(access: timestamp, modification: timestamp, change: timestamp)
        record.generation = generation(for: ino)
        try handle.writeNewInode(ino, &record)
        do {
            try handle.link(name, to: ino, type: DirentType.regular, in: parent)
        } catch {
            try? handle.release(ino, &record)
            throw error
        }
        try touchDirectory(parent)
        try handle.replaceData(ino, produce: produce)
        return ino
    }

    /// Sets the size of the regular file `path` (symbolic links followed): shrinking frees the blocks past
    /// the new end, growing adds a hole.
    public func truncate(_ path: GuestPath, to size: UInt64) throws(Ext4Error) {
        try requireWritable(path)
        let (ino, original) = try regularFile(path)
        do throws(Ext4Error) {
            if original.hasInlineData {
                // libext2fs cannot cut inline data at a partial block: rewrite the (small) contents instead.
                // Growing: the first block is written out in full (zeros after the data), which moves the file
                // out of the inode when it no longer fits; the rest becomes a hole.
                var bytes = try handle.readFile(ino, limit: Int(original.size))
                let first = min(size, UInt64(handle.blockSize))
                if UInt64(bytes.count) > first { bytes.removeLast(bytes.count - Int(first)) }
                bytes += [UInt8](repeating: 0, count: Int(first) - bytes.count)
                var sent = false
                try handle.replaceData(ino) { () throws(Ext4Error) -> [UInt8]? in
                    if sent { return nil }
                    sent = true
                    return bytes
                }
                if size > first { try handle.setSize(ino, to: size) }
            } else {
                try handle.setSize(ino, to: size)
            }
            var record = try handle.readInode(ino)
            record.setTimes(modification: timestamp, change: timestamp)
            try handle.writeInode(ino, record)
        } catch {
            throw error.at(path)
        }
    }

    /// Deletes the file, symbolic link, device node, fifo or socket `path`. A symbolic link in the last
    /// component is deleted itself, never its target.
    ///
    /// - Throws: ``Ext4Error/Code/isDirectory`` for a directory (use ``removeDirectory(_:recursive:)``),
    ///   ``Ext4Error/Code/notFound``.
    public func remove(_ path: GuestPath) throws(Ext4Error) {
        try requireWritable(path)
        let location = try entryLocation(path, for: "remove")
        guard let ino = location.inode else {
            throw Ext4Error(.notFound, "no such file or directory", path: path.description)
        }
        let record = try handle.readInode(ino)
        if record.isDirectory { throw Ext4Error(.isDirectory, "is a directory", path: path.description) }
        do throws(Ext4Error) {
            try removeEntry(parent: location.parent, name: location.name, inode: ino)
        } catch {
            throw error.at(path)
        }
    }

    /// Removes the non-directory entry `name` of `parent` and drops one link of its inode, freeing the inode
    /// and its blocks when no link is left.
    func removeEntry(parent: InodeNumber, name: [UInt8], inode ino: InodeNumber) throws(Ext4Error) {
        try handle.unlink(name, in: parent)
        var record = try handle.readInode(ino)
        if record.linksCount > 0 { record.linksCount -= 1 }
        record.setTimes(change: timestamp)
        if record.linksCount == 0 {
            record.deletionTime = UInt32(truncatingIfNeeded: timestamp)
            try handle.release(ino, &record)
        }
        try handle.writeInode(ino, record)
        try touchDirectory(parent)
    }

    /// Sets a directory's modification and change times to the session's timestamp.
    func touchDirectory(_ ino: InodeNumber) throws(Ext4Error) {
        var record = try handle.readInode(ino)
        record.setTimes(modification: timestamp, change: timestamp)
        try handle.writeInode(ino, record)
    }

    /// The `i_generation` of a new inode: derived from the inode number and the timestamp when the clock is
    /// fixed (reproducible images), random otherwise.
    func generation(for ino: InodeNumber) -> UInt32 {
        if isReproducible {
            var mixed = UInt64(ino) &+ UInt64(bitPattern: timestamp) &* 0x9E37_79B9_7F4A_7C15
            mixed = (mixed ^ (mixed >> 31)) &* 0xBF58_476D_1CE4_E5B9
            return UInt32(truncatingIfNeeded: mixed ^ (mixed >> 29))
        }
        return UInt32.random(in: 0...UInt32.max)
    }

    func validate(_ options: WriteOptions, _ path: GuestPath) throws(Ext4Error) {
        if let mode = options.mode, mode & ~ModeBits.permissions != 0 {
            throw Ext4Error(
                .invalidArgument, "mode \(String(mode, radix: 8)) has bits beyond 07777", path: path.description)
        }
    }
}
