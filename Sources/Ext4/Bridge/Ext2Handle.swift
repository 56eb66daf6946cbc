// The owner of one libext2fs filesystem handle: open, close, flush, grow, errors and the superblock. The
// other files of Bridge/ extend it (inodes, directories, file data, journal, orphans, quota) or serve it
// (IOManager.swift, LookupMemo.swift). Every unsafe pointer of the ext4 layer lives in Bridge/; the operation
// files above work with InodeNumber, InodeRecord and Swift arrays only.

import BlockIO
internal import CExt2fs

#if canImport(Glibc)
    import Glibc
#endif

/// The single owner of one `ext2_filsys`: opened by `init`, written and freed by ``close()``, or freed without
/// writing by ``abandon()`` or `deinit`. Every libext2fs call of the module goes through here.
final class Ext2Handle {
    /// The open filesystem; nil once released. Read by the Bridge files' extensions of this class.
    private(set) var fs: ext2_filsys?
    let backend: DeviceBackend
    let channelName: String
    let writable: Bool
    /// The first error of a call that changes the filesystem: after it, libext2fs's in-memory state may be
    /// half-updated, so nothing more may be written and the session must be abandoned.
    private(set) var mutationFailure: Ext4Error?
    /// Lookups answered since the last change (see ``lookup(_:in:)``).
    var recentLookups = LookupMemo()

    /// Opens the filesystem registered as `channelName`.
    init(channelName: String, backend: DeviceBackend, writable: Bool) throws(Ext4Error) {
        self.channelName = channelName
        self.backend = backend
        self.writable = writable
        var flags = Int32(EXT2_FLAG_64BITS)
        if writable { flags |= Int32(EXT2_FLAG_RW) } else { flags |= Int32(EXT2_FLAG_SKIP_MMP) }
        _ = errorTablesRegistered
        var handle: ext2_filsys?
        let rc = ext2fs_open2(channelName, nil, flags, 0, 0, blockDeviceIOManager, &handle)
        if rc != 0 {
            if let handle { cext2fs_free_plain(handle) }
            throw Ext2Handle.error(rc, "open the filesystem", backend: backend)
        }
        fs = handle
    }

    deinit { abandon() }

    /// Frees the handle without writing anything back.
    func abandon() {
        if let fs {
            lastSuperblock = superblock
            cext2fs_free(fs)
        }
        fs = nil
    }

    /// The superblock as it was when the handle was released (so ``superblock`` never needs a live handle).
    private var lastSuperblock: SuperblockSnapshot?

    /// Writes bitmaps, group descriptors and superblocks and frees the handle, whether or not writing works.
    func close() throws(Ext4Error) {
        guard let fs else { return }
        lastSuperblock = superblock
        self.fs = nil
        // Writable: ext2fs_set_gdt_csum and ext2fs_close2, writing only the bitmaps and descriptor blocks that
        // changed (see CExt2fsMetadata/metadata.c).
        let rc = writable ? cext2fs_close(fs) : cext2fs_close_plain(fs)
        if rc != 0 {
            cext2fs_free(fs)  // ext2fs_close2 returns early without freeing when a write fails
            throw Ext2Handle.error(rc, "write the filesystem's metadata back", backend: backend)
        }
    }

    /// Writes bitmaps, group descriptors and superblocks now, keeping the handle open.
    func flush() throws(Ext4Error) {
        try changing { () throws(Ext4Error) in
            // ext2fs_flush2, writing only the bitmaps and descriptor blocks that changed.
            try check(cext2fs_flush(try live()), "flush the filesystem's metadata")
        }
    }

    /// What growing into `availableBlocks` blocks would do (cext2fs_growth_plan; nothing changes).
    func growthPlan(availableBlocks: UInt64) throws(Ext4Error) -> cext2fs_growth {
        cext2fs_growth_plan(try live(), blk64_t(availableBlocks))
    }

    /// Grows the filesystem as `plan` says (cext2fs_grow): written back by ``close()``. A failure leaves the
    /// in-memory filesystem half-changed, so it marks the session as failed.
    func grow(_ plan: cext2fs_growth, lazyInodeTables: Bool) throws(Ext4Error) {
        try changing { () throws(Ext4Error) in
            var plan = plan
            let fs = try live()
            try check(cext2fs_grow(fs, &plan, lazyInodeTables ? 1 : 0), "grow the filesystem")
        }
    }

    func live() throws(Ext4Error) -> ext2_filsys {
        guard let fs else { throw Ext4Error(.invalidArgument, "the filesystem has been closed") }
        return fs
    }

    // MARK: Errors

