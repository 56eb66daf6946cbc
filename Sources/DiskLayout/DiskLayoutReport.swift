/// The partition table and each partition's filesystem as a `Codable` value: what `vhdedit partitions` (and
/// `vhdedit info`) print, as text or JSON.
///
/// Positions are in 512-byte sectors like `sfdisk --json` (`start`, `sectors`), with byte values beside them.
public struct DiskLayoutReport: Codable, Sendable {
    /// One partition.
    public struct PartitionEntry: Codable, Sendable {
        /// 1-based, like `/dev/sda1`.
        public var number: Int
        /// `primary`, `extended`, `logical` or `gpt`.
        public var kind: Partition.Kind
        /// First sector.
        public var start: UInt64
        /// Number of sectors.
        public var sectors: UInt64
        /// Start in bytes.
        public var startBytes: UInt64
        /// Size in bytes.
        public var sizeBytes: UInt64
        /// MBR type in hex (`83`, `c`), or GPT type GUID.
        public var typeCode: String
        /// The type's name.
        public var typeName: String
        /// What the type says the partition is for.
        public var role: PartitionRole
        /// GPT partition name.
        public var name: String?
        /// GPT unique partition GUID (PARTUUID).
        public var partitionUUID: String?
        /// MBR boot flag or GPT legacy BIOS bootable.
        public var bootable: Bool
        /// GPT attribute names (`RequiredPartition`, `LegacyBIOSBootable`, `GUID:60` …).
        public var attributes: [String]?
        /// What libblkid found; `nil` when nothing or not probed (see ``probe``).
        public var filesystem: FilesystemSignature?
        /// `identified`, `nothing`, `ambiguous: TYPE, TYPE`, `not probed` (extended container or past the end).
        public var probe: String
    }

    /// The chosen Linux root.
    public struct Root: Codable, Sendable {
        /// The partition number, `nil` for the whole disk or a logical volume.
        public var partition: Int?
        /// The logical volume (`VG/LV`), when the root is one.
        public var volume: String?
        /// Why this volume was chosen (`the only Linux partition`, `--partition 2` ...).
        public var reason: String
    }

    /// An LVM2 volume group found on the disk's physical volumes.
    public struct VolumeGroupEntry: Codable, Sendable {
        /// One logical volume.
        public struct LogicalVolumeEntry: Codable, Sendable {
            /// The LV name.
            public var name: String
            /// `VG/LV`, as `--volume` takes it.
            public var path: String
            /// The device-mapper name (`/dev/mapper/` + this).
            public var mapperName: String
            /// The LV's UUID.
            public var uuid: String
            /// The LV's size in bytes.
            public var sizeBytes: UInt64
            /// The number of segments.
            public var segments: Int
            /// The segment types (`striped`, `thin`, ...).
            public var segmentTypes: [String]
            /// The most stripes of any segment (1: linear).
            public var stripes: UInt64
            /// What libblkid found in it; `nil` when nothing or not opened.
            public var filesystem: FilesystemSignature?
            /// `identified`, `nothing`, `ambiguous: TYPE, TYPE` or `not opened`.
            public var probe: String
            /// Why vhdedit does not open it (thin, raid, a PV missing from the image, ...).
            public var refused: String?
        }

        /// The volume group's name.
        public var name: String
        /// The volume group's UUID.
        public var uuid: String
        /// The metadata's sequence number (`seqno`).
        public var seqno: UInt64
        /// The extent size in bytes.
        public var extentSizeBytes: UInt64
        /// Where its PVs are in this image ("partition 2", "the whole disk") with their UUIDs.
        public var physicalVolumes: [String]
        /// UUIDs of the PVs the metadata lists that this image does not hold.
        public var missingPhysicalVolumes: [String]
        /// The group's logical volumes.
        public var logicalVolumes: [LogicalVolumeEntry]
    }

