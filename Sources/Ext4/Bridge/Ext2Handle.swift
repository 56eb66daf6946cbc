// Wrappers around the libext2fs calls this module makes. Every unsafe pointer of the ext4 layer lives here or in
// IOManagerBridge.swift; the operation files above work with InodeNumber, InodeRecord and Swift arrays only.

internal import CExt2fs
import BlockIO
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
    fileprivate var raw = ext2_inode_large()

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

/// One live directory entry as libext2fs iterates it.
struct RawDirectoryEntry {
    var name: [UInt8]
    var inode: InodeNumber
    var fileType: UInt8
}

/// The superblock fields the open-time safety checks and ``Ext4FileSystem/info`` need.
struct SuperblockSnapshot {
    var compat: UInt32
    var incompat: UInt32
    var roCompat: UInt32
    var state: UInt16
    var errorCount: UInt32
    var lastOrphan: UInt32
    var blockSize: UInt32
    var blocksCount: UInt64
    var freeBlocks: UInt64
    var inodesCount: UInt32
    var freeInodes: UInt32
    var label: [UInt8]
    var uuid: [UInt8]
    var revision: UInt32
    var inodeSize: Int
}

/// Feature bits (the `EXT*_FEATURE_*` constants) the checks refer to.
enum FeatureBit {
    static let hasJournal = UInt32(EXT3_FEATURE_COMPAT_HAS_JOURNAL)
    static let orphanFile = UInt32(EXT4_FEATURE_COMPAT_ORPHAN_FILE)
    static let needsRecovery = UInt32(EXT3_FEATURE_INCOMPAT_RECOVER)
    static let mmp = UInt32(EXT4_FEATURE_INCOMPAT_MMP)
    static let extents = UInt32(EXT3_FEATURE_INCOMPAT_EXTENTS)
    static let inlineData = UInt32(EXT4_FEATURE_INCOMPAT_INLINE_DATA)
    static let journalDevice = UInt32(EXT3_FEATURE_INCOMPAT_JOURNAL_DEV)
    static let orphanPresent = UInt32(EXT4_FEATURE_RO_COMPAT_ORPHAN_PRESENT)
    static let metadataCsum = UInt32(EXT4_FEATURE_RO_COMPAT_METADATA_CSUM)
    static let sixtyFourBit = UInt32(EXT4_FEATURE_INCOMPAT_64BIT)
    static let flexBlockGroups = UInt32(EXT4_FEATURE_INCOMPAT_FLEX_BG)
    static let hugeFile = UInt32(EXT4_FEATURE_RO_COMPAT_HUGE_FILE)
    static let directoryLinks = UInt32(EXT4_FEATURE_RO_COMPAT_DIR_NLINK)
    static let quota = UInt32(EXT4_FEATURE_RO_COMPAT_QUOTA)
    static let project = UInt32(EXT4_FEATURE_RO_COMPAT_PROJECT)
    /// Incompatible features only ext4 has.
    static let ext4Incompat = extents | sixtyFourBit | flexBlockGroups | inlineData
    /// Read-only-compatible features only ext4 has.
    static let ext4RoCompat = hugeFile | directoryLinks | metadataCsum
    static let validState = UInt16(EXT2_VALID_FS)
    static let errorState = UInt16(EXT2_ERROR_FS)

    /// e2fsprogs' names of the feature bits that are set, in `compat`, `incompat`, `ro_compat` order.
    static func names(compat: UInt32, incompat: UInt32, roCompat: UInt32) -> [String] {
        var out: [String] = []
        for (kind, mask) in [(E2P_FEATURE_COMPAT, compat), (E2P_FEATURE_INCOMPAT, incompat),
                             (E2P_FEATURE_RO_INCOMPAT, roCompat)] {
            for bit in 0..<32 where mask & (1 << UInt32(bit)) != 0 {
                out.append(featureName(kind: kind, bit: bit))
            }
        }
        return out
    }

