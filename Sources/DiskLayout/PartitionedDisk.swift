public import BlockIO

/// A disk with its partition table read and the filesystem of each partition identified: what a caller needs to
/// go from an image to "the partition that holds the Linux root" (see ``RootSelector``).
///
/// ```swift
/// let image = try DiskImage.open(path: "disk.vhd")
/// let disk = try PartitionedDisk.inspect(image.device)
/// let root = try RootSelector.select(in: disk, partition: nil)
/// // root.device is a SliceDevice of image.device holding ext4
/// ```
public struct PartitionedDisk {
    /// The most partitions probed with libblkid (Linux's own limit per disk); later ones are listed, not probed,
    /// so that a hostile table of thousands of overlapping entries cannot make a probe read gigabytes.
    public static let maximumProbedPartitions = 256

    /// The disk.
    public let device: any BlockDevice
    /// The partition table.
    public let table: PartitionTable
    /// One volume per partition in table order (extended containers included, not probed), or one whole-disk
    /// volume for an unpartitioned disk.
    public let volumes: [Volume]
    /// The table's warnings plus the probe's (ambiguous signatures) and LVM's (PVs or groups that cannot be read).
    public let warnings: [DiskLayoutWarning]
    /// The LVM2 volume groups on the physical volumes among ``volumes``.
    public let lvm: LVMLayout
    /// One volume per visible logical volume of ``lvm`` (probed when it can be opened; see
    /// ``Volume/openError`` otherwise).
    public let logicalVolumes: [Volume]

    /// Reads the table of `device` and, when `probeFilesystems`, identifies each volume with libblkid.
    ///
    /// - Throws: the table's ``DiskLayoutError`` (see ``PartitionTable/read(from:)``), or a probe's
    ///   ``DiskLayoutError/Code/io`` / ``DiskLayoutError/Code/probeFailed``.
    public static func inspect(
        _ device: any BlockDevice, probeFilesystems: Bool = true
    ) throws(DiskLayoutError)
        -> PartitionedDisk
    {
        let table = try PartitionTable.read(from: device)
        var volumes: [Volume] = []
        var warnings = table.warnings
        func probe(_ volume: any BlockDevice, partition: Int?) throws(DiskLayoutError) -> ProbeOutcome? {
            guard probeFilesystems else { return nil }
            let outcome = try FilesystemProbe.identify(volume)
            if case .ambiguous(let types) = outcome {
                warnings.append(
                    DiskLayoutWarning(
                        .ambiguousFilesystem,
                        "libblkid finds several signatures (\(types.joined(separator: ", "))) and will not choose; "
                            + "wipe the stale one (wipefs) or pick the partition explicitly",
                        partition: partition))
            }
            return outcome
        }
        if table.kind == .unpartitioned || (table.kind == .mbr && table.partitions.isEmpty) {
            // An empty MBR: the whole disk may still hold a filesystem (probed, as without a table).
            volumes.append(Volume(partition: nil, device: device, filesystem: try probe(device, partition: nil)))
        } else {
            var probed = 0
            for partition in table.partitions {
                guard partition.kind != .mbrExtended else {
                    volumes.append(Volume(partition: partition, device: nil, filesystem: nil))
                    continue
                }
                let slice: SliceDevice
                do throws(DiskLayoutError) {
                    slice = try partition.slice(of: device)
                } catch  where error.code == .partitionOutOfBounds {
                    volumes.append(Volume(partition: partition, device: nil, filesystem: nil, openError: error))
                    continue
                }
                if probed == maximumProbedPartitions {
                    warnings.append(
                        DiskLayoutWarning(
                            .tooManyPartitionsToProbe,
                            "more than \(maximumProbedPartitions) partitions; from here on they are listed but not probed",
                            partition: partition.number, offset: partition.entryOffset))
                }
                let outcome = probed < maximumProbedPartitions ? try probe(slice, partition: partition.number) : nil
                probed += 1
                volumes.append(Volume(partition: partition, device: slice, filesystem: outcome))
            }
        }
        let lvm = try LVMLayout.read(
            from: volumes.compactMap { volume in
                guard let device = volume.device, mayHoldPhysicalVolume(volume, probed: probeFilesystems) else {
                    return nil
                }
                return (device: device, location: volume.displayName)
            })
        for problem in lvm.problems {
            warnings.append(DiskLayoutWarning(.lvmUnreadable, problem.description))
        }
        var logicalVolumes: [Volume] = []
        for (index, lv) in lvm.logicalVolumes.enumerated() {
            guard let device = lv.device else {
                logicalVolumes.append(
                    Volume(
                        partition: nil, device: nil, filesystem: nil, openError: lv.openError, logicalVolume: lv.name))
                continue
            }
            // Like partitions, at most maximumProbedPartitions LVs are probed (metadata may list thousands).
            let outcome = index < maximumProbedPartitions ? try probe(device, partition: nil) : nil
            logicalVolumes.append(Volume(partition: nil, device: device, filesystem: outcome, logicalVolume: lv.name))
        }
        return PartitionedDisk(
            device: device, table: table, volumes: volumes, warnings: warnings, lvm: lvm, logicalVolumes: logicalVolumes
        )
    }

    /// Whether a volume is looked at for an LVM2 label: libblkid says `LVM2_member`, the partition type says
    /// LVM, or nothing was probed.
    private static func mayHoldPhysicalVolume(_ volume: Volume, probed: Bool) -> Bool {
        if volume.signature?.type == "LVM2_member" || volume.partition?.role == .linuxLVM { return true }
        return !probed
    }

    /// The volume of logical volume `name`.
    public func logicalVolume(_ name: LogicalVolumeName) -> Volume? {
        logicalVolumes.first { $0.logicalVolume == name }
    }

    /// The volume of partition `number`.
    public func volume(number: Int) -> Volume? { volumes.first { $0.number == number } }
}
