// Directory entries as libext2fs iterates them, and the Ext2Handle calls that look up, list, link and
// unlink them.

import BlockIO
internal import CExt2fs

#if canImport(Glibc)
    import Glibc
#endif

/// One live directory entry as libext2fs iterates it.
struct RawDirectoryEntry {
    var name: [UInt8]
    var inode: InodeNumber
    var fileType: UInt8
}

/// Directory entry file types (`EXT2_FT_*`).
enum DirentType {
    static let regular: UInt8 = UInt8(EXT2_FT_REG_FILE)
    static let directory: UInt8 = UInt8(EXT2_FT_DIR)
    static let symlink: UInt8 = UInt8(EXT2_FT_SYMLINK)

    /// The entry type for an inode `mode`.
    static func of(mode: UInt16) -> UInt8 {
        switch mode & ModeBits.typeMask {
        case ModeBits.regular: return UInt8(EXT2_FT_REG_FILE)
        case ModeBits.directory: return UInt8(EXT2_FT_DIR)
        case ModeBits.characterDevice: return UInt8(EXT2_FT_CHRDEV)
        case ModeBits.blockDevice: return UInt8(EXT2_FT_BLKDEV)
        case ModeBits.fifo: return UInt8(EXT2_FT_FIFO)
        case ModeBits.socket: return UInt8(EXT2_FT_SOCK)
        case ModeBits.symlink: return UInt8(EXT2_FT_SYMLINK)
        default: return UInt8(EXT2_FT_UNKNOWN)
        }
    }
}

extension Ext2Handle {
    // MARK: Directories