    private static let known: [Int32: [Int: String]] = [
        E2P_FEATURE_COMPAT: [0: "dir_prealloc", 1: "imagic_inodes", 2: "has_journal", 3: "ext_attr",
                             4: "resize_inode", 5: "dir_index", 6: "lazy_bg", 8: "sparse_super2",
                             9: "fast_commit", 10: "stable_inodes", 12: "orphan_file"],
        E2P_FEATURE_INCOMPAT: [0: "compression", 1: "filetype", 2: "needs_recovery", 3: "journal_dev",
                               4: "meta_bg", 6: "extent", 7: "64bit", 8: "mmp", 9: "flex_bg",
                               10: "ea_inode", 12: "dirdata", 13: "metadata_csum_seed", 14: "large_dir",
                               15: "inline_data", 16: "encrypt", 17: "casefold"],
        E2P_FEATURE_RO_INCOMPAT: [0: "sparse_super", 1: "large_file", 3: "huge_file", 4: "uninit_bg",
                                  5: "dir_nlink", 6: "extra_isize", 8: "quota", 9: "bigalloc",
                                  10: "metadata_csum", 11: "replica", 12: "read-only", 13: "project",
                                  14: "shared_blocks", 15: "verity", 16: "orphan_present"],
    ]

    private static func featureName(kind: Int32, bit: Int) -> String {
        if let name = known[kind]?[bit] { return name }
        let prefix = kind == E2P_FEATURE_COMPAT ? "COMPAT" : kind == E2P_FEATURE_INCOMPAT ? "INCOMPAT" : "RO_COMPAT"
        return "FEATURE_\(prefix)_\(bit)"
    }
}

private let E2P_FEATURE_COMPAT: Int32 = 0
private let E2P_FEATURE_INCOMPAT: Int32 = 1
private let E2P_FEATURE_RO_INCOMPAT: Int32 = 2

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

/// The single owner of one `ext2_filsys`: opened by `init`, written and freed by ``close()``, or freed without
/// writing by ``abandon()`` or `deinit`. Every libext2fs call of the module goes through here.
final class Ext2Handle {
    private var fs: ext2_filsys?
    let backend: DeviceBackend
    let channelName: String
    let writable: Bool
    /// The first error of a call that changes the filesystem: after it, libext2fs's in-memory state may be
    /// half-updated, so nothing more may be written and the session must be abandoned.
    private(set) var mutationFailure: Ext4Error?
    /// Lookups answered since the last change (see ``lookup(_:in:)``).
    private var recentLookups = LookupMemo()

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
            if let handle { ext2fs_free(handle) }
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
        // changed (see CExt2fs/metadata.h).
        let rc = writable ? cext2fs_close(fs) : ext2fs_close2(fs, 0)
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
    static func error(_ rc: errcode_t, _ operation: String, path: String? = nil, backend: DeviceBackend?)
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

    func check(_ rc: errcode_t, _ operation: @autoclosure () -> String, path: String? = nil)
        throws(Ext4Error)
    {
        if rc != 0 { throw Ext2Handle.error(rc, operation(), path: path, backend: backend) }
    }

    // MARK: Superblock

