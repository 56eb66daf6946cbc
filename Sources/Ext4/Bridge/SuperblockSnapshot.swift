// The superblock fields the Ext4 layer reads, and the feature bits it names.

import BlockIO
internal import CExt2fs

#if canImport(Glibc)
    import Glibc
#endif

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
        for (kind, mask) in [
            (FeatureKind.compat, compat), (FeatureKind.incompat, incompat),
            (FeatureKind.roIncompat, roCompat),
        ] {
            for bit in 0..<32 where mask & (1 << UInt32(bit)) != 0 {
                out.append(featureName(kind: kind, bit: bit))
            }
        }
        return out
    }

    private static let known: [Int32: [Int: String]] = [
        FeatureKind.compat: [
            0: "dir_prealloc", 1: "imagic_inodes", 2: "has_journal", 3: "ext_attr",
            4: "resize_inode", 5: "dir_index", 6: "lazy_bg", 8: "sparse_super2",
            9: "fast_commit", 10: "stable_inodes", 12: "orphan_file",
        ],
        FeatureKind.incompat: [
            0: "compression", 1: "filetype", 2: "needs_recovery", 3: "journal_dev",
            4: "meta_bg", 6: "extent", 7: "64bit", 8: "mmp", 9: "flex_bg",
            10: "ea_inode", 12: "dirdata", 13: "metadata_csum_seed", 14: "large_dir",
            15: "inline_data", 16: "encrypt", 17: "casefold",
        ],
        FeatureKind.roIncompat: [
            0: "sparse_super", 1: "large_file", 3: "huge_file", 4: "uninit_bg",
            5: "dir_nlink", 6: "extra_isize", 8: "quota", 9: "bigalloc",
            10: "metadata_csum", 11: "replica", 12: "read-only", 13: "project",
            14: "shared_blocks", 15: "verity", 16: "orphan_present",
        ],
    ]

    private static func featureName(kind: Int32, bit: Int) -> String {
        if let name = known[kind]?[bit] { return name }
        let prefix = kind == FeatureKind.compat ? "COMPAT" : kind == FeatureKind.incompat ? "INCOMPAT" : "RO_COMPAT"
        return "FEATURE_\(prefix)_\(bit)"
    }
}

/// The feature-set kinds of libe2p's `e2p_feature2string` (`E2P_FEATURE_COMPAT`, `_INCOMPAT`, `_RO_INCOMPAT`).
private enum FeatureKind {
    static let compat: Int32 = 0
    static let incompat: Int32 = 1
    static let roIncompat: Int32 = 2
}
