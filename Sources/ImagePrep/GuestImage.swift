public import BlockIO
public import DiskLayout
public import Ext4

/// A disk image opened down to its Linux root filesystem: the image file (locked), its partition table, the
/// chosen root volume and the ext2/3/4 filesystem on it.
///
/// The path most callers take: `GuestImage.open(path:writable:partition:)`, use ``filesystem``, then
/// ``close()`` (writes back) — or drop the value to abandon a read-only session.
///
/// ```swift
/// let guest = try GuestImage.open(path: "disk.vhd", writable: true)
/// try guest.filesystem.writeFile(try Ext4.GuestPath("/etc/hostname"), contents: Array("localhost\n".utf8))
/// try guest.close()
/// ```
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
    private var closed = false

    init(
        image: DiskImage, disk: PartitionedDisk, root: RootSelection, filesystem: Ext4FileSystem,
        layoutWarnings: [DiskLayoutWarning]
    ) {
        self.image = image
        self.disk = disk
        self.root = root
        self.filesystem = filesystem
        self.layoutWarnings = layoutWarnings
    }

    /// Opens `path` (raw or any VHD type), reads its partition table, picks the root volume (or partition
    /// `partition`, 1-based like `/dev/sda1`) and opens its filesystem.
    ///
    /// - Throws: ``BlockIOError`` (the image cannot be opened or locked), ``DiskLayoutError`` (no such
    ///   partition, no or several root candidates), ``Ext4Error`` (not ext2/3/4, or unsafe to write: for
    ///   example a journal that needs recovery). Layout and filesystem errors name `path` as their `image`.
    public static func open(path: String, writable: Bool = false, partition: Int? = nil) throws -> GuestImage {
        let image = try DiskImage.open(path: path, writable: writable)
        try GuestParsing.willParse(image)
        do {
            let disk = try PartitionedDisk.inspect(image.device)
            let root = try RootSelector.select(in: disk, partition: partition)
            let filesystem = try Ext4FileSystem(device: root.device, writable: writable)
            return GuestImage(image: image, disk: disk, root: root, filesystem: filesystem, layoutWarnings: disk.warnings)
        } catch var error as DiskLayoutError {
            error.image = path
            throw error
        } catch var error as Ext4Error {
            error.image = path
            throw error
        }
    }

    /// Every warning a caller should show: the image file's (a VHD footer read from its copy), the layout's
    /// and the filesystem's (for example "the journal needs recovery; what is read may be stale").
    public var warnings: [String] {
        image.warnings + layoutWarnings.map(\.detail) + filesystem.warnings.map(\.message)
    }

    /// Writes the filesystem's metadata back and commits the image's edit journal (all or nothing), keeping
    /// everything open for more changes.
    public func commit() throws {
        try filesystem.commit()
        if filesystem.isWritable { try image.commit() }
    }

    /// Writes everything back and commits (for a writable session), then releases the filesystem. The handle
    /// is released even when writing fails; the image then keeps none of the session's changes.
    public func close() throws {
        guard !closed else { return }
        closed = true
        do {
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
