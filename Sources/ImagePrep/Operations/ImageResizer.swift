public import BlockIO
import DiskLayout
public import Ext4

#if canImport(Glibc)
    import Glibc
#endif

/// Resizes an image in place — the disk, its partition table, its last partition and the ext2/3/4 filesystem
/// in it — as one atomic change: everything is written under the image's edit journal and committed at once,
/// so a crash at any point leaves the old image or the new one.
///
/// ```swift
/// let report = try ImageResizer.resize("disk.vhd", options: .init(size: 30 << 30, roundToMiB: true,
///                                                                  growPartition: .last, growFilesystem: true))
/// ```
///
/// Everything that can be refused is checked before the first write: a differencing disk, a shrink that would
/// cut a partition, an MBR partition past 2 TiB, `--grow-filesystem` on an LVM physical volume, a filesystem
/// that cannot grow without moving metadata (more descriptor blocks than the resize inode reserved).
public enum ImageResizer {
    /// Which partition grows into the new space.
    public enum PartitionChoice: Sendable, Hashable {
        /// The last partition on the disk.
        case last
        /// Partition `number` (1-based), which must be the last one.
        case number(Int)
    }

    /// What to do.
    public struct Options: Sendable {
        /// The new virtual size in bytes (rounded up to a whole 512-byte sector).
        public var size: UInt64
        /// Round the size up to a whole MiB (Azure requires it of VHDs).
        public var roundToMiB: Bool
        /// Grow a partition to the new end of the disk (nil: the partitions stay as they are).
        public var growPartition: PartitionChoice?
        /// Grow the ext2/3/4 filesystem of the grown partition (or of an unpartitioned disk) to fill it.
        public var growFilesystem: Bool
        /// Do everything in the edit journal, report, and abandon it: the image is not changed.
        public var dryRun: Bool

        /// Options; only `size` is required.
        /// - Parameters:
        /// - size: The new virtual size in bytes.
        /// - roundToMiB: Whether to round the size up to a whole MiB.
        /// - growPartition: The partition to grow into the new space, if any.
        /// - growFilesystem: Whether to grow that partition's filesystem too.
        /// - dryRun: Whether to do everything in the edit journal and abandon it.
        public init(
            size: UInt64, roundToMiB: Bool = false, growPartition: PartitionChoice? = nil, growFilesystem: Bool = false,
            dryRun: Bool = false
        ) {
            self.size = size
            self.roundToMiB = roundToMiB
            self.growPartition = growPartition
            self.growFilesystem = growFilesystem
            self.dryRun = dryRun
        }
    }

    /// A partition's extent before and after.
    public struct PartitionChange: Sendable, Codable, Hashable {
        /// The partition number.
        public var number: Int
        /// Its first sector (unchanged).
        public var firstSector: UInt64
        /// Its length in sectors before.
        public var oldSectorCount: UInt64
        /// Its length in sectors after.
        public var newSectorCount: UInt64
    }

    /// What a resize did.
    public struct Report: Sendable, Codable {
        /// The image's path.
        public var path: String
        /// Its container format.
        public var format: DiskImage.Format
        /// The virtual size before, in bytes.
        public var oldSize: UInt64
        /// The virtual size after, in bytes.
        public var newSize: UInt64
        /// `mbr`, `gpt` or `unpartitioned`.
        public var partitionTable: String
        /// The partition that grew.
        public var partition: PartitionChange?
        /// How the filesystem grew.
        public var filesystem: FilesystemGrowth?
        /// What was adjusted or left alone, in words.
        public var notes: [String]
        /// Limits the result passes (Azure's), in words.
        public var warnings: [String]
    }

    /// Azure's largest Marketplace OS disk: 1023 GiB.
    public static let azureOSDiskLimit: UInt64 = 1023 << 30
    /// Azure's largest managed disk: 32767 GiB.
    public static let azureDiskLimit: UInt64 = 32767 << 30