    var superblock: SuperblockSnapshot {
        guard let fs, let sb = fs.pointee.super else {
            return lastSuperblock ?? SuperblockSnapshot(
                compat: 0, incompat: 0, roCompat: 0, state: 0, errorCount: 0, lastOrphan: 0, blockSize: 1024,
                blocksCount: 0, freeBlocks: 0, inodesCount: 0, freeInodes: 0, label: [], uuid: [UInt8](repeating: 0, count: 16), revision: 0,
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
            ext2fs_dir_iterate2(fs, directory, flags, nil, { _, entry, dirent, _, _, _, priv in
                guard let dirent, let priv else { return Int32(DIRENT_ABORT) }
                let box = Unmanaged<EntryCollector>.fromOpaque(priv).takeUnretainedValue()
                if entry == Int32(DIRENT_DOT_FILE) || entry == Int32(DIRENT_DOT_DOT_FILE) { return 0 }
                if dirent.pointee.inode == 0 { return 0 }
                let length = Int(ext2fs_dirent_name_len(dirent))
                let name = withUnsafeBytes(of: &dirent.pointee.name) { Array($0.prefix(length)) }
                // Inline directories report their synthesized '.' and '..' as ordinary entries.
                if name == [0x2E] || name == [0x2E, 0x2E] { return 0 }
                box.entries.append(RawDirectoryEntry(
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
                ext2fs_dir_iterate2(fs, directory, flags, nil, { _, entry, dirent, _, _, _, priv in
                    guard let dirent, let priv else { return Int32(DIRENT_ABORT) }
                    let length = Int(ext2fs_dirent_name_len(dirent))
                    let isDotDot = length == 2 && withUnsafeBytes(of: &dirent.pointee.name) { $0[0] == 0x2E && $0[1] == 0x2E }
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

    // MARK: File data

    /// Reads the whole data of inode `ino`, refusing more than `limit` bytes.
    func readFile(_ ino: InodeNumber, limit: Int) throws(Ext4Error) -> [UInt8] {
        var out: [UInt8] = []
        try readChunks(ino, chunkSize: 1 << 16) { (chunk) throws(Ext4Error) in
            guard out.count + chunk.count <= limit else {
                throw Ext4Error(.tooLarge, "file is larger than the \(limit)-byte limit")
            }
            out += chunk
        }
        return out
    }

    /// Reads inode `ino`'s data in chunks of at most `chunkSize` bytes, holes as zeros.
    func readChunks(_ ino: InodeNumber, chunkSize: Int, _ body: ([UInt8]) throws(Ext4Error) -> Void)
        throws(Ext4Error)
    {
        let fs = try live()
        // libext2fs returns the whole inline-data area for inline files, so stop at i_size ourselves.
        var remaining = try readInode(ino).size
        var file: ext2_file_t?
        try check(ext2fs_file_open(fs, ino, 0, &file), "open inode \(ino)")
        defer { _ = ext2fs_file_close(file) }
        // No larger than the file: a small file needs no 1 MiB buffer to be zero-filled and faulted in.
        var buffer = [UInt8](repeating: 0, count: max(1, Int(min(UInt64(max(chunkSize, 1)), remaining))))
        while true {
            var got: UInt32 = 0
            let count = UInt32(buffer.count)
            let rc = buffer.withUnsafeMutableBytes { ext2fs_file_read(file, $0.baseAddress, count, &got) }
            try check(rc, "read inode \(ino)")
            let useful = Int(min(UInt64(got), remaining))
            if useful == 0 { return }
            remaining -= UInt64(useful)
            try body(Array(buffer[0..<useful]))
        }
    }

    /// Replaces inode `ino`'s data: cuts it to zero length, then writes each chunk the producer returns (until
    /// it returns nil), leaving whole zero blocks as holes, and sets the final size.
    ///
    /// - Returns: the number of bytes written.
    @discardableResult
    func replaceData(_ ino: InodeNumber, produce: () throws(Ext4Error) -> [UInt8]?) throws(Ext4Error) -> UInt64 {
        try changing { () throws(Ext4Error) -> UInt64 in
            let fs = try live()
            var file: ext2_file_t?
            try check(ext2fs_file_open(fs, ino, Int32(EXT2_FILE_WRITE), &file), "open inode \(ino) for writing")
            var closed = false
            defer { if !closed { _ = ext2fs_file_close(file) } }
            var initial: UInt64 = 0
            try check(ext2fs_file_get_lsize(file, &initial), "read the size of inode \(ino)")
            if initial != 0 { try check(ext2fs_file_set_size2(file, 0), "truncate inode \(ino)") }
            let block = blockSize
            var position: UInt64 = 0
            var pending: [UInt8] = []
            func writeOut(_ bytes: ArraySlice<UInt8>, at offset: UInt64) throws(Ext4Error) {
                if bytes.count == block && bytes.withUnsafeBytes({ ZeroDetection.isAllZero($0) }) { return }  // a hole
                try check(ext2fs_file_llseek(file, offset, Int32(EXT2_SEEK_SET), nil), "seek in inode \(ino)")
                try writeAll(bytes, to: file, ino)
            }
            while let chunk = try produce() {
                pending += chunk
                var start = 0
                while pending.count - start >= block {
                    try writeOut(pending[start..<start + block], at: position)
                    position += UInt64(block)
                    start += block
                }
                pending.removeFirst(start)
            }
            if !pending.isEmpty {
                try writeOut(pending[...], at: position)
                position += UInt64(pending.count)
            }
            // Writes already grew the size; set it only for trailing holes (never for inline data, where
            // libext2fs's set_size cannot zero a partial block).
            var current: UInt64 = 0
            try check(ext2fs_file_get_lsize(file, &current), "read the size of inode \(ino)")
            if current != position {
                try check(ext2fs_file_set_size2(file, ext2_off64_t(position)), "set the size of inode \(ino)")
            }
            closed = true
            try check(ext2fs_file_close(file), "finish writing inode \(ino)")
            return position
        }
    }

    /// Sets the size of inode `ino`: shrinking frees the blocks past the end, growing leaves a hole.
    func setSize(_ ino: InodeNumber, to size: UInt64) throws(Ext4Error) {
        try changing { () throws(Ext4Error) in
            let fs = try live()
            var file: ext2_file_t?
            try check(ext2fs_file_open(fs, ino, Int32(EXT2_FILE_WRITE), &file), "open inode \(ino) for writing")
            let rc = ext2fs_file_set_size2(file, ext2_off64_t(size))
            let closeRC = ext2fs_file_close(file)
            try check(rc, "set the size of inode \(ino)")
            try check(closeRC, "finish writing inode \(ino)")
        }
    }
}

/// Registers libext2fs's com_err message table once, so `error_message` can name its codes.
private let errorTablesRegistered: Void = { initialize_ext2_error_table() }()

/// The context libext2fs's directory iteration callbacks fill.
private final class EntryCollector {
    var entries: [RawDirectoryEntry] = []
    var newParent: InodeNumber = 0
    var changed = false
}

/// The last answers of directory lookups (directory inode and name → inode, or no such entry), kept by an
/// ``Ext2Handle`` between changes to the filesystem: every call that changes anything forgets them all, so an
/// answer is only ever reused while the directories it came from are unchanged.
struct LookupMemo {
    private struct Answer {
        var directory: InodeNumber
        var name: [UInt8]
        var inode: InodeNumber?
    }

    /// How many answers are kept; the oldest is replaced first.
    static let capacity = 128
    private var answers: [Answer] = []
    private var oldest = 0

    /// The remembered answer for `name` in `directory`: `.some(nil)` for a remembered "no such entry", `nil`
    /// when nothing is remembered.
    func answer(for name: [UInt8], in directory: InodeNumber) -> InodeNumber?? {
        for answer in answers where answer.directory == directory && answer.name == name {
            return .some(answer.inode)
        }
        return nil
    }

    mutating func remember(_ inode: InodeNumber?, for name: [UInt8], in directory: InodeNumber) {
        let answer = Answer(directory: directory, name: name, inode: inode)
        if answers.count < Self.capacity {
            answers.append(answer)
        } else {
            answers[oldest] = answer
            oldest = (oldest + 1) % Self.capacity
        }
    }

    mutating func forget() {
        answers.removeAll(keepingCapacity: true)
        oldest = 0
    }
}

// MARK: Journal

/// A run of consecutive blocks of a file that are also consecutive on the device.
struct BlockRun: Equatable {
    /// The file's first block of the run.
    var logical: UInt64
    /// Where that block lies on the device, in filesystem blocks.
    var physical: UInt64
    var count: UInt64
}

/// Where the superblock says the filesystem's journal lives.
struct JournalPlacement {
    /// The journal inode (`s_journal_inum`); 0 when the journal is on an external device.
    var inode: InodeNumber
    /// The external journal device (`s_journal_dev`), when there is one.
    var externalDevice: UInt32
    /// Whether `s_journal_uuid` names an external journal.
    var hasExternalUUID: Bool
}

extension Ext2Handle {
    /// The superblock's journal fields.
    var journalPlacement: JournalPlacement {
        guard let fs, let sb = fs.pointee.super else {
            return JournalPlacement(inode: 0, externalDevice: 0, hasExternalUUID: false)
        }
        let uuid = withUnsafeBytes(of: sb.pointee.s_journal_uuid) { Array($0) }
        return JournalPlacement(
            inode: sb.pointee.s_journal_inum, externalDevice: sb.pointee.s_journal_dev,
            hasExternalUUID: uuid.contains { $0 != 0 })
    }

    /// Where the blocks `0..<count` of inode `ino` lie on the device, as runs (libext2fs's block map: extents
    /// or indirect blocks). A hole is an error: a journal has none.
    func blockRuns(of ino: InodeNumber, from first: UInt64 = 0, count: UInt64) throws(Ext4Error) -> [BlockRun] {
        let fs = try live()
        var record = try readInode(ino)
        var runs: [BlockRun] = []
        var scratch = [UInt8](repeating: 0, count: Int(cext2fs_block_size(fs)) * 3)
        for logical in first..<(first + count) {
            var physical: blk64_t = 0
            let rc = withUnsafeMutablePointer(to: &record.raw) { large in
                large.withMemoryRebound(to: ext2_inode.self, capacity: 1) { small in
                    scratch.withUnsafeMutableBytes { buffer in
                        ext2fs_bmap2(fs, ino, small, buffer.baseAddress!.assumingMemoryBound(to: CChar.self),
                                     0, logical, nil, &physical)
                    }
                }
            }
            try check(rc, "map block \(logical) of inode \(ino)")
            guard physical != 0 else {
                throw Ext4Error(.corrupt, "inode \(ino) has a hole at its block \(logical)")
            }
            if var last = runs.last, last.physical + last.count == physical {
                last.count += 1
                runs[runs.count - 1] = last
            } else {
                runs.append(BlockRun(logical: logical, physical: physical, count: 1))
            }
        }
        return runs
    }
}

extension Ext2Handle {
    /// Sets the superblock's free block and inode counts to the sums of the group descriptors', as the kernel
    /// does at mount (its counters start from the descriptors; the superblock's copies are only a hint). One
    /// pass over the descriptors, whatever the filesystem's size.
    func recountFreeFromGroups() throws(Ext4Error) {
        try changing { () throws(Ext4Error) in
            let fs = try live()
            var clusters: UInt64 = 0
            var inodes: UInt64 = 0
            for group in 0..<fs.pointee.group_desc_count {
                clusters += UInt64(ext2fs_bg_free_blocks_count(fs, group))
                inodes += UInt64(ext2fs_bg_free_inodes_count(fs, group))
            }
            ext2fs_free_blocks_count_set(fs.pointee.super, clusters << UInt64(fs.pointee.cluster_ratio_bits))
            fs.pointee.super.pointee.s_free_inodes_count = UInt32(truncatingIfNeeded: inodes)
            ext2fs_mark_super_dirty(fs)
        }
    }
}

// MARK: Orphans

extension Ext2Handle {
    /// Releases or truncates every inode on the superblock's orphan list (`s_last_orphan`, linked through each
    /// inode's `i_dtime`) as the kernel does at mount, then empties the list.
    ///
    /// - Throws: ``Ext4Error/Code/corrupt`` when the list names an inode outside the inode table or loops.
    func processOrphanList(now: Int64) throws(Ext4Error) -> OrphanCleanup {
        let fs = try live()
        guard let sb = fs.pointee.super else { return OrphanCleanup(released: 0, truncated: 0) }
        var cleanup = OrphanCleanup(released: 0, truncated: 0)
        let firstInode = sb.pointee.s_rev_level == 0 ? 11 : sb.pointee.s_first_ino
        let inodeCount = sb.pointee.s_inodes_count
        var seen = Set<InodeNumber>()
        var ino = sb.pointee.s_last_orphan
        let blockSize = UInt64(cext2fs_block_size(fs))
        while ino != 0 {
            guard ino >= firstInode, ino <= inodeCount else {
                throw Ext4Error(
                    .corrupt,
                    "the orphan list names inode \(ino), outside the inodes \(firstInode)...\(inodeCount); run "
                        + "`e2fsck -fy` on the partition")
            }
            guard seen.insert(ino).inserted else {
                throw Ext4Error(.corrupt, "the orphan list loops back to inode \(ino); run `e2fsck -fy` on the partition")
            }
            let next = try readInode(ino).deletionTime
            try settleOrphan(ino, now: now, into: &cleanup)
            ino = next
        }
        try changing { () throws(Ext4Error) in
            let fs = try live()
            fs.pointee.super.pointee.s_last_orphan = 0
            ext2fs_mark_super_dirty(fs)
        }
        return cleanup
    }

    /// Releases inode `ino` (no links left: blocks, attributes and the inode freed, `i_dtime` set to `now`) or
    /// truncates it to its size (still linked: the blocks past it freed, `i_dtime` cleared), as the kernel does
    /// with an orphan at mount.
    private func settleOrphan(_ ino: InodeNumber, now: Int64, into cleanup: inout OrphanCleanup) throws(Ext4Error) {
        let fs = try live()
        let blockSize = UInt64(cext2fs_block_size(fs))
        var record = try readInode(ino)
        if record.linksCount == 0 {
            try release(ino, &record)
            record = try readInode(ino)
            record.deletionTime = UInt32(truncatingIfNeeded: now)
            cleanup.released += 1
        } else {
            let keep = (record.size + blockSize - 1) / blockSize
            // Inline data and fast symlinks hold no blocks to free.
            if !record.hasInlineData && !(record.isSymlink && record.blocks512 == 0) {
                try punch(ino, &record, fromBlock: keep)
                record = try readInode(ino)
            }
            record.deletionTime = 0
            cleanup.truncated += 1
        }
        try writeInode(ino, record)
    }

    /// Settles every inode listed in the orphan file (the `orphan_file` feature: blocks of inode numbers, each
    /// block ending in a magic number and a checksum), empties the entries and clears `orphan_present`.
    ///
    /// - Throws: ``Ext4Error/Code/corrupt`` for an orphan-file block without its magic, or an entry outside the
    ///   inode table.
    func processOrphanFile(now: Int64) throws(Ext4Error) -> OrphanCleanup {
        let fs = try live()
        guard let sb = fs.pointee.super, sb.pointee.s_orphan_file_inum != 0 else {
            return OrphanCleanup(released: 0, truncated: 0)
        }
        let orphanFile = sb.pointee.s_orphan_file_inum
        let blockSize = Int(cext2fs_block_size(fs))
        let perBlock = (blockSize - MemoryLayout<ext4_orphan_block_tail>.size) / 4
        let firstInode = sb.pointee.s_first_ino
        let inodeCount = sb.pointee.s_inodes_count
        let blocks = try readInode(orphanFile).size / UInt64(blockSize)
        var cleanup = OrphanCleanup(released: 0, truncated: 0)
        for run in try blockRuns(of: orphanFile, count: blocks) {
            for physical in run.physical..<(run.physical + run.count) {
                var bytes: [UInt8]
                do throws(BlockIOError) {
                    bytes = try backend.device.read(at: physical * UInt64(blockSize), count: blockSize)
                } catch {
                    throw Ext4Error(.io, "cannot read orphan file block \(physical)", underlying: error)
                }
                func word(_ offset: Int) -> UInt32 {
                    UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
                        | UInt32(bytes[offset + 3]) << 24
                }
                guard word(perBlock * 4) == UInt32(EXT4_ORPHAN_BLOCK_MAGIC) else {
                    throw Ext4Error(
                        .corrupt, "orphan file block \(physical) has no orphan-block magic; run `e2fsck -fy` on the partition")
                }
                var changed = false
                for slot in 0..<perBlock {
                    let ino = word(slot * 4)
                    guard ino != 0 else { continue }
                    guard ino >= firstInode, ino <= inodeCount else {
                        throw Ext4Error(
                            .corrupt,
                            "the orphan file names inode \(ino), outside the inodes \(firstInode)...\(inodeCount); run "
                                + "`e2fsck -fy` on the partition")
                    }
                    try settleOrphan(ino, now: now, into: &cleanup)
                    bytes.replaceSubrange((slot * 4)..<(slot * 4 + 4), with: [0, 0, 0, 0])
                    changed = true
                }
                guard changed else { continue }
                try changing { () throws(Ext4Error) in
                    let rc = bytes.withUnsafeMutableBytes { raw in
                        ext2fs_orphan_file_block_csum_set(
                            fs, orphanFile, physical, raw.baseAddress!.assumingMemoryBound(to: CChar.self))
                    }
                    try check(rc, "checksum orphan file block \(physical)")
                    do throws(BlockIOError) {
                        try backend.device.write(at: physical * UInt64(blockSize), bytes: bytes)
                    } catch {
                        throw Ext4Error(.io, "cannot write orphan file block \(physical)", underlying: error)
                    }
                }
            }
        }
        try changing { () throws(Ext4Error) in
            let fs = try live()
            fs.pointee.super.pointee.s_feature_ro_compat &= ~UInt32(EXT4_FEATURE_RO_COMPAT_ORPHAN_PRESENT)
            ext2fs_mark_super_dirty(fs)
        }
        return cleanup
    }
}

/// libext2fs's table-driven (slice-by-8) CRCs, which jbd2's checksums use: `ext2fs_crc32c_le` and
/// `ext2fs_crc32_be`, both without inversion in or out (the kernel's `crc32c` and `crc32_be`).
enum Ext2fsCRC {
    static func crc32c(_ seed: UInt32, _ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBufferPointer { ext2fs_crc32c_le(seed, $0.baseAddress, $0.count) }
    }

    static func crc32be(_ seed: UInt32, _ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBufferPointer { ext2fs_crc32_be(seed, $0.baseAddress, $0.count) }
    }
}

// MARK: Quota

/// Inodes and bytes charged to one user or group.
struct QuotaUsage: Equatable {
    var inodes: UInt64 = 0
    var space: UInt64 = 0
}

extension Ext2Handle {
    /// The superblock's user, group and project quota inodes (0: none).
    var quotaInodes: (user: InodeNumber, group: InodeNumber, project: InodeNumber) {
        guard let fs, let sb = fs.pointee.super else { return (0, 0, 0) }
        return (sb.pointee.s_usr_quota_inum, sb.pointee.s_grp_quota_inum, sb.pointee.s_prj_quota_inum)
    }

    /// What every inode in use charges its user and group, as e2fsck counts it: the root directory and every
    /// inode from the first ordinary one on (not the quota or orphan files), one inode and `i_blocks` bytes
    /// each. Reads the whole inode table.
    func quotaUsage() throws(Ext4Error)
        -> (users: [UInt32: QuotaUsage], groups: [UInt32: QuotaUsage], projects: [UInt32: QuotaUsage])
    {
        let fs = try live()
        guard let sb = fs.pointee.super else { return ([:], [:], [:]) }
        // The project id is stored only in inodes whose extra part reaches it (else project 0).
        let projectEnd = (MemoryLayout<ext2_inode_large>.offset(of: \ext2_inode_large.i_projid) ?? Int.max) + 4
        let inodeSize = Int(cext2fs_inode_size(fs))
        let firstInode = sb.pointee.s_rev_level == 0 ? 11 : sb.pointee.s_first_ino
        let skipped: Set<InodeNumber> = [
            sb.pointee.s_usr_quota_inum, sb.pointee.s_grp_quota_inum, sb.pointee.s_prj_quota_inum,
            sb.pointee.s_orphan_file_inum,
        ]
        var scan: ext2_inode_scan?
        try check(ext2fs_open_inode_scan(fs, 0, &scan), "scan the inode table")
        defer { ext2fs_close_inode_scan(scan) }
        // Skip block groups whose inode table was never used (uninit_bg/metadata_csum), as e2fsck does.
        _ = ext2fs_inode_scan_flags(scan, Int32(EXT2_SF_DO_LAZY), 0)
        var users: [UInt32: QuotaUsage] = [:]
        var groups: [UInt32: QuotaUsage] = [:]
        var projects: [UInt32: QuotaUsage] = [:]
        var record = InodeRecord()
        let size = Int32(MemoryLayout<ext2_inode_large>.size)
        while true {
            var ino: ext2_ino_t = 0
            let rc = withUnsafeMutablePointer(to: &record.raw) { large in
                large.withMemoryRebound(to: ext2_inode.self, capacity: 1) { ext2fs_get_next_inode_full(scan, &ino, $0, size) }
            }
            if rc == errcode_t(EXT2_ET_BAD_BLOCK_IN_INODE_TABLE) { continue }
            try check(rc, "scan the inode table")
            if ino == 0 { break }
            guard ino == rootInode || ino >= firstInode, !skipped.contains(ino), record.linksCount > 0,
                ext2fs_test_inode_bitmap2(fs.pointee.inode_map, ino) != 0
            else { continue }
            let blocks = withUnsafeMutablePointer(to: &record.raw) { large in
                large.withMemoryRebound(to: ext2_inode.self, capacity: 1) { ext2fs_get_stat_i_blocks(fs, $0) }
            }
            users[record.uid, default: QuotaUsage()].inodes += 1
            users[record.uid, default: QuotaUsage()].space += UInt64(blocks) * 512
            groups[record.gid, default: QuotaUsage()].inodes += 1
            groups[record.gid, default: QuotaUsage()].space += UInt64(blocks) * 512
            let project = inodeSize > 128 && 128 + Int(record.raw.i_extra_isize) >= projectEnd ? record.raw.i_projid : 0
            projects[project, default: QuotaUsage()].inodes += 1
            projects[project, default: QuotaUsage()].space += UInt64(blocks) * 512
        }
        return (users, groups, projects)
    }

    /// Writes all of `bytes` at the open file's position, retrying short writes (`ext2fs_file_write`).
    private func writeAll(_ bytes: ArraySlice<UInt8>, to file: ext2_file_t?, _ ino: InodeNumber) throws(Ext4Error) {
        var done = 0
        while done < bytes.count {
            var wrote: UInt32 = 0
            let rc = bytes.withUnsafeBytes { raw in
                ext2fs_file_write(file, raw.baseAddress! + done, UInt32(raw.count - done), &wrote)
            }
            try check(rc, "write inode \(ino)")
            if wrote == 0 { throw Ext4Error(.io, "writing inode \(ino) made no progress") }
            done += Int(wrote)
        }
    }

    /// Appends `bytes` to inode `ino`'s data (blocks allocated as the file grows).
    func append(_ ino: InodeNumber, _ bytes: [UInt8]) throws(Ext4Error) {
        try changing { () throws(Ext4Error) in
            let fs = try live()
            var file: ext2_file_t?
            try check(ext2fs_file_open(fs, ino, Int32(EXT2_FILE_WRITE), &file), "open inode \(ino) for writing")
            var size: UInt64 = 0
            do throws(Ext4Error) {
                try check(ext2fs_file_get_lsize(file, &size), "read the size of inode \(ino)")
                try check(ext2fs_file_llseek(file, size, Int32(EXT2_SEEK_SET), nil), "seek in inode \(ino)")
                try writeAll(bytes[...], to: file, ino)
            } catch {
                _ = ext2fs_file_close(file)
                throw error
            }
            try check(ext2fs_file_close(file), "close inode \(ino)")
        }
    }

    /// Writes `bytes` at byte `offset` of inode `ino`'s data, in place (the blocks must exist).
    func overwrite(_ ino: InodeNumber, at offset: UInt64, _ bytes: [UInt8]) throws(Ext4Error) {
        let fs = try live()
        let blockSize = UInt64(cext2fs_block_size(fs))
        var written = 0
        while written < bytes.count {
            let position = offset + UInt64(written)
            let logical = position / blockSize
            let within = Int(position % blockSize)
            let take = min(bytes.count - written, Int(blockSize) - within)
            guard let run = try blockRuns(of: ino, from: logical, count: 1).first else {
                throw Ext4Error(.corrupt, "inode \(ino) has no block \(logical)")
            }
            do {
                try backend.device.write(
                    at: run.physical * blockSize + UInt64(within), bytes: Array(bytes[written..<(written + take)]))
            } catch {
                throw Ext4Error(.io, "cannot write block \(logical) of inode \(ino)", underlying: error)
            }
            written += take
        }
    }
}
