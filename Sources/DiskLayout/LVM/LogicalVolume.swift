import BlockIO

/// A volume group's name and a logical volume's name: what `--volume VG/LV` says, and `/dev/VG/LV`.
public struct LogicalVolumeName: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The volume group.
    public let group: String
    /// The logical volume.
    public let volume: String

    /// The name `group/volume`.
    public init(group: String, volume: String) {
        self.group = group
        self.volume = volume
    }

    /// Parses `VG/LV` (also `/dev/VG/LV`); `nil` for anything else.
    public init?(_ text: String) {
        var path = Substring(text)
        if path.hasPrefix("/dev/") { path = path.dropFirst(5) }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        group = String(parts[0])
        volume = String(parts[1])
    }

    /// The logical volume a guest's device path names: `/dev/mapper/VG-LV` (a dash inside either name written
    /// twice: `/dev/mapper/ubuntu--vg-ubuntu--lv`) or `/dev/VG/LV`; `nil` for any other path.
    public init?(devicePath path: String) {
        if path.hasPrefix("/dev/mapper/") {
            let name = Array(path.dropFirst("/dev/mapper/".count))
            var parts = [""]
            var index = 0
            while index < name.count {
                if name[index] == "-" {
                    if index + 1 < name.count, name[index + 1] == "-" {
                        parts[parts.count - 1].append("-")
                        index += 2
                        continue
                    }
                    parts.append("")
                } else {
                    parts[parts.count - 1].append(name[index])
                }
                index += 1
            }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, !parts[1].contains("/") else { return nil }
            self.init(group: parts[0], volume: parts[1])
            return
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        // "", "dev", VG, LV; /dev/disk/..., /dev/mapper/... and kernel names are not VG/LV.
        guard parts.count == 4, parts[0].isEmpty, parts[1] == "dev", !parts[2].isEmpty, !parts[3].isEmpty,
            !["disk", "mapper", "md", "block", "char"].contains(parts[2])
        else { return nil }
        self.init(group: String(parts[2]), volume: String(parts[3]))
    }

    /// `VG/LV`.
    public var description: String { "\(group)/\(volume)" }

    /// The device-mapper name (`/dev/mapper/` + this): dashes in either name doubled, joined by one dash
    /// (`ubuntu-vg/ubuntu-lv` is `ubuntu--vg-ubuntu--lv`).
    public var mapperName: String {
        group.replacingOccurrences("-", "--") + "-" + volume.replacingOccurrences("-", "--")
    }
}

extension String {
    fileprivate func replacingOccurrences(_ target: Character, _ replacement: String) -> String {
        var result = ""
        for character in self { if character == target { result += replacement } else { result.append(character) } }
        return result
    }
}

/// A logical volume of a volume group found in the image: its metadata and, when vhdedit can read it, its
/// device; otherwise why not.
public struct LogicalVolume {
    /// `VG/LV`.
    public let name: LogicalVolumeName
    /// The LV's metadata.
    public let entry: VolumeGroupMetadata.LogicalVolumeEntry
    /// The LV as a device, when it is linear or striped and all its PVs are in the image.
    public let device: LogicalVolumeDevice?
    /// Why ``device`` is `nil` (``DiskLayoutError/Code/lvmUnsupportedVolume``,
    /// ``DiskLayoutError/Code/lvmMissingPhysicalVolume``, ``DiskLayoutError/Code/lvmMetadata``).
    public let openError: DiskLayoutError?

    /// The size in bytes the metadata gives it.
    public let size: UInt64

    /// The segment types as `lvs` names them, each once, in order (`linear` for a one-stripe `striped`
    /// segment, `striped`, `thin`).
    public var segmentTypes: [String] {
        var types: [String] = []
        for segment in entry.segments {
            let type = segment.type == "striped" && segment.stripeCount == 1 ? "linear" : segment.type
            if !types.contains(type) { types.append(type) }
        }
        return types
    }
}