    /// Resizes the image at `path` in place (see the type's discussion).
    ///
    /// - Throws: `BlockIOError` (open, lock, differencing disk, size limits), `DiskLayoutError` (a shrink
    ///   that cuts a partition, no such or not the last partition, MBR past 2 TiB), `Ext4Error` (not ext2/3/4,
    ///   unsafe to write, growth needing more descriptor blocks than reserved), ``ImagePrepError`` (an LVM
    ///   physical volume with `growFilesystem`). The image is then unchanged.
    @discardableResult
    public static func resize(_ path: String, options: Options) throws -> Report {
        let image = try DiskImage.open(path: path, writable: true)
        do {
            var report = try resize(image: image, options: options)
            if options.dryRun {
                image.abandon()
                report.notes.append("dry run: nothing was written")
            } else {
                try image.commit()
            }
            return report
        } catch var error as DiskLayoutError {
            image.abandon()
            error.image = path
            throw error
        } catch var error as Ext4Error {
            image.abandon()
            error.image = path
            throw error
        } catch {
            image.abandon()
            throw error
        }
    }

    /// Resizes an image opened for writing, leaving the change pending in its edit journal: the caller commits
    /// (`DiskImage/commit()`) or abandons it.
    public static func resize(image: DiskImage, options: Options) throws -> Report {
        var notes: [String] = []
        var warnings: [String] = []
        let oldSize = image.device.size
        var newSize = (options.size + 511) / 512 * 512
        if newSize != options.size {
            notes.append("size rounded up from \(options.size) to \(newSize) bytes (a whole sector)")
        }
        if options.roundToMiB && newSize % (1 << 20) != 0 {
            let before = newSize
            newSize = (newSize + (1 << 20) - 1) / (1 << 20) * (1 << 20)
            notes.append("size rounded up from \(before) to \(newSize) bytes (a whole MiB)")
        }
        guard [.raw, .vhdFixed, .vhdDynamic].contains(image.format) else {
            try image.resizeDisk(to: newSize)  // throws the refusal with its reason
            return Report(
                path: image.path, format: image.format, oldSize: oldSize, newSize: oldSize, partitionTable: "",
                notes: notes,
                warnings: warnings)
        }
        let table = try PartitionTable.read(from: image.device)
        let editor = PartitionTableResize(table: table)
        try editor.checkFits(newSize: newSize)
        if newSize < oldSize && (options.growPartition != nil || options.growFilesystem) {
            throw ImagePrepError(
                .invalidArgument, "the disk shrinks (\(oldSize) to \(newSize) bytes): nothing can grow into it",
                image: image.path)
        }

        // Which partition grows, and whether its filesystem can: all decided before the first write.
        var grow: Partition?
        var chosen: Partition?
        if let choice = options.growPartition {
            let number: Int? = if case .number(let n) = choice { n } else { nil }
            let partition = try editor.partitionToGrow(number)
            chosen = partition
            let end = try editor.growthEnd(of: partition, newSize: newSize)
            if table.kind == .mbr && end > PartitionTableResize.mbrSectorLimit {
                throw DiskLayoutError(
                    .unsupported,
                    "an MBR partition cannot reach past 2 TiB (sector \(PartitionTableResize.mbrSectorLimit)); the "
                        + "new disk has \(newSize / 512) sectors. Grow to at most 2 TiB, or convert the table to GPT first",
                    structure: "MBR entry", offset: partition.entryOffset)
            }
            if end > partition.endSector {
                grow = partition
            } else {
                notes.append("partition \(partition.number) already reaches the end of the usable space")
            }
            if partition.role == .linuxLVM {
                if options.growFilesystem {
                    throw ImagePrepError(
                        .invalidArgument,
                        "partition \(partition.number) is an LVM physical volume: vhdedit grows the partition but never "
                            + "writes LVM metadata, so the PV, its volume group and logical volumes (and their "
                            + "filesystems) stay as they are; drop --grow-filesystem, and run pvresize and lvextend "
                            + "(and resize2fs) inside the guest", image: image.path)
                }
                warnings.append(
                    "partition \(partition.number) is an LVM physical volume: the partition grows, the PV and its logical "
                        + "volumes stay as they are (run pvresize and lvextend inside the guest to use the space)")
            }
        } else if options.growFilesystem && table.kind != .unpartitioned {
            throw ImagePrepError(
                .invalidArgument,
                "--grow-filesystem grows the filesystem of the partition that --grow-partition grows; give both",
                image: image.path)
        }
        var growth: FilesystemGrowth?
        if options.growFilesystem {
            let volume: any BlockDevice
            let target: UInt64
            if let partition = chosen {
                volume = try partition.slice(of: image.device)
                target = (try editor.growthEnd(of: partition, newSize: newSize) - partition.firstSector) * 512
            } else {
                volume = image.device
                target = newSize
            }
            let filesystem: Ext4FileSystem
            do {
                filesystem = try Ext4FileSystem(device: volume, writable: true)
            } catch {
                // Most often no ext2/3/4 at all (bad magic); a journal needing recovery and the like keep their error.
                guard error.code == .corrupt else { throw error }
                throw ImagePrepError(
                    .filesystem,
                    "--grow-filesystem: the \(chosen.map { "volume of partition \($0.number)" } ?? "disk") holds no "
                        + "readable ext2/3/4 filesystem (vhdedit grows ext2/3/4 only)", image: image.path,
                    cause: "\(error)")
            }
            defer { filesystem.abandon() }
            let plan = try filesystem.planGrowth(toBytes: target)
            growth = plan
            if !plan.grows { notes.append("the filesystem already fills its space (\(plan.oldBlocks) blocks)") }
        }

        // The writes: disk, table, filesystem.
        try image.resizeDisk(to: newSize)
        let grown = try editor.apply(on: image.device, grow: grow)
        var change: PartitionChange?
        if let grow, let grown {
            change = PartitionChange(
                number: grow.number, firstSector: grow.firstSector, oldSectorCount: grow.sectorCount,
                newSectorCount: grown.sectorCount)
        }
        if let plan = growth, plan.grows {
            let volume: any BlockDevice =
                if let partition = grown ?? chosen { try partition.slice(of: image.device) } else { image.device }
            let filesystem = try Ext4FileSystem(device: volume, writable: true)
            do {
                try filesystem.grow(plan)
                try filesystem.close()
            } catch {
                filesystem.abandon()
                throw error
            }
        }

        if newSize > azureOSDiskLimit {
            warnings.append("the disk is larger than 1023 GiB, Azure's limit for a Marketplace OS disk")
        }
        if newSize > azureDiskLimit {
            warnings.append("the disk is larger than 32767 GiB, Azure's largest managed disk")
        }
        if image.format != .raw && newSize % (1 << 20) != 0 {
            warnings.append("the size is not a whole MiB, which Azure refuses for a VHD (use --round-to-mib)")
        }
        return Report(
            path: image.path, format: image.format, oldSize: oldSize, newSize: newSize,
            partitionTable: table.kind.rawValue, partition: change, filesystem: growth, notes: notes, warnings: warnings
        )
    }
}