    /// Maps a libext2fs or errno value to an ``Ext4Error``, attaching the device error the backend stored.
    static func error(
        _ rc: errcode_t, _ operation: String, path: String? = nil, backend: DeviceBackend?
    )
        -> Ext4Error
    {
        let text = String(cString: error_message(rc))
        let device = backend?.takeError()
        let code: Ext4Error.Code
        switch rc {
        case errcode_t(EXT2_ET_FILE_NOT_FOUND), errcode_t(ENOENT): code = .notFound
        case errcode_t(EXT2_ET_FILE_EXISTS), errcode_t(EXT2_ET_DIR_EXISTS), errcode_t(EEXIST): code = .exists
        case errcode_t(EXT2_ET_NO_DIRECTORY), errcode_t(ENOTDIR): code = .notDirectory
        case errcode_t(EXT2_ET_BLOCK_ALLOC_FAIL), errcode_t(EXT2_ET_INODE_ALLOC_FAIL), errcode_t(ENOSPC),
            errcode_t(EXT2_ET_DIR_NO_SPACE), errcode_t(EXT2_ET_INLINE_DATA_NO_SPACE):
            code = .noSpace
        case errcode_t(EXT2_ET_SYMLINK_LOOP), errcode_t(ELOOP): code = .symlinkLoop
        case errcode_t(EXT2_ET_RO_FILSYS), errcode_t(EXT2_ET_FILE_RO), errcode_t(EROFS): code = .readOnly
        case errcode_t(EXT2_ET_UNSUPP_FEATURE), errcode_t(EXT2_ET_RO_UNSUPP_FEATURE),
            errcode_t(EXT2_ET_UNIMPLEMENTED):
            code = .unsupportedFeature
        case errcode_t(EXT2_ET_BAD_MAGIC), errcode_t(EXT2_ET_DIR_CORRUPTED), errcode_t(EXT2_ET_CORRUPT_SUPERBLOCK),
            errcode_t(EXT2_ET_SB_CSUM_INVALID), errcode_t(EXT2_ET_INODE_CSUM_INVALID),
            errcode_t(EXT2_ET_DIR_CSUM_INVALID), errcode_t(EXT2_ET_EXTENT_CSUM_INVALID),
            errcode_t(EXT2_ET_BLOCK_BITMAP_CSUM_INVALID), errcode_t(EXT2_ET_INODE_BITMAP_CSUM_INVALID),
            errcode_t(EXT2_ET_EXT_ATTR_CSUM_INVALID), errcode_t(EXT2_ET_BAD_INODE_NUM),
            errcode_t(EXT2_ET_GDESC_BAD_BLOCK_MAP), errcode_t(EXT2_ET_GDESC_BAD_INODE_MAP),
            errcode_t(EXT2_ET_GDESC_BAD_INODE_TABLE), errcode_t(EXT2_ET_BAD_DESC_SIZE),
            errcode_t(EXT2_ET_EXTENT_HEADER_BAD), errcode_t(EXT2_ET_CANT_USE_LEGACY_BITMAPS):
            code = .corrupt
        case errcode_t(EXT2_ET_SHORT_READ), errcode_t(EXT2_ET_SHORT_WRITE), errcode_t(EIO): code = .io
        default: code = device == nil ? .corrupt : .io
        }
        return Ext4Error(
            device == nil ? code : .io, "cannot \(operation): \(text)", path: path, errcode: Int(rc),
            underlying: device)
    }

    /// Runs a call that changes the filesystem, remembering its failure in ``mutationFailure``. Any change may
    /// change a directory, so the remembered lookups are dropped before and after it.
    func changing<T>(_ body: () throws(Ext4Error) -> T) throws(Ext4Error) -> T {
        recentLookups.forget()
        defer { recentLookups.forget() }
        do {
            return try body()
        } catch {
            if mutationFailure == nil { mutationFailure = error }
            throw error
        }
    }

    func check(
        _ rc: errcode_t, _ operation: @autoclosure () -> String, path: String? = nil
    )
        throws(Ext4Error)
    {
        if rc != 0 { throw Ext2Handle.error(rc, operation(), path: path, backend: backend) }
    }

    // MARK: Superblock

    var superblock: SuperblockSnapshot {
        guard let fs, let sb = fs.pointee.super else {
            return lastSuperblock
                ?? SuperblockSnapshot(
                    compat: 0, incompat: 0, roCompat: 0, state: 0, errorCount: 0, lastOrphan: 0, blockSize: 1024,
                    blocksCount: 0, freeBlocks: 0, inodesCount: 0, freeInodes: 0, label: [],
                    uuid: [UInt8](repeating: 0, count: 16), revision: 0,
                    inodeSize: 128)
        }
        let s = sb.pointee
        var label = withUnsafeBytes(of: s.s_volume_name) { Array($0) }
        if let end = label.firstIndex(of: 0) { label.removeSubrange(end...) }
        return SuperblockSnapshot(
            compat: s.s_feature_compat, incompat: s.s_feature_incompat, roCompat: s.s_feature_ro_compat,
            state: s.s_state, errorCount: s.s_error_count, lastOrphan: s.s_last_orphan,
            blockSize: cext2fs_block_size(fs), blocksCount: ext2fs_blocks_count(sb),
            freeBlocks: ext2fs_free_blocks_count(sb), inodesCount: s.s_inodes_count,
            freeInodes: s.s_free_inodes_count, label: label, uuid: withUnsafeBytes(of: s.s_uuid) { Array($0) },
            revision: s.s_rev_level, inodeSize: Int(cext2fs_inode_size(fs)))
    }

    var blockSize: Int { Int(superblock.blockSize) }

    /// Sets the time libext2fs stamps on what it creates (`fs->now`, as E2FSPROGS_FAKE_TIME does).
    func setClock(_ seconds: Int64) {
        fs?.pointee.now = time_t(seconds)
    }

    /// Makes write-back go through libext2fs's own writers (every initialized group's bitmaps, the whole
    /// descriptor table), as before only changed groups were written: the reference the tests compare with.
    func writeAllMetadataOnFlush() {
        if let fs { cext2fs_tracker_set_full(fs, 1) }
    }

    func readBitmaps() throws(Ext4Error) {
        // Extent-tree bitmaps filled only where groups are in use: memory and time follow what the
        // filesystem holds, not its size (see cext2fs_read_bitmaps_sparse).
        try check(cext2fs_read_bitmaps_sparse(try live()), "read the block and inode bitmaps")
    }
}

/// Registers libext2fs's com_err message table once, so `error_message` can name its codes.
private let errorTablesRegistered: Void = { initialize_ext2_error_table() }()
