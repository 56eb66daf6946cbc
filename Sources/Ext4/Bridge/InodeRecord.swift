// Inode numbers, the Swift copy of an on-disk inode, and the Ext2Handle calls that read, write, allocate
// and release inodes.

import BlockIO
internal import CExt2fs

#if canImport(Glibc)
    import Glibc
#endif

/// An inode number (`ext2_ino_t`).
typealias InodeNumber = UInt32

/// The root directory's inode (`EXT2_ROOT_INO`).
let rootInode: InodeNumber = 2

/// A Swift copy of one on-disk inode (`struct ext2_inode_large`), read and written whole so that the extra
/// fields (checksums, nanoseconds, creation time) survive a round trip.
struct InodeRecord {
    var raw = ext2_inode_large()

    var mode: UInt16 {
        get { raw.i_mode }
        set { raw.i_mode = newValue }
    }
    var uid: UInt32 { withUnsafePointer(to: raw) { cext2fs_inode_uid($0) } }
    var gid: UInt32 { withUnsafePointer(to: raw) { cext2fs_inode_gid($0) } }
    mutating func setOwner(uid: UInt32, gid: UInt32) { cext2fs_inode_set_owner(&raw, uid, gid) }
    var size: UInt64 { UInt64(raw.i_size) | (UInt64(raw.i_size_high) << 32) }
    var linksCount: UInt16 {
        get { raw.i_links_count }
        set { raw.i_links_count = newValue }
    }
    var flags: UInt32 {
        get { raw.i_flags }
        set { raw.i_flags = newValue }
    }
    var generation: UInt32 {
        get { raw.i_generation }
        set { raw.i_generation = newValue }
    }
    var deletionTime: UInt32 {
        get { raw.i_dtime }
        set { raw.i_dtime = newValue }
    }
    /// 512-byte sectors in use (`i_blocks` plus its high half); a huge_file inode may count in blocks instead.
    var blocks512: UInt64 { UInt64(raw.i_blocks) | (UInt64(raw.osd2.linux2.l_i_blocks_hi) << 32) }

    /// Times in seconds since 1970, with the epoch bits of the extra fields when the inode has them.
    func times(extra: Bool) -> (access: Int64, modification: Int64, change: Int64) {
        func decode(_ seconds: UInt32, _ more: UInt32) -> Int64 {
            Int64(Int32(bitPattern: seconds)) + (extra ? Int64(more & 3) << 32 : 0)
        }
        return (
            decode(raw.i_atime, raw.i_atime_extra), decode(raw.i_mtime, raw.i_mtime_extra),
            decode(raw.i_ctime, raw.i_ctime_extra)
        )
    }

    /// Sets the given times (seconds since 1970); nanoseconds and epoch bits become 0.
    mutating func setTimes(access: Int64? = nil, modification: Int64? = nil, change: Int64? = nil) {
        if let access { raw.i_atime = UInt32(truncatingIfNeeded: access); raw.i_atime_extra = 0 }
        if let modification { raw.i_mtime = UInt32(truncatingIfNeeded: modification); raw.i_mtime_extra = 0 }
        if let change { raw.i_ctime = UInt32(truncatingIfNeeded: change); raw.i_ctime_extra = 0 }
    }

    var isDirectory: Bool { cext2fs_s_isdir(UInt32(mode)) != 0 }
    var hasInlineData: Bool { flags & UInt32(EXT4_INLINE_DATA_FL) != 0 }
    var isRegular: Bool { cext2fs_s_isreg(UInt32(mode)) != 0 }
    var isSymlink: Bool { cext2fs_s_islnk(UInt32(mode)) != 0 }
}

extension Ext2Handle {
    // MARK: Inodes

    func readInode(_ ino: InodeNumber) throws(Ext4Error) -> InodeRecord {
        let fs = try live()
        var record = InodeRecord()
        let rc = withUnsafeMutablePointer(to: &record.raw) { large in
            large.withMemoryRebound(to: ext2_inode.self, capacity: 1) { small in
                ext2fs_read_inode_full(fs, ino, small, Int32(MemoryLayout<ext2_inode_large>.size))
            }
        }
        try check(rc, "read inode \(ino)")
        return record
    }

    func writeInode(_ ino: InodeNumber, _ record: InodeRecord) throws(Ext4Error) {
        try changing { () throws(Ext4Error) in
            let fs = try live()
            var copy = record
            let rc = withUnsafeMutablePointer(to: &copy.raw) { large in
                large.withMemoryRebound(to: ext2_inode.self, capacity: 1) { small in
                    ext2fs_write_inode_full(fs, ino, small, Int32(MemoryLayout<ext2_inode_large>.size))
                }
            }
            try check(rc, "write inode \(ino)")
        }
    }