extension ImageResizer {
    /// Converts `source` into a new image at `destination` (as `ImageConverter/convert(source:destination:options:)`)
    /// and resizes the new image before it gets its name: one command from a 2 GiB cloud image to a 30 GiB
    /// fixed Azure VHD, and the destination is either absent or complete and resized.
    ///
    /// The converted image is written under a hidden name beside the destination
    /// (`.NAME.vhdedit-resizing.tmp`), resized under its edit journal, then renamed into place and its folder
    /// synced. On an error the hidden file is removed; after a crash, the next convert to the same destination
    /// removes it (as it removes its own temporary files).
    ///
    /// - Throws: the converter's `BlockIOError`, or any error of ``resize(_:options:)``.
    public static func convert(
        source: String, destination: String, options: ImageConverter.Options, resize: Options
    ) throws -> (conversion: ImageConverter.Report, resize: Report) {
        if !options.overwrite && access(destination, F_OK) == 0 {
            throw BlockIOError(.invalidArgument, "destination already exists (not overwritten)", path: destination)
        }
        let slash = destination.lastIndex(of: "/")
        let folder = slash.map { String(destination[..<$0]) } ?? "."
        let name = slash.map { String(destination[destination.index(after: $0)...]) } ?? destination
        let staging = (folder.isEmpty ? "" : folder + "/") + ".\(name).vhdedit-resizing.tmp"
        var stagingOptions = options
        stagingOptions.overwrite = true
        do {
            let conversion = try ImageConverter.convert(source: source, destination: staging, options: stagingOptions)
            var report = try ImageResizer.resize(staging, options: resize)
            report.path = destination
            guard rename(staging, destination) == 0 else {
                throw BlockIOError(
                    .io, "cannot rename \(staging) to the destination", path: destination, errno: errno)
            }
            if options.sync {
                let fd = open(folder.isEmpty ? "/" : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                if fd >= 0 {
                    _ = fsync(fd)
                    close(fd)
                }
            }
            var converted = conversion
            converted.destination = destination
            converted.virtualSize = report.newSize
            return (converted, report)
        } catch {
            _ = unlink(staging)
            throw error
        }
    }
}
