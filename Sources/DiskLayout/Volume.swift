public import BlockIO

/// A place a filesystem can be: one partition (as a `SliceDevice` of the disk), on an unpartitioned disk the
/// whole disk, or an LVM2 logical volume (a ``LogicalVolumeDevice``); with what libblkid found in it.
public struct Volume {
    /// The partition, or `nil` for the whole disk of an unpartitioned layout.
    public let partition: Partition?
    /// The volume as a device: a slice of the disk, or the disk. `nil` for a partition that cannot be opened
    /// (an extended container, or one past the end of the disk; see ``openError``).
    public let device: (any BlockDevice)?
    /// What libblkid found, or `nil` when the volume was not probed.
    public let filesystem: ProbeOutcome?
    /// Why ``device`` is `nil`.
    public let openError: DiskLayoutError?
    /// For a logical volume: its `VG/LV` name (``partition`` is then `nil`).
    public let logicalVolume: LogicalVolumeName?

    /// A volume from what reading the disk found; `device` is nil when it could not be opened, and `openError` says why.
    public init(
        partition: Partition?, device: (any BlockDevice)?, filesystem: ProbeOutcome?, openError: DiskLayoutError? = nil,
        logicalVolume: LogicalVolumeName? = nil
    ) {
        self.logicalVolume = logicalVolume
        self.partition = partition
        self.device = device
        self.filesystem = filesystem
        self.openError = openError
    }

    /// The partition number, `nil` for the whole disk.
    public var number: Int? { partition?.number }
    /// The first byte on the disk.
    public var start: UInt64 { partition?.start ?? 0 }
    /// The size in bytes.
    public var size: UInt64 { partition?.size ?? device?.size ?? 0 }
    /// The filesystem signature, when exactly one was found.
    public var signature: FilesystemSignature? { filesystem?.signature }

    /// "partition 2", "logical volume rootvg/rootlv" or "the whole disk".
    public var displayName: String {
        if let logicalVolume { return "logical volume \(logicalVolume)" }
        return partition.map { "partition \($0.number)" } ?? "the whole disk"
    }
}
