internal import CExt2fs

// Extended attributes (xattrs) of inodes, through libext2fs's xattr handle: the in-inode area or the EA block,
// as libext2fs decides. The bridging code for `ext2fs_xattrs_*` lives here and nowhere else.

extension Ext2Handle {
    /// The value of the attribute `name` (`security.selinux`, `user.x`, ...) of inode `ino`, or nil when the
    /// inode has none of that name.
    func extendedAttribute(_ ino: InodeNumber, name: String) throws(Ext4Error) -> [UInt8]? {
        let fs = try live()
        var xattrs: OpaquePointer?
        try check(ext2fs_xattrs_open(fs, ino, &xattrs), "open the extended attributes of inode \(ino)")
        defer { ext2fs_xattrs_close(&xattrs) }
        try check(ext2fs_xattrs_read(xattrs), "read the extended attributes of inode \(ino)")
        var value: UnsafeMutableRawPointer?
        var length = 0
        let rc = ext2fs_xattr_get(xattrs, name, &value, &length)
        if rc == errcode_t(EXT2_ET_EA_KEY_NOT_FOUND) { return nil }
        try check(rc, "read the extended attribute \(name) of inode \(ino)")
        defer { ext2fs_free_mem(&value) }
        guard let value else { return [] }
        return Array(UnsafeRawBufferPointer(start: value, count: length))
    }

    /// The names of the attributes of inode `ino`, in on-disk order.
    func extendedAttributeNames(_ ino: InodeNumber) throws(Ext4Error) -> [String] {
        let fs = try live()
        var xattrs: OpaquePointer?
        try check(ext2fs_xattrs_open(fs, ino, &xattrs), "open the extended attributes of inode \(ino)")
        defer { ext2fs_xattrs_close(&xattrs) }
        try check(ext2fs_xattrs_read(xattrs), "read the extended attributes of inode \(ino)")
        final class Names { var list: [String] = [] }
        let names = Names()
        let rc = withExtendedLifetime(names) {
            ext2fs_xattrs_iterate(
                xattrs,
                { name, _, _, context in
                    if let name, let context {
                        Unmanaged<Names>.fromOpaque(context).takeUnretainedValue().list.append(String(cString: name))
                    }
                    return 0
                }, Unmanaged.passUnretained(names).toOpaque())
        }
        try check(rc, "list the extended attributes of inode \(ino)")
        return names.list
    }

    /// Sets the attribute `name` of inode `ino` to `value` (libext2fs writes the inode or EA block at once).
    func setExtendedAttribute(_ ino: InodeNumber, name: String, value: [UInt8]) throws(Ext4Error) {
        try changing { () throws(Ext4Error) in
            let fs = try live()
            var xattrs: OpaquePointer?
            try check(ext2fs_xattrs_open(fs, ino, &xattrs), "open the extended attributes of inode \(ino)")
            defer { ext2fs_xattrs_close(&xattrs) }
            try check(ext2fs_xattrs_read(xattrs), "read the extended attributes of inode \(ino)")
            let rc = value.withUnsafeBytes { bytes in ext2fs_xattr_set(xattrs, name, bytes.baseAddress, bytes.count) }
            try check(rc, "set the extended attribute \(name) of inode \(ino)")
        }
    }
}

/// Gives every inode a write session creates the security label the guest's policy assigns to its path.
///
/// ``Ext4FileSystem/newInodeLabeler`` calls it once for each file, directory and symbolic link the session
/// creates, with the inode's path inside the guest (symbolic links in its folders resolved, as the kernel
/// labels what it creates at its real path). Rewriting a file in place keeps its inode and its label.
public protocol NewInodeLabeling: AnyObject {
    /// The value of `security.selinux` for a new inode of `kind` at `path` (guest bytes, starting with `/`),
    /// including its terminating NUL as the kernel stores it, or nil to leave the inode unlabelled.
    func securityLabel(forNewInodeAt path: [UInt8], kind: FileKind) -> [UInt8]?
}

extension Ext4FileSystem {
    /// The name of the SELinux label attribute.
    public static let selinuxAttribute = "security.selinux"

    /// The value of the extended attribute `name` of `path` (symbolic links not followed), or nil when it has
    /// none of that name.
    ///
    /// - Throws: ``Ext4Error/Code/notFound`` when `path` does not exist; libext2fs errors.
    public func extendedAttribute(_ path: GuestPath, name: String) throws(Ext4Error) -> [UInt8]? {
        let ino = try existingInode(path, followFinal: false)
        do throws(Ext4Error) { return try handle.extendedAttribute(ino, name: name) } catch { throw error.at(path) }
    }

    /// The names of the extended attributes of `path` (symbolic links not followed).
    public func extendedAttributeNames(_ path: GuestPath) throws(Ext4Error) -> [String] {
        let ino = try existingInode(path, followFinal: false)
        do throws(Ext4Error) { return try handle.extendedAttributeNames(ino) } catch { throw error.at(path) }
    }

    /// The SELinux label of `path` without its terminating NUL (`system_u:object_r:etc_t:s0`), or nil when it
    /// has none.
    public func securityLabel(_ path: GuestPath) throws(Ext4Error) -> String? {
        guard var value = try extendedAttribute(path, name: Self.selinuxAttribute) else { return nil }
        while value.last == 0 { value.removeLast() }
        return String(decoding: value, as: UTF8.self)
    }

    /// The SELinux label of the inode a listing returned (no path walk), without its NUL; nil when none.
    public func securityLabel(of entry: DirectoryEntry) throws(Ext4Error) -> String? {
        let value: [UInt8]?
        do throws(Ext4Error) { value = try handle.extendedAttribute(entry.inode, name: Self.selinuxAttribute) } catch {
            throw error.at(entry.path)
        }
        guard var value else { return nil }
        while value.last == 0 { value.removeLast() }
        return String(decoding: value, as: UTF8.self)
    }

    /// Sets the extended attribute `name` of `path` (symbolic links not followed) to `value`.
    public func setExtendedAttribute(_ path: GuestPath, name: String, value: [UInt8]) throws(Ext4Error) {
        try requireWritable(path)
        let ino = try existingInode(path, followFinal: false)
        do throws(Ext4Error) { try handle.setExtendedAttribute(ino, name: name, value: value) } catch {
            throw error.at(path)
        }
    }

    /// Labels the inode just created at `path`, when a ``newInodeLabeler`` is set.
    func labelNewInode(_ ino: InodeNumber, at path: GuestPath, kind: FileKind) throws(Ext4Error) {
        guard let labeler = newInodeLabeler else { return }
        let canonical = try resolve(path, followFinal: false).canonical
        var real: [UInt8] = []
        for name in canonical { real.append(UInt8(ascii: "/")); real += name }
        if real.isEmpty { real = [UInt8(ascii: "/")] }
        guard let label = labeler.securityLabel(forNewInodeAt: real, kind: kind) else { return }
        try handle.setExtendedAttribute(ino, name: Self.selinuxAttribute, value: label)
    }
}
