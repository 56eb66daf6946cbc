// C bridge: an inode's block runs read from its extent tree (libext2fs's extent handle).

internal import CExt2fs

extension Ext2Handle {
    /// The runs of blocks `0..<count` of inode `ino`, read from its extent tree one extent at a time (a 128 MiB
    /// journal is a handful of extents: a handful of steps instead of 32,768 block-map lookups).
    ///
    /// - Returns: nil when the inode is not extent-mapped, or its extents do not cover `0..<count` without a
    ///   hole or an uninitialized extent: the caller then asks ``blockRuns(of:from:count:)``, which says what
    ///   is wrong.
    func extentRuns(of ino: InodeNumber, count: UInt64) throws(Ext4Error) -> [BlockRun]? {
        let fs = try live()
        guard try readInode(ino).flags & UInt32(EXT4_EXTENTS_FL) != 0 else { return nil }
        var handle: ext2_extent_handle_t?
        guard ext2fs_extent_open(fs, ino, &handle) == 0, let handle else { return nil }
        defer { ext2fs_extent_free(handle) }
        var extent = ext2fs_extent()
        var runs: [BlockRun] = []
        var next: UInt64 = 0
        var rc = ext2fs_extent_get(handle, Int32(EXT2_EXTENT_ROOT), &extent)
        // Leaves come in logical order; the walk visits every node (EXT2_EXTENT_NEXT) and stops at the end.
        var steps = 0
        while rc == 0, next < count, steps < 1 << 20 {
            steps += 1
            if extent.e_flags & UInt32(EXT2_EXTENT_FLAGS_LEAF) != 0 && extent.e_len > 0 {
                guard extent.e_flags & UInt32(EXT2_EXTENT_FLAGS_UNINIT) == 0, extent.e_lblk == next,
                    extent.e_pblk != 0
                else { return nil }
                let length = min(UInt64(extent.e_len), count - next)
                if var last = runs.last, last.physical + last.count == extent.e_pblk {
                    last.count += length
                    runs[runs.count - 1] = last
                } else {
                    runs.append(BlockRun(logical: next, physical: extent.e_pblk, count: length))
                }
                next += length
            }
            rc = ext2fs_extent_get(handle, Int32(EXT2_EXTENT_NEXT), &extent)
        }
        return next == count ? runs : nil
    }
}
