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
        /// The partition number, `nil` for the whole disk.
        public var partition: Int?
        public var reason: String
    }

    /// `mbr`, `gpt` or `unpartitioned`.
    public var table: PartitionTable.Kind
    public var diskSizeBytes: UInt64
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
    public var partitions: [PartitionEntry]
    /// For an unpartitioned disk: what libblkid finds at offset 0.
    public var wholeDiskFilesystem: FilesystemSignature?
    /// The Linux root ``RootSelector`` chooses, when it can.
    public var root: Root?
    /// Why no root was chosen, when it was not.
    public var rootProblem: String?
    public var warnings: [DiskLayoutWarning]

    /// The report of `disk`, with the root ``RootSelector`` chooses (or why it cannot).
    ///
    /// - Parameter partition: the `--partition` the user gave, passed on to ``RootSelector``.
    public init(_ disk: PartitionedDisk, partition: Int? = nil) {
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
            let probe: String
            switch volume.filesystem {
            case .identified?: probe = "identified"
            case .nothingFound?: probe = "nothing"
            case .ambiguous(let types)?: probe = "ambiguous: " + types.joined(separator: ", ")
            case nil: probe = "not probed"
            }
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
        do throws(DiskLayoutError) {
            let selection = try RootSelector.select(in: disk, partition: partition)
            root = Root(partition: selection.volume.number, reason: selection.reason)
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
            head += "GPT, disk GUID \(diskGUID ?? "?"), \(gptHeader?.rawValue ?? "?") header, "
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
            var line = "  " + Self.pad(String(entry.number), 2) + " " + Self.pad(entry.kind.rawValue, 9) + " "
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
        if let root {
            lines.append("Linux root: " + (root.partition.map { "partition \($0)" } ?? "the whole disk") + " (\(root.reason))")
        } else if let rootProblem {
            lines.append("Linux root: not chosen: \(rootProblem)")
        }
        for warning in warnings { lines.append(warning.description) }
        return lines.joined(separator: "\n")
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
