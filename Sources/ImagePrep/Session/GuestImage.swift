public import BlockIO
public import DiskLayout
public import Ext4
import GuestConfig

/// A filesystem the root's `/etc/fstab` mounts below `/` from an LVM2 logical volume (`/var` on `rootvg/varlv`),
/// opened beside the root.
public struct GuestMount {
    /// Where the guest mounts it (`/var`).
    public let mountPoint: String
    /// The logical volume.
    public let volume: Volume
    /// Its filesystem.
    public let filesystem: Ext4FileSystem
}

/// A disk image opened down to its Linux root filesystem: the image file (locked), its partition table, the
/// chosen root volume and the ext2/3/4 filesystem on it.
///
/// The path most callers take is the scoped one, `withImage(path:writable:partition:_:)`: the session is
/// committed when the closure returns, dropped when it throws, and the image file (and its lock) is let go
/// when the call returns either way.
///
/// ```swift
/// try GuestImage.withImage(path: "disk.vhd", writable: true) { guest in
///     try guest.filesystem.writeFile(try Ext4.GuestPath("/etc/hostname"), contents: Array("localhost\n".utf8))
/// }
/// ```
///
/// `GuestImage.open(path:writable:partition:)` gives the value itself: use ``filesystem``, then ``close()``
/// (writes back). The image file stays locked until the value is released, so opening the same path again
/// (``ImagePreparation`` does) while it is held fails with `BlockIOError/Code/inUse`, naming this process.
public final class GuestImage {
    /// The open image file (holds the lock: shared for readers, exclusive for writers).
    public let image: DiskImage
    /// The partition table and the filesystems libblkid found in each partition.
    public let disk: PartitionedDisk
    /// The volume chosen as the root, and why.
    public let root: RootSelection
    /// The filesystem on ``root``.
    public let filesystem: Ext4FileSystem
    /// What the partition-table reader noticed (damaged primary GPT, and so on).
    public let layoutWarnings: [DiskLayoutWarning]
    /// The logical volumes the root's fstab mounts below `/` (RHEL-family `/usr`, `/var`, `/home` ...), opened
    /// the same way as the root; empty when the root is not in LVM or mounts nothing else from it.
    public let mounts: [GuestMount]
    /// Why a mount of the root's fstab was not opened.
    let mountWarnings: [String]
    /// The root filesystem (and the mounted logical volumes) as ``GuestFiles``, for image preparation.
    public private(set) lazy var files: any GuestFiles = Self.guestFiles(filesystem: filesystem, mounts: mounts)
    /// The container and partition facts ``ReadinessChecker`` needs.
    public private(set) lazy var facts: DiskFacts = Self.facts(image: image, disk: disk, root: root)
    private var closed = false

    init(
        image: DiskImage, disk: PartitionedDisk, root: RootSelection, filesystem: Ext4FileSystem,
        layoutWarnings: [DiskLayoutWarning], mounts: [GuestMount] = [], mountWarnings: [String] = []
    ) {
        self.image = image
        self.disk = disk
        self.root = root
        self.filesystem = filesystem
        self.layoutWarnings = layoutWarnings
        self.mounts = mounts
        self.mountWarnings = mountWarnings
    }

    /// Opens `path` (raw or any VHD type), reads its partition table, picks the root volume (or partition
    /// `partition`, 1-based like `/dev/sda1`, or the LVM2 logical volume `volume`, `VG/LV`) and opens its
    /// filesystem.
    ///
    /// - Throws: `BlockIOError` (the image cannot be opened or locked), `DiskLayoutError` (no such
    ///   partition, no or several root candidates), `Ext4Error` (not ext2/3/4, or unsafe to write: for
    ///   example a journal that needs recovery). Layout and filesystem errors name `path` as their `image`.
    public static func open(
        path: String, writable: Bool = false, partition: Int? = nil, volume: String? = nil
    )
        throws -> GuestImage
    {
        let image = try DiskImage.open(path: path, writable: writable)
        try GuestParsing.willParse(image)
        do {
            var name: LogicalVolumeName?
            if let volume {
                guard let parsed = LogicalVolumeName(volume) else {
                    throw DiskLayoutError(.noSuchVolume, "\"\(volume)\" is not a logical volume name of the form VG/LV")
                }
                name = parsed
            }
            let disk = try PartitionedDisk.inspect(image.device)
            let root = try RootSelector.select(in: disk, partition: partition, volume: name, fstab: FstabRootProbe.line)
            let filesystem = try Ext4FileSystem(device: root.device, writable: writable)
            // An SELinux guest labels what this session creates with its own policy (in every mounted volume
            // too, at the path the guest sees).
            // Its private copy of the policy goes beside the image, where the edit journal goes: the one folder a
            // sandboxed writer may still create files in.
            let labeler =
                writable
                ? try GuestSELinuxLabeler.load(
                    from: filesystem, scratchParent: HostRedoLogLocation(imagePath: path).folder)
                : nil
            filesystem.newInodeLabeler = labeler
            let (mounts, mountWarnings) = try openMounts(
                disk: disk, root: root, filesystem: filesystem, writable: writable)
            for mount in mounts { mount.filesystem.newInodeLabeler = labeler?.mounted(at: mount.mountPoint) }
            return GuestImage(
                image: image, disk: disk, root: root, filesystem: filesystem, layoutWarnings: disk.warnings,
                mounts: mounts, mountWarnings: mountWarnings)
        } catch var error as DiskLayoutError {
            error.image = path
            throw error
        } catch var error as Ext4Error {
            error.image = path
            throw error
        }
    }

