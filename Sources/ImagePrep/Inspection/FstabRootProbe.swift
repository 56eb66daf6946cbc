public import DiskLayout
import Ext4
import GuestConfig

/// Answers `RootSelector`'s question for rule 4b: does this logical volume's own `/etc/fstab` mount it at `/`?
///
/// Bounded on purpose: only an ext2/3/4 logical volume is opened (read-only, through libext2fs), only
/// `/etc/fstab` is read (at most ``maximumFstabBytes``), and it is parsed with GuestConfig's `FilesystemTable`.
/// A volume that cannot be opened or has no such file answers `nil`: it makes no claim.
///
/// ```swift
/// let root = try RootSelector.select(in: disk, fstab: FstabRootProbe.line)
/// ```
public enum FstabRootProbe {
    /// The most bytes of `/etc/fstab` read (a real one is a few hundred).
    public static let maximumFstabBytes = 64 << 10

    /// The line of `volume`'s own `/etc/fstab` that mounts `volume` at `/`, or `nil`.
    ///
    /// - Parameters:
    ///   - volume: a logical volume of `disk` holding ext2/3/4.
    ///   - disk: the disk, to resolve the fstab's device names (`/dev/mapper/VG-LV`, `/dev/VG/LV`, `UUID=`,
    ///     `LABEL=`) to its logical volumes.
    /// - Returns: the 1-based line number, or `nil` when no `/` line names `volume` (or nothing can be read).
    public static func line(_ volume: Volume, in disk: PartitionedDisk) -> Int? {
        guard let name = volume.logicalVolume, let device = volume.device, volume.signature?.isExt == true,
            let filesystem = try? Ext4FileSystem(device: device, writable: false)
        else { return nil }
        defer { try? filesystem.close() }
        guard let bytes = try? filesystem.readFile(GuestPath("/etc/fstab"), limit: maximumFstabBytes) else {
            return nil
        }
        let table = FilesystemTable(String(decoding: bytes, as: UTF8.self))
        return table.entries.first { entry in
            entry.mountPoint == "/" && disk.logicalVolume(named: entry.device)?.logicalVolume == name
        }?.line
    }
}

extension PartitionedDisk {
    /// The logical volume an fstab device field names: `/dev/mapper/VG-LV` or `/dev/VG/LV`, or `UUID=` / `LABEL=`
    /// of the filesystem libblkid found in it; `nil` for anything else.
    func logicalVolume(named device: FilesystemTable.DeviceSpec) -> Volume? {
        switch device {
        case .path(let path): LogicalVolumeName(devicePath: path).flatMap(logicalVolume)
        case .uuid(let uuid): logicalVolumes.first { $0.signature?.uuid?.lowercased() == uuid.lowercased() }
        case .label(let label): logicalVolumes.first { $0.signature?.label == label }
        default: nil
        }
    }
}
