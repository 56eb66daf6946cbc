import BlockIO

/// A volume group found in the image: its newest committed metadata, the physical volumes of it that the image
/// holds, and its visible logical volumes.
public struct VolumeGroup {
    /// The newest committed metadata.
    public let metadata: VolumeGroupMetadata
    /// The PVs found in the image, by their key in the metadata (`pv0`).
    public var physicalVolumes: [String: PhysicalVolume] {
        Dictionary(present.map { ($0.key, $0.volume) }, uniquingKeysWith: { first, _ in first })
    }
    /// The same, in metadata order: what opening uses (built on every open, where a dictionary of a new type
    /// would cost the Swift runtime a conformance scan of the whole binary).
    let present: [(key: String, volume: PhysicalVolume)]
    /// The PVs the metadata lists that the image does not hold.
    public let missingPhysicalVolumes: [VolumeGroupMetadata.PhysicalVolumeEntry]
    /// The visible logical volumes in metadata order.
    public let logicalVolumes: [LogicalVolume]

    /// The group's name.
    public var name: String { metadata.name }

    /// Segment types vhdedit reads: lvm2 writes device-mapper's linear and striped targets both as `striped`
    /// (one stripe is linear).
    static let readableTypes = ["striped"]

    /// Assembles the group from `metadata` and the PVs found in the image.
    init(metadata: VolumeGroupMetadata, found: [PhysicalVolume]) {
        self.metadata = metadata
        var present: [(key: String, volume: PhysicalVolume)] = []
        var missing: [VolumeGroupMetadata.PhysicalVolumeEntry] = []
        for entry in metadata.physicalVolumes {
            if let pv = found.first(where: { $0.uuid == entry.id }) {
                present.append((entry.key, pv))
            } else {
                missing.append(entry)
            }
        }
        self.present = present
        missingPhysicalVolumes = missing
        // LVs that hold a snapshot's copy-on-write exceptions: their bytes are not a filesystem.
        var cowStores: [String: String] = [:]
        for lv in metadata.logicalVolumes {
            for segment in lv.segments where segment.type == "snapshot" {
                if let cow = segment.cowStore { cowStores[cow] = segment.origin ?? "?" }
            }
        }
        logicalVolumes = metadata.logicalVolumes.filter(\.isVisible).map { entry in
            let name = LogicalVolumeName(group: metadata.name, volume: entry.name)
            let size = entry.extentCount * metadata.extentBytes
            do throws(DiskLayoutError) {
                if let origin = cowStores[entry.name] {
                    throw DiskLayoutError(
                        .lvmUnsupportedVolume,
                        "logical volume \(name) is the copy-on-write store of a snapshot of \(metadata.name)/\(origin); "
                            + "vhdedit does not read snapshots (the origin reads as it is)")
                }
                let device = try Self.device(for: entry, name: name, metadata: metadata, present: present)
                return LogicalVolume(name: name, entry: entry, device: device, openError: nil, size: size)
            } catch {
                return LogicalVolume(name: name, entry: entry, device: nil, openError: error, size: size)
            }
        }
    }

    private static func device(
        for entry: VolumeGroupMetadata.LogicalVolumeEntry, name: LogicalVolumeName, metadata: VolumeGroupMetadata,
        present: [(key: String, volume: PhysicalVolume)]
    ) throws(DiskLayoutError) -> LogicalVolumeDevice {
        if let segment = entry.segments.first(where: { !readableTypes.contains($0.type) }) {
            throw DiskLayoutError(
                .lvmUnsupportedVolume,
                "logical volume \(name) has a \(segment.type) segment (\(describe(segment.type))); vhdedit reads "
                    + "linear and striped volumes only")
        }
        guard !entry.segments.isEmpty else {
            throw DiskLayoutError(.lvmMetadata, "logical volume \(name) has no segments")
        }
        let extentBytes = metadata.extentBytes
        var pieces: [LogicalVolumeDevice.Piece] = []
        for segment in entry.segments {
            var stripes: [(device: any BlockDevice, offset: UInt64)] = []
            for stripe in segment.stripes {
                guard let pvEntry = metadata.physicalVolumes.first(where: { $0.key == stripe.physicalVolume }),
                    let pv = present.first(where: { $0.key == stripe.physicalVolume })?.volume
                else {
                    let uuid =
                        metadata.physicalVolumes.first { $0.key == stripe.physicalVolume }?.id ?? stripe.physicalVolume
                    throw DiskLayoutError(
                        .lvmMissingPhysicalVolume,
                        "logical volume \(name) has extents on physical volume \(uuid), which is not in this image "
                            + "(the volume group spans several disks)")
                }
                let offset = pvEntry.peStart * 512 + stripe.startExtent * extentBytes
                stripes.append((pv.device, offset))
            }
            pieces.append(
                LogicalVolumeDevice.Piece(
                    start: segment.startExtent * extentBytes, length: segment.extentCount * extentBytes,
                    stripes: stripes, chunk: (segment.stripeSize ?? 0) * 512))
        }
        do {
            return try LogicalVolumeDevice(pieces: pieces)
        } catch {
            throw DiskLayoutError(
                .lvmMetadata, "logical volume \(name) maps past the end of a physical volume in the image",
                structure: "LVM2 metadata text", offset: error.offset, cause: error)
        }
    }

    private static func describe(_ type: String) -> String {
        switch type {
        case "thin": "a thin volume"
        case "thin-pool": "a thin pool"
        case "mirror": "a mirrored volume"
        case "cache", "cache-pool", "writecache": "a cached volume"
        case "vdo", "vdo-pool": "a VDO volume"
        case "snapshot": "a snapshot"
        case let raid where raid.hasPrefix("raid"): "a RAID volume"
        default: "a type vhdedit does not know"
        }
    }
}