    /// Opens `path` as `open(path:writable:partition:)` does, runs `body` with the opened image, and ends the
    /// session on every path: when `body` returns, the session is closed (for a writable one: written back and
    /// committed, all or nothing); when `body` throws, every change is dropped (``abandon()``) and the error
    /// is rethrown. The image file and its lock are let go when this call returns, unless `body` keeps the
    /// image beyond it (don't: use the value only inside `body`).
    ///
    /// - Parameters:
    ///   - path: The image file (raw or any VHD type).
    ///   - writable: Whether to open for writing (exclusive lock) or reading (shared lock).
    ///   - partition: The partition to use, 1-based like `/dev/sda1`; `nil` detects the Linux root.
    ///   - volume: The logical volume to use (`VG/LV`) instead of a partition.
    ///   - body: The work to do on the opened image.
    /// - Returns: What `body` returns.
    /// - Throws: What `open(path:writable:partition:)` throws, what `body` throws (the image is then as it
    ///   was), or the error of writing back and committing (the image is then as it was too).
    public static func withImage<Result>(
        path: String, writable: Bool = false, partition: Int? = nil, volume: String? = nil,
        _ body: (GuestImage) throws -> Result
    ) throws -> Result {
        let guest = try open(path: path, writable: writable, partition: partition, volume: volume)
        let result: Result
        do {
            result = try body(guest)
        } catch {
            guest.abandon()
            throw error
        }
        try guest.close()
        return result
    }

    /// The ext2/3/4 logical volumes the root's `/etc/fstab` mounts below `/`: each line whose device is
    /// `/dev/mapper/VG-LV`, `/dev/VG/LV`, `UUID=` or `LABEL=` of a logical volume of the disk (not the root's,
    /// not `noauto`). One that cannot be opened is a warning when reading; when writing it is an error, since
    /// changes meant for it would land in the root's directory beneath the mount point.
    static func openMounts(
        disk: PartitionedDisk, root: RootSelection, filesystem: Ext4FileSystem, writable: Bool
    )
        throws -> (mounts: [GuestMount], warnings: [String])
    {
        guard !disk.logicalVolumes.isEmpty,
            let fstab = try? filesystem.readFile(GuestPath("/etc/fstab"), limit: 1 << 20)
        else { return ([], []) }
        var mounts: [GuestMount] = []
        var warnings: [String] = []
        for entry in FilesystemTable(String(decoding: fstab, as: UTF8.self)).entries {
            let point = entry.mountPoint.hasSuffix("/") ? String(entry.mountPoint.dropLast()) : entry.mountPoint
            guard point.hasPrefix("/"), point.count > 1, ["ext2", "ext3", "ext4", "auto"].contains(entry.type),
                !entry.options.contains("noauto"), !mounts.contains(where: { $0.mountPoint == point })
            else { continue }
            guard let volume = disk.logicalVolume(named: entry.device), let name = volume.logicalVolume,
                name != root.volume.logicalVolume
            else { continue }
            do {
                guard let device = volume.device else {
                    throw volume.openError ?? DiskLayoutError(.noSuchVolume, "logical volume \(name) cannot be opened")
                }
                let opened = try Ext4FileSystem(device: device, writable: writable)
                mounts.append(GuestMount(mountPoint: point, volume: volume, filesystem: opened))
            } catch {
                let message =
                    "\(point) (/etc/fstab line \(entry.line)) is logical volume \(name), which cannot be opened: \(error)"
                if writable { throw Ext4Error(.unsupportedFeature, message, path: point) }
                warnings.append(message + "; files under \(point) are read from the root filesystem")
            }
        }
        return (mounts, warnings)
    }

    /// Every warning a caller should show: the image file's (a VHD footer read from its copy), the layout's
    /// and the filesystem's (for example "the journal needs recovery; what is read may be stale").
    public var warnings: [String] {
        image.warnings + layoutWarnings.map(\.detail) + filesystem.warnings.map(\.message) + mountWarnings
            + mounts.flatMap { mount in mount.filesystem.warnings.map { "\(mount.mountPoint): \($0.message)" } }
    }

    /// Writes the filesystem's metadata back and commits the image's edit journal (all or nothing), keeping
    /// everything open for more changes.
    public func commit() throws {
        for mount in mounts { try mount.filesystem.commit() }
        try filesystem.commit()
        if filesystem.isWritable { try image.commit() }
    }

    /// Writes everything back and commits (for a writable session), then releases the filesystem. The handle
    /// is released even when writing fails; the image then keeps none of the session's changes.
    public func close() throws {
        guard !closed else { return }
        closed = true
        do {
            for mount in mounts { try mount.filesystem.close() }
            try filesystem.close()
        } catch {
            image.abandon()
            throw error
        }
        if filesystem.isWritable { try image.commit() }
    }

    /// Drops every change of the session: the image file stays as it was.
    public func abandon() {
        closed = true
        image.abandon()
    }
}