    /// `mbr`, `gpt` or `unpartitioned`.
    public var table: PartitionTable.Kind
    /// The disk's size in bytes.
    public var diskSizeBytes: UInt64
    /// The logical sector size in bytes (512).
    public var sectorSize: Int
    /// MBR disk signature as `0x` + 8 hex digits (`sfdisk` "id").
    public var diskSignature: String?
    /// GPT disk GUID.
    public var diskGUID: String?
    /// For GPT: which header was used.
    public var gptHeader: PartitionTable.GPTHeaderSource?
    /// For GPT: `protective`, `hybrid` or `missing`.
    public var protectiveMBR: PartitionTable.ProtectiveMBR?
    /// For GPT: entry count × entry size.
    public var gptEntries: String?
    /// The partitions of the table, in table order.
    public var partitions: [PartitionEntry]
    /// For an unpartitioned disk: what libblkid finds at offset 0.
    public var wholeDiskFilesystem: FilesystemSignature?
    /// The LVM2 volume groups, when the disk holds any.
    public var volumeGroups: [VolumeGroupEntry]?
    /// The Linux root ``RootSelector`` chooses, when it can.
    public var root: Root?
    /// Why no root was chosen, when it was not.
    public var rootProblem: String?
    /// What the table reader noticed (damaged primary GPT, overlapping partitions ...).
    public var warnings: [DiskLayoutWarning]

    /// The report of `disk`, with the root ``RootSelector`` chooses (or why it cannot).
    ///
    /// - Parameters:
    ///   - partition: the `--partition` the user gave, passed on to ``RootSelector``.
    ///   - volume: the `--volume` the user gave, likewise.
    ///   - disk: the disk as `PartitionedDisk.inspect(_:probeFilesystems:)` read it.
    ///   - fstab: reads a logical volume's own `/etc/fstab` for ``RootSelector`` (rule 4b); `nil` skips that rule.
    public init(
        _ disk: PartitionedDisk, partition: Int? = nil, volume: LogicalVolumeName? = nil, fstab: RootMountProbe? = nil
    ) {
        let table = disk.table
        self.table = table.kind
        diskSizeBytes = table.diskSize
        sectorSize = table.sectorSize
        diskSignature = table.diskSignature.map(hex32)
        diskGUID = table.diskGUID?.description
        gptHeader = table.gptHeaderSource
        protectiveMBR = table.protectiveMBR
        gptEntries = table.gptHeader.map { "\($0.entryCount) × \($0.entrySize) bytes" }
        warnings = disk.warnings
        partitions = disk.volumes.compactMap { volume -> PartitionEntry? in
            guard let partition = volume.partition else { return nil }
            let probe = Self.probeText(volume.filesystem)
            return PartitionEntry(
                number: partition.number, kind: partition.kind, start: partition.firstSector,
                sectors: partition.sectorCount, startBytes: partition.start, sizeBytes: partition.size,
                typeCode: partition.type.code, typeName: partition.type.name, role: partition.role,
                name: partition.name, partitionUUID: partition.uniqueGUID?.description,
                bootable: partition.isBootable,
                attributes: partition.attributes.map(GPTPartitionEntry.attributeNames),
                filesystem: volume.signature, probe: probe)
        }
        wholeDiskFilesystem = table.kind == .unpartitioned ? disk.volumes.first?.signature : nil
        if !disk.lvm.groups.isEmpty {
            volumeGroups = disk.lvm.groups.map { group in
                VolumeGroupEntry(
                    name: group.name, uuid: group.metadata.id, seqno: group.metadata.seqno,
                    extentSizeBytes: group.metadata.extentBytes,
                    physicalVolumes: group.metadata.physicalVolumes.compactMap { entry in
                        group.physicalVolumes[entry.key].map { "\($0.location): \(entry.id)" }
                    },
                    missingPhysicalVolumes: group.missingPhysicalVolumes.map(\.id),
                    logicalVolumes: group.logicalVolumes.map { lv in
                        let volume = disk.logicalVolume(lv.name)
                        return VolumeGroupEntry.LogicalVolumeEntry(
                            name: lv.name.volume, path: lv.name.description, mapperName: lv.name.mapperName,
                            uuid: lv.entry.id, sizeBytes: lv.size, segments: lv.entry.segments.count,
                            segmentTypes: lv.segmentTypes, stripes: lv.entry.segments.map(\.stripeCount).max() ?? 0,
                            filesystem: volume?.signature,
                            probe: lv.device == nil ? "not opened" : Self.probeText(volume?.filesystem),
                            refused: lv.openError?.message)
                    })
            }
        }
        do throws(DiskLayoutError) {
            let selection = try RootSelector.select(in: disk, partition: partition, volume: volume, fstab: fstab)
            root = Root(
                partition: selection.volume.number, volume: selection.volume.logicalVolume?.description,
                reason: selection.reason)
        } catch {
            rootProblem = error.description
        }
    }

