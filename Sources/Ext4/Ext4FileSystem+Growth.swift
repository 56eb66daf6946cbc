internal import CExt2fs

/// How an ext2/3/4 filesystem grows to fill a larger device: the counts before and after, as `resize2fs` would
/// make them of the same device (see `Ext4FileSystem/planGrowth()`).
public struct FilesystemGrowth: Sendable, Codable, Hashable {
    /// The filesystem block size in bytes.
    public var blockSize: UInt32
    /// Blocks before growing.
    public var oldBlocks: UInt64
    /// Blocks after growing.
    public var newBlocks: UInt64
    /// Block groups before growing.
    public var oldGroups: UInt32
    /// Block groups after growing.
    public var newGroups: UInt32
    /// Group descriptor blocks before growing.
    public var oldDescriptorBlocks: UInt64
    /// Group descriptor blocks after growing.
    public var newDescriptorBlocks: UInt64
    /// The reserved GDT blocks (of the resize inode) before growing; the new descriptor blocks come from them.
    public var reservedDescriptorBlocks: UInt32
    /// The inode count after growing.
    public var newInodes: UInt64

    /// Whether the filesystem gets larger (false: it already fills the device).
    public var grows: Bool { newBlocks > oldBlocks }
}

extension Ext4FileSystem {
    /// Plans growing the filesystem to fill its device (the partition, already at its new size). Nothing is
    /// written.
    ///
    /// The new block count is the device's size in blocks, rounded down to whole 4 KiB pages for smaller
    /// blocks and without a last group too small for its metadata (plus 50 blocks), as `resize2fs` sizes it.
    ///
    /// - Throws: ``Ext4Error/Code/unsupportedFeature`` when the growth would need the group descriptor table
    ///   to grow past the blocks the resize inode reserved (or without a resize inode; or with meta_bg), for
    ///   bigalloc and sparse_super2 filesystems, past 2³² blocks without the 64bit feature, or past 2³² inodes.
    /// - Parameter bytes: the size to fill; default the device's size. (A caller can plan before the device
    ///   grows, on the filesystem opened over its old, smaller partition.)
    public func planGrowth(toBytes bytes: UInt64? = nil) throws(Ext4Error) -> FilesystemGrowth {
        let blockSize = UInt64(handle.blockSize)
        let plan = try handle.growthPlan(availableBlocks: (bytes ?? handle.backend.device.size) / blockSize)
        let growth = FilesystemGrowth(
            blockSize: UInt32(blockSize), oldBlocks: UInt64(plan.old_blocks), newBlocks: UInt64(plan.new_blocks),
            oldGroups: plan.old_groups, newGroups: plan.new_groups, oldDescriptorBlocks: UInt64(plan.old_desc_blocks),
            newDescriptorBlocks: UInt64(plan.new_desc_blocks), reservedDescriptorBlocks: plan.reserved_gdt_blocks,
            newInodes: UInt64(plan.new_inodes))
        let verdict = Int(plan.verdict)
        switch verdict {
        case Int(CEXT2FS_GROW_OK.rawValue), Int(CEXT2FS_GROW_NOTHING.rawValue):
            return growth
        case Int(CEXT2FS_GROW_NO_RESERVED_GDT.rawValue):
            throw Ext4Error(
                .unsupportedFeature,
                "growing to \(growth.newBlocks) blocks (\(growth.newGroups) groups) needs \(growth.newDescriptorBlocks) "
                    + "group descriptor blocks; the filesystem has \(growth.oldDescriptorBlocks) and "
                    + "\(growth.reservedDescriptorBlocks) reserved for growth (resize inode). Growing further would "
                    + "move inode tables and data, which vhdedit does not do: grow less, or use resize2fs")
        case Int(CEXT2FS_GROW_META_BG.rawValue):
            throw Ext4Error(
                .unsupportedFeature,
                "a meta_bg filesystem whose descriptor table grows (\(growth.oldDescriptorBlocks) to "
                    + "\(growth.newDescriptorBlocks) blocks) is not grown by vhdedit; use resize2fs")
        case Int(CEXT2FS_GROW_BIGALLOC.rawValue):
            throw Ext4Error(.unsupportedFeature, "bigalloc filesystems are not grown by vhdedit; use resize2fs")
        case Int(CEXT2FS_GROW_SPARSE_SUPER2.rawValue):
            throw Ext4Error(.unsupportedFeature, "sparse_super2 filesystems are not grown by vhdedit; use resize2fs")
        case Int(CEXT2FS_GROW_NOT_64BIT.rawValue):
            throw Ext4Error(
                .unsupportedFeature,
                "the filesystem lacks the 64bit feature and cannot have more than 2^32 - 1 blocks; grow less")
        case Int(CEXT2FS_GROW_TOO_MANY_INODES.rawValue):
            throw Ext4Error(
                .unsupportedFeature, "growing would make more than 2^32 - 1 inodes (\(growth.newInodes)); grow less")
        default:
            throw Ext4Error(.invalidArgument, "the device is too small for the filesystem's last group")
        }
    }

    /// Grows the filesystem as ``planGrowth(toBytes:)`` planned; the change is written by ``close()`` (or
    /// ``commit()``), under the image's edit journal like every other write. Does nothing when the plan does not
    /// grow.
    ///
    /// New groups get their bitmaps and inode tables where libext2fs's `ext2fs_allocate_group_table` places
    /// them (the flex_bg layout), the resize inode's reserved descriptor blocks are used, backup superblocks
    /// and descriptor copies are written for the new groups, free counts are counted from the bitmaps and
    /// every checksum is set. With group descriptor checksums the new inode tables are left for the kernel to
    /// zero (INODE_UNINIT, as resize2fs does with lazy inode-table init); without, they are written as zeros.
    ///
    /// - Throws: ``Ext4Error/Code/readOnly`` on a read-only filesystem, a refusal from ``planGrowth(toBytes:)`` (the plan
    ///   is made again), or an error of libext2fs; after an error the session must be abandoned.
    public func grow(_ growth: FilesystemGrowth) throws(Ext4Error) {
        guard isWritable else { throw Ext4Error(.readOnly, "the filesystem is open read-only") }
        guard try planGrowth() == growth else {
            throw Ext4Error(.invalidArgument, "the plan does not match the filesystem and device any more")
        }
        guard growth.grows else { return }
        let blockSize = UInt64(handle.blockSize)
        let plan = try handle.growthPlan(availableBlocks: handle.backend.device.size / blockSize)
        try handle.grow(plan, lazyInodeTables: true)
    }
}