    /// Whether inodes on this filesystem store the extra time fields.
    func hasExtraTimes(_ record: InodeRecord) -> Bool {
        guard let fs else { return false }
        return withUnsafePointer(to: record.raw) { cext2fs_has_extra_times(fs, $0) } != 0
    }

    /// Allocates an inode near `directory` and marks it in use.
    func allocateInode(near directory: InodeNumber, mode: UInt16) throws(Ext4Error) -> InodeNumber {
        try changing { () throws(Ext4Error) -> InodeNumber in
            let fs = try live()
            var ino: ext2_ino_t = 0
            try check(ext2fs_new_inode(fs, directory, Int32(mode), nil, &ino), "allocate an inode")
            ext2fs_inode_alloc_stats2(fs, ino, +1, (mode & ModeBits.typeMask) == ModeBits.directory ? 1 : 0)
            return ino
        }
    }

    /// Writes a freshly allocated inode: sets up its block map (inline data or an empty extent tree, as the
    /// filesystem's features call for) and writes it with its extra fields and checksum.
    func writeNewInode(_ ino: InodeNumber, _ record: inout InodeRecord) throws(Ext4Error) {
        try changing { () throws(Ext4Error) in
            let fs = try live()
            let sb = superblock
            let inline = sb.incompat & FeatureBit.inlineData != 0
            if inline {
                record.flags |= UInt32(EXT4_INLINE_DATA_FL)
            } else if sb.incompat & FeatureBit.extents != 0 {
                var extents: ext2_extent_handle_t?
                let rc = withUnsafeMutablePointer(to: &record.raw) { large in
                    large.withMemoryRebound(to: ext2_inode.self, capacity: 1) { small in
                        ext2fs_extent_open2(fs, ino, small, &extents)
                    }
                }
                try check(rc, "set up the extent tree of inode \(ino)")
                ext2fs_extent_free(extents)
            }
            let rc = withUnsafeMutablePointer(to: &record.raw) { large in
                large.withMemoryRebound(to: ext2_inode.self, capacity: 1) { small in
                    ext2fs_write_new_inode(fs, ino, small)
                }
            }
            try check(rc, "write new inode \(ino)")
            if inline { try check(ext2fs_inline_data_init(fs, ino), "set up inline data of inode \(ino)") }
            record = try readInode(ino)
        }
    }

    /// Frees every block of the inode from `startBlock` on (extents, block maps or inline data).
    func punch(_ ino: InodeNumber, _ record: inout InodeRecord, fromBlock startBlock: UInt64) throws(Ext4Error) {
        try changing { () throws(Ext4Error) in
            let fs = try live()
            let rc = withUnsafeMutablePointer(to: &record.raw) { large in
                large.withMemoryRebound(to: ext2_inode.self, capacity: 1) { small in
                    ext2fs_punch(fs, ino, small, nil, startBlock, ~UInt64(0))
                }
            }
            try check(rc, "free the blocks of inode \(ino)")
        }
    }

    /// Releases the inode's extended attribute block (refcounted) and frees its data, then marks it free.
    func release(_ ino: InodeNumber, _ record: inout InodeRecord) throws(Ext4Error) {
        try changing { () throws(Ext4Error) in
            let fs = try live()
            let rc = withUnsafeMutablePointer(to: &record.raw) { ext2fs_free_ext_attr(fs, ino, $0) }
            try check(rc, "free the extended attributes of inode \(ino)")
            let hasBlocks = withUnsafeMutablePointer(to: &record.raw) { large in
                large.withMemoryRebound(to: ext2_inode.self, capacity: 1) { ext2fs_inode_has_valid_blocks2(fs, $0) }
            }
            if hasBlocks != 0 || record.flags & UInt32(EXT4_INLINE_DATA_FL) != 0 {
                try punch(ino, &record, fromBlock: 0)
            }
            ext2fs_inode_alloc_stats2(fs, ino, -1, record.isDirectory ? 1 : 0)
        }
    }

    /// A symlink's target bytes: from `i_block` for a fast symlink, else from its data (block or inline).
    func symlinkTarget(_ ino: InodeNumber, _ record: InodeRecord) throws(Ext4Error) -> [UInt8] {
        let size = record.size
        guard size <= UInt64(GuestPath.maxLength) else {
            throw Ext4Error(.corrupt, "symbolic link inode \(ino) claims a \(size)-byte target")
        }
        var copy = record.raw
        let fast = withUnsafeMutablePointer(to: &copy) { large in
            large.withMemoryRebound(to: ext2_inode.self, capacity: 1) { ext2fs_is_fast_symlink($0) }
        }
        if fast != 0 {
            let bytes = withUnsafeBytes(of: record.raw.i_block) { Array($0.prefix(Int(size))) }
            return bytes
        }
        return try readFile(ino, limit: Int(size))
    }
}
