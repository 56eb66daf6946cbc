// The contained path walker. libext2fs's namei lets `..` climb above a subdirectory root and follows at most 8
// links; this walker keeps its own stack of directories from the guest root, so `..` stops at the root, absolute
// symlink targets restart at the guest root, and at most 40 links are followed. It never looks at a host path.

/// Where a guest path leads: the inode (when it exists) and, unless the path ends at the root or in `..`,
/// the directory that holds its last entry and the entry's name.
struct ResolvedPath {
    /// The inode the path names, nil when only the last component is missing.
    var inode: InodeNumber?
    /// The directory holding the last entry.
    var parent: InodeNumber?
    /// The last entry's name in `parent`.
    var name: [UInt8]?
    /// The directories from the root down to `parent` (or to `inode` when there is no parent entry).
    var ancestors: [InodeNumber]
    /// The path with every symbolic link and `..` resolved: the names from the root to the last entry.
    var canonical: [[UInt8]] = []
}

extension Ext4FileSystem {
    private static let dotDot: [UInt8] = [UInt8(ascii: "."), UInt8(ascii: ".")]

    /// Resolves `path` inside the guest root.
    ///
    /// - Parameter followFinal: follow a symbolic link in the last component (stat, read) or not (lstat,
    ///   delete, replace, readlink). Links in earlier components are always followed, inside the guest.
    /// - Throws: ``Ext4Error/Code/notFound`` when a component before the last is missing,
    ///   ``Ext4Error/Code/notDirectory`` when one is not a directory, ``Ext4Error/Code/symlinkLoop`` after
    ///   ``maxSymlinkHops`` links.
    func resolve(_ path: GuestPath, followFinal: Bool) throws(Ext4Error) -> ResolvedPath {
        var stack: [InodeNumber] = [rootInode]
        var names: [[UInt8]] = []  // the names of stack[1...]
        var pending: [[UInt8]] = path.components.map(\.bytes).reversed()  // a stack: last element is next
        var hops = 0
        var lastEntry: (parent: InodeNumber, name: [UInt8])? = nil
        var current: InodeNumber = rootInode
        while let component = pending.popLast() {
            if component == Self.dotDot {
                if stack.count > 1 { stack.removeLast(); names.removeLast() }
                current = stack.last!
                lastEntry = nil
                continue
            }
            if component == [UInt8(ascii: ".")] { lastEntry = nil; continue }
            let directory = stack.last!
            let directoryRecord = try handle.readInode(directory)
            guard directoryRecord.isDirectory else {
                throw Ext4Error(.notDirectory, "a component of the path is not a directory", path: path.description)
            }
            guard let found = try handle.lookup(component, in: directory) else {
                if pending.isEmpty {
                    return ResolvedPath(
                        inode: nil, parent: directory, name: component, ancestors: stack, canonical: names + [component]
                    )
                }
                throw Ext4Error(.notFound, "no such file or directory", path: path.description)
            }
            let record = try handle.readInode(found)
            if record.isSymlink && (followFinal || !pending.isEmpty) {
                hops += 1
                guard hops <= Self.maxSymlinkHops else {
                    throw Ext4Error(
                        .symlinkLoop, "more than \(Self.maxSymlinkHops) symbolic links met while resolving",
                        path: path.description)
                }
                let target = try handle.symlinkTarget(found, record)
                guard !target.isEmpty else {
                    throw Ext4Error(.notFound, "a symbolic link on the path is empty", path: path.description)
                }
                if target.first == UInt8(ascii: "/") { stack = [rootInode]; names = [] }
                let parts = target.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
                for part in parts.reversed() { pending.append(Array(part)) }
                current = stack.last!
                lastEntry = nil
                continue
            }
            lastEntry = (directory, component)
            current = found
            if !pending.isEmpty {
                guard record.isDirectory else {
                    throw Ext4Error(.notDirectory, "a component of the path is not a directory", path: path.description)
                }
                stack.append(found)
                names.append(component)
            }
        }
        if let lastEntry {
            return ResolvedPath(
                inode: current, parent: lastEntry.parent, name: lastEntry.name, ancestors: stack,
                canonical: names + [lastEntry.name])
        }
        return ResolvedPath(inode: current, parent: nil, name: nil, ancestors: stack, canonical: names)
    }

    /// The canonical form of `path`: every symbolic link (the last one too) and every `..` resolved inside the
    /// guest, like `realpath -m` (the last component may be missing). Use it to act on what a link points to
    /// with an operation that does not follow links, such as ``writeFile(_:contents:options:)``.
    public func realPath(_ path: GuestPath) throws(Ext4Error) -> GuestPath {
        let resolved = try resolve(path, followFinal: true)
        return GuestPath(validated: resolved.canonical.map { GuestName(bytes: $0) })
    }

    /// The canonical form of `path` when something exists there: ``realPath(_:)`` in one walk, `nil` when a
    /// component is missing (the last one too), when a component before the last is not a directory, when a
    /// link on the way is empty, or after ``maxSymlinkHops`` links.
    ///
    /// - Throws: ``Ext4Error`` when the filesystem cannot be read.
    public func existingRealPath(_ path: GuestPath) throws(Ext4Error) -> GuestPath? {
        let resolved: ResolvedPath
        do {
            resolved = try resolve(path, followFinal: true)
        } catch  where error.code == .notFound || error.code == .notDirectory || error.code == .symlinkLoop {
            return nil
        }
        guard resolved.inode != nil else { return nil }
        return GuestPath(validated: resolved.canonical.map { GuestName(bytes: $0) })
    }

    /// Resolves `path` to an existing inode.
    func existingInode(_ path: GuestPath, followFinal: Bool) throws(Ext4Error) -> InodeNumber {
        let resolved = try resolve(path, followFinal: followFinal)
        guard let inode = resolved.inode else {
            throw Ext4Error(.notFound, "no such file or directory", path: path.description)
        }
        return inode
    }

    /// Resolves `path` for an operation that adds, removes or replaces its last entry: the parent directory
    /// and the name. The last component is not followed.
    ///
    /// - Throws: ``Ext4Error/Code/invalidArgument`` when the path is the root or ends in `..`.
    func entryLocation(
        _ path: GuestPath, for operation: String
    ) throws(Ext4Error)
        -> (parent: InodeNumber, name: [UInt8], inode: InodeNumber?, ancestors: [InodeNumber])
    {
        let resolved = try resolve(path, followFinal: false)
        guard let parent = resolved.parent, let name = resolved.name else {
            throw Ext4Error(
                .invalidArgument, "cannot \(operation) the root directory or a path ending in '..'",
                path: path.description)
        }
        return (parent, name, resolved.inode, resolved.ancestors)
    }
}