    /// The report as text lines for a terminal.
    public var text: String {
        var lines: [String] = []
        var head = "Disk: \(ByteSize.format(diskSizeBytes)) (\(diskSizeBytes) bytes), \(sectorSize)-byte sectors, "
        switch table {
        case .mbr: head += "MBR partition table, disk signature \(diskSignature ?? "?")"
        case .gpt:
            head +=
                "GPT, disk GUID \(diskGUID ?? "?"), \(gptHeader?.rawValue ?? "?") header, "
                + "\(protectiveMBR?.rawValue ?? "?") MBR, \(gptEntries ?? "")"
        case .unpartitioned: head += "no partition table"
        }
        lines.append(head)
        if table == .unpartitioned {
            lines.append("  whole disk: " + (wholeDiskFilesystem.map(Self.describe) ?? "no filesystem found"))
        }
        if !partitions.isEmpty {
            lines.append("  #  Kind      Start      Sectors     Size       Type")
        }
        for entry in partitions {
            var line =
                "  " + Self.pad(String(entry.number), 2) + " " + Self.pad(entry.kind.rawValue, 9) + " "
                + Self.pad(String(entry.start), 10) + " " + Self.pad(String(entry.sectors), 11) + " "
                + Self.pad(ByteSize.format(entry.sizeBytes), 10) + " " + entry.typeName
            if entry.bootable { line += " [boot]" }
            if let name = entry.name, !name.isEmpty { line += " name=\"\(name)\"" }
            lines.append(line)
            switch entry.probe {
            case "identified": lines.append("       " + (entry.filesystem.map(Self.describe) ?? ""))
            case "nothing": lines.append("       no filesystem found")
            default: lines.append("       " + entry.probe)
            }
        }
        for group in volumeGroups ?? [] {
            lines.append(
                "LVM volume group \(group.name): UUID \(group.uuid), seqno \(group.seqno), extent size "
                    + "\(ByteSize.format(group.extentSizeBytes)), PVs on \(group.physicalVolumes.joined(separator: ", "))"
            )
            for missing in group.missingPhysicalVolumes {
                lines.append("  missing physical volume \(missing) (not in this image)")
            }
            for lv in group.logicalVolumes {
                var line =
                    "  " + Self.pad(lv.path, 24) + " " + Self.pad(ByteSize.format(lv.sizeBytes), 10) + " "
                    + lv.segmentTypes.joined(separator: ",")
                if lv.stripes > 1 { line += " (\(lv.stripes) stripes)" }
                if lv.segments > 1 { line += " in \(lv.segments) segments" }
                lines.append(line)
                if let refused = lv.refused {
                    lines.append("       not opened: \(refused)")
                } else {
                    switch lv.probe {
                    case "identified": lines.append("       " + (lv.filesystem.map(Self.describe) ?? ""))
                    case "nothing": lines.append("       no filesystem found")
                    default: lines.append("       " + lv.probe)
                    }
                }
            }
        }
        if let root {
            let place =
                root.volume.map { "logical volume \($0)" } ?? root.partition.map { "partition \($0)" }
                ?? "the whole disk"
            lines.append("Linux root: " + place + " (\(root.reason))")
        } else if let rootProblem {
            lines.append("Linux root: not chosen: \(rootProblem)")
        }
        for warning in warnings { lines.append(warning.description) }
        return lines.joined(separator: "\n")
    }

    private static func probeText(_ outcome: ProbeOutcome?) -> String {
        switch outcome {
        case .identified?: "identified"
        case .nothingFound?: "nothing"
        case .ambiguous(let types)?: "ambiguous: " + types.joined(separator: ", ")
        case nil: "not probed"
        }
    }

    private static func describe(_ signature: FilesystemSignature) -> String {
        var parts = ["TYPE=\(signature.type)"]
        if let version = signature.version { parts.append("VERSION=\(version)") }
        if let uuid = signature.uuid { parts.append("UUID=\(uuid)") }
        if let label = signature.label { parts.append("LABEL=\"\(label)\"") }
        if let usage = signature.usage { parts.append("USAGE=\(usage)") }
        return parts.joined(separator: " ")
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
