public import BlockIO

/// An image opened together with the volume a command works in: the `--partition N` one, or the detected Linux
/// root. What every command that takes `IMAGE [--partition N]` starts with.
///
/// Keep the value alive while using ``device``: ``image`` holds the image's lock.
public struct ImageVolume {
    /// The open image (its lock is held while this value lives).
    public let image: DiskImage
    /// Its partition table and probed volumes.
    public let disk: PartitionedDisk
    /// The chosen volume and why.
    public let selection: RootSelection

    /// The chosen volume as a device (a `SliceDevice` of the image's disk, or the disk).
    public var device: any BlockDevice { selection.device }

    /// Opens `path`, reads its layout and chooses the volume.
    ///
    /// - Parameters:
    ///   - path: the image file (raw or any VHD type).
    ///   - writable: open for writing (exclusive lock).
    ///   - partition: 1-based partition number (logical partitions from 5); `nil` for the detected Linux root.
    ///   - volume: an LVM2 logical volume (`VG/LV`) instead of a partition.
    ///   - fstab: reads a logical volume's own `/etc/fstab` for ``RootSelector`` (rule 4b); `nil` skips that rule.
    /// - Throws: `BlockIOError` when the image cannot be opened (`BlockIOError/Code/inUse` when locked),
    ///   ``DiskLayoutError`` when the table is unusable or no volume can be chosen.
    public static func open(
        path: String, writable: Bool = false, partition: Int? = nil, volume: LogicalVolumeName? = nil,
        fstab: RootMountProbe? = nil
    ) throws -> ImageVolume {
        let image = try DiskImage.open(path: path, writable: writable)
        let disk = try PartitionedDisk.inspect(image.device)
        return ImageVolume(
            image: image, disk: disk,
            selection: try RootSelector.select(in: disk, partition: partition, volume: volume, fstab: fstab))
    }
}
