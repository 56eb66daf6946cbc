/// What the disk layers found about an image, handed to ImagePrep so that it never parses disk bytes itself:
/// the container (format, sizes) and each partition with the filesystem libblkid identified in it.
public struct DiskFacts: Codable, Sendable, Equatable {
    /// `raw`, `vhd-fixed`, `vhd-dynamic` or `vhd-differencing`.
    public var format: String
    /// The disk's virtual size in bytes (the VHD footer's current size).
    public var virtualSize: UInt64
    /// The host file's length in bytes.
    public var fileLength: UInt64
    /// `mbr`, `gpt`, or `none` for a filesystem at offset 0.
    public var partitionTable: String
    /// The partitions, in table order (extended and protective entries left out).
    public var partitions: [PartitionFacts]
    /// The number of the partition used as the Linux root.
    public var rootPartition: Int?
    /// The LVM2 logical volume used as the Linux root (`VG/LV`), when the root is one.
    public var rootVolume: String?
    /// How the root was chosen ("chosen with --partition 2", "the only logical volume whose own /etc/fstab mounts
    /// it at / (line 1)"), as `RootSelection.reason` says.
    public var rootReason: String?
    /// The visible LVM2 logical volumes, when the disk holds a volume group.
    public var logicalVolumes: [LogicalVolumeFacts]?
    /// Why LVM2 metadata on the disk could not be read (a damaged PV, copies that disagree), when it could not.
    public var lvmProblems: [String]?
    /// `true` when the VHD footer's `saved_state` flag is set (the disk of a saved virtual machine); absent
    /// otherwise.
    public var savedState: Bool?

    /// Facts with no LVM part; `rootVolume`, `logicalVolumes` and `lvmProblems` are set afterwards when the disk has LVM.
    public init(
        format: String, virtualSize: UInt64, fileLength: UInt64, partitionTable: String,
        partitions: [PartitionFacts], rootPartition: Int?
    ) {
        self.format = format
        self.virtualSize = virtualSize
        self.fileLength = fileLength
        self.partitionTable = partitionTable
        self.partitions = partitions
        self.rootPartition = rootPartition
    }
}

/// One LVM2 logical volume of a disk and the filesystem in it.
public struct LogicalVolumeFacts: Codable, Sendable, Equatable {
    /// `VG/LV`.
    public var path: String
    /// The volume group.
    public var group: String
    /// The logical volume's name.
    public var name: String
    /// The device-mapper name (`/dev/mapper/` + this: dashes doubled).
    public var mapperName: String
    /// The logical volume's size in bytes.
    public var size: UInt64
    /// What libblkid found in it, when it could be opened.
    public var filesystem: FilesystemIdentity?
    /// device-mapper's UUID of it (`LVM-` + the VG UUID and the LV UUID without dashes), as
    /// `/dev/disk/by-id/dm-uuid-…` names it.
    public var deviceMapperUUID: String?
    /// Why vhdedit does not open it (thin, raid, a PV missing from the disk...), when it does not.
    public var refused: String?

    /// Facts about one logical volume; `deviceMapperUUID` is set afterwards.
    public init(
        path: String, group: String, name: String, mapperName: String, size: UInt64,
        filesystem: FilesystemIdentity? = nil, refused: String? = nil
    ) {
        self.path = path
        self.group = group
        self.name = name
        self.mapperName = mapperName
        self.size = size
        self.filesystem = filesystem
        self.refused = refused
    }
}

/// One partition of a disk and the filesystem in it.
public struct PartitionFacts: Codable, Sendable, Equatable {
    /// 1-based, like `/dev/sda1`.
    public var number: Int
    /// Byte offset on the disk.
    public var start: UInt64
    /// The partition's size in bytes.
    public var size: UInt64
    /// The table's type name (`Linux`, `Linux swap`, `Linux LVM`, `EFI System`...).
    public var typeName: String
    /// The partition's own unique id (GPT partition GUID, or MBR `signature-NN`), for `PARTUUID=`.
    public var partUUID: String?
    /// What libblkid found in it, if anything.
    public var filesystem: FilesystemIdentity?
    /// The partition type says swap (MBR 0x82, GPT Linux swap), or the content is a swap signature.
    public var isSwap: Bool
    /// The partition type says LVM (MBR 0x8e, GPT Linux LVM), or the content is an LVM2 PV.
    public var isLVM: Bool

    /// Facts about one partition.
    public init(
        number: Int, start: UInt64, size: UInt64, typeName: String, partUUID: String? = nil,
        filesystem: FilesystemIdentity? = nil, isSwap: Bool = false, isLVM: Bool = false
    ) {
        self.number = number
        self.start = start
        self.size = size
        self.typeName = typeName
        self.partUUID = partUUID
        self.filesystem = filesystem
        self.isSwap = isSwap
        self.isLVM = isLVM
    }
}

/// A filesystem's identity as libblkid reports it.
public struct FilesystemIdentity: Codable, Sendable, Equatable {
    /// `ext4`, `swap`, `LVM2_member`, `vfat`...
    public var type: String
    /// The filesystem UUID, when it has one.
    public var uuid: String?
    /// The filesystem label, when it has one.
    public var label: String?

    /// An identity from libblkid's `TYPE`, `UUID` and `LABEL`.
    public init(type: String, uuid: String? = nil, label: String? = nil) {
        self.type = type
        self.uuid = uuid
        self.label = label
    }
}
