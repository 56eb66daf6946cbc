extension DiskLayoutError.Code {
    /// LVM2 metadata (label, headers or the metadata text) is malformed or inconsistent.
    public static let lvmMetadata = DiskLayoutError.Code("lvmMetadata")
    /// The metadata copies of a volume group disagree and none is newer than the others.
    public static let lvmMetadataConflict = DiskLayoutError.Code("lvmMetadataConflict")
    /// A logical volume has an extent on a physical volume that is not in the image.
    public static let lvmMissingPhysicalVolume = DiskLayoutError.Code("lvmMissingPhysicalVolume")
    /// A logical volume of a kind vhdedit does not read (thin, raid, mirror, cache, vdo, snapshot COW, ...).
    public static let lvmUnsupportedVolume = DiskLayoutError.Code("lvmUnsupportedVolume")
    /// The `--volume VG/LV` asked for does not exist or cannot be opened.
    public static let noSuchVolume = DiskLayoutError.Code("noSuchVolume")
}