    /// Looks `name` up in `directory`; nil when there is no such entry.
    ///
    /// Answers found since the last change to the filesystem are remembered (``LookupMemo``): walking a path
    /// resolves `/`, `/etc`, … again for every file, and libext2fs reads and checksums each directory block
    /// again on every lookup.
    func lookup(_ name: [UInt8], in directory: InodeNumber) throws(Ext4Error) -> InodeNumber? {
        let fs = try live()
        if let remembered = recentLookups.answer(for: name, in: directory) { return remembered }
        var ino: ext2_ino_t = 0
        let rc = name.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) {
                ext2fs_lookup(fs, directory, $0.baseAddress, Int32($0.count), nil, &ino)
            }
        }
        if rc == errcode_t(EXT2_ET_FILE_NOT_FOUND) {
            recentLookups.remember(nil, for: name, in: directory)
            return nil
        }
        try check(rc, "look up a name in directory inode \(directory)")
        recentLookups.remember(ino, for: name, in: directory)
        return ino
    }

    /// Every live entry of `directory` except `.` and `..`, in on-disk order.
    func entries(of directory: InodeNumber) throws(Ext4Error) -> [RawDirectoryEntry] {
        let fs = try live()
        let box = EntryCollector()
        // No DIRENT_FLAG_INCLUDE_INLINE_DATA: libext2fs iterates inline directories by itself; the flag tells
        // it the buffer already holds inline data and breaks ordinary directories.
        let flags: Int32 = 0
        let rc = withExtendedLifetime(box) {
            ext2fs_dir_iterate2(
                fs, directory, flags, nil,
                { _, entry, dirent, _, _, _, priv in
                    guard let dirent, let priv else { return Int32(DIRENT_ABORT) }
                    let box = Unmanaged<EntryCollector>.fromOpaque(priv).takeUnretainedValue()
                    if entry == Int32(DIRENT_DOT_FILE) || entry == Int32(DIRENT_DOT_DOT_FILE) { return 0 }
                    if dirent.pointee.inode == 0 { return 0 }
                    let length = Int(ext2fs_dirent_name_len(dirent))
                    let name = withUnsafeBytes(of: &dirent.pointee.name) { Array($0.prefix(length)) }
                    // Inline directories report their synthesized '.' and '..' as ordinary entries.
                    if name == [0x2E] || name == [0x2E, 0x2E] { return 0 }
                    box.entries.append(
                        RawDirectoryEntry(
                            name: name, inode: dirent.pointee.inode, fileType: UInt8(ext2fs_dirent_file_type(dirent))))
                    return 0
                }, Unmanaged.passUnretained(box).toOpaque())
        }
        try check(rc, "read directory inode \(directory)")
        return box.entries
    }

    /// Points the `..` entry of `directory` at `parent`.
    func setParentEntry(of directory: InodeNumber, to parent: InodeNumber) throws(Ext4Error) {
        try changing { () throws(Ext4Error) in
            let fs = try live()
            let box = EntryCollector()
            box.newParent = parent
            // No DIRENT_FLAG_INCLUDE_INLINE_DATA: libext2fs iterates inline directories by itself; the flag tells
            // it the buffer already holds inline data and breaks ordinary directories.
            let flags: Int32 = 0
            let rc = withExtendedLifetime(box) {
                ext2fs_dir_iterate2(
                    fs, directory, flags, nil,
                    { _, entry, dirent, _, _, _, priv in
                        guard let dirent, let priv else { return Int32(DIRENT_ABORT) }
                        let length = Int(ext2fs_dirent_name_len(dirent))
                        let isDotDot =
                            length == 2 && withUnsafeBytes(of: &dirent.pointee.name) { $0[0] == 0x2E && $0[1] == 0x2E }
                        guard entry == Int32(DIRENT_DOT_DOT_FILE) || isDotDot else { return 0 }
                        let box = Unmanaged<EntryCollector>.fromOpaque(priv).takeUnretainedValue()
                        dirent.pointee.inode = box.newParent
                        box.changed = true
                        return Int32(DIRENT_CHANGED | DIRENT_ABORT)
                    }, Unmanaged.passUnretained(box).toOpaque())
            }
            try check(rc, "rewrite '..' of directory inode \(directory)")
            guard box.changed else { throw Ext4Error(.corrupt, "directory inode \(directory) has no '..' entry") }
        }
    }

    /// Adds the entry `name` → `ino` to `directory`, growing the directory when it is full. The caller has
    /// checked that the name is free: libext2fs's link does not.
    func link(_ name: [UInt8], to ino: InodeNumber, type: UInt8, in directory: InodeNumber) throws(Ext4Error) {
        try changing { () throws(Ext4Error) in
            let fs = try live()
            let cName = name.map { CChar(bitPattern: $0) } + [0]
            var rc = ext2fs_link(fs, directory, cName, ino, Int32(type))
            if rc == errcode_t(EXT2_ET_DIR_NO_SPACE) {
                try check(ext2fs_expand_dir(fs, directory), "grow directory inode \(directory)")
                rc = ext2fs_link(fs, directory, cName, ino, Int32(type))
            }
            try check(rc, "add an entry to directory inode \(directory)")
        }
    }

    /// Removes the entry `name` from `directory` (the inode itself is untouched).
    func unlink(_ name: [UInt8], in directory: InodeNumber) throws(Ext4Error) {
        try changing { () throws(Ext4Error) in
            let fs = try live()
            let cName = name.map { CChar(bitPattern: $0) } + [0]
            try check(ext2fs_unlink(fs, directory, cName, 0, 0), "remove an entry from directory inode \(directory)")
        }
    }

    /// Creates directory `name` in `parent` (with `.`, `..`, parent link count), growing the parent when full.
    func makeDirectory(_ name: [UInt8], in parent: InodeNumber) throws(Ext4Error) {
        try changing { () throws(Ext4Error) in
            let fs = try live()
            let cName = name.map { CChar(bitPattern: $0) } + [0]
            var rc = ext2fs_mkdir(fs, parent, 0, cName)
            if rc == errcode_t(EXT2_ET_DIR_NO_SPACE) {
                try check(ext2fs_expand_dir(fs, parent), "grow directory inode \(parent)")
                rc = ext2fs_mkdir(fs, parent, 0, cName)
            }
            try check(rc, "create a directory in directory inode \(parent)")
        }
    }

    /// Creates symbolic link `name` → `target` in `parent`, growing the parent when full.
    func makeSymlink(_ name: [UInt8], target: [UInt8], in parent: InodeNumber) throws(Ext4Error) {
        try changing { () throws(Ext4Error) in
            let fs = try live()
            let cName = name.map { CChar(bitPattern: $0) } + [0]
            let cTarget = target.map { CChar(bitPattern: $0) } + [0]
            var rc = ext2fs_symlink(fs, parent, 0, cName, cTarget)
            if rc == errcode_t(EXT2_ET_DIR_NO_SPACE) {
                try check(ext2fs_expand_dir(fs, parent), "grow directory inode \(parent)")
                rc = ext2fs_symlink(fs, parent, 0, cName, cTarget)
            }
            try check(rc, "create a symbolic link in directory inode \(parent)")
        }
    }
}

/// The context libext2fs's directory iteration callbacks fill.
private final class EntryCollector {
    var entries: [RawDirectoryEntry] = []
    var newParent: InodeNumber = 0
    var changed = false
}
