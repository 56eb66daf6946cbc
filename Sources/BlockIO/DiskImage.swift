/// An image file opened as a disk: its container format detected, its lock held, its disk exposed as a
/// ``BlockDevice``.
///
/// This is the entry point for every layer above: `DiskImage.open(path:access:)` then `image.device`.
public final class DiskImage {
    /// The container format of an image file.
    public enum Format: String, Sendable, Codable {
        case raw
        case vhdFixed = "vhd-fixed"
        case vhdDynamic = "vhd-dynamic"
        case vhdDifferencing = "vhd-differencing"
    }

    /// The host path of the image.
    public let path: String
    /// The detected container format.
    public let format: Format
    /// The disk the image holds.
    public let device: any BlockDevice
    /// The store the image's bytes live in.
    public let store: any ByteStore
    /// The VHD metadata and parent chain, for VHD images.
    public let vhd: VHDImage?
    /// Problems found while opening that did not stop it (e.g. a damaged footer read from its copy). A pending
    /// edit journal is not among them: see ``pendingEdits`` (and ``PendingEdit/announce``, which says so at the
    /// open).
    public var warnings: [String] { vhd?.warnings ?? [] }

    init(path: String, format: Format, device: any BlockDevice, store: any ByteStore, vhd: VHDImage? = nil) {
        self.path = path
        self.format = format
        self.device = device
        self.store = store
        self.vhd = vhd
    }

    /// Opens the image at `path`, detecting its format: a VHD (cookie `conectix` in the last 512 bytes or at
    /// offset 0; a differencing disk's parents are found and opened read-only) or else a raw image.
    ///
    /// - Parameters:
    ///   - path: the image file on the host.
    ///   - writable: open for writing (exclusive lock) instead of reading (shared lock).
    /// - Throws: ``BlockIOError`` when the file cannot be opened or locked, or its structures are malformed.
    public static func open(path: String, writable: Bool = false) throws(BlockIOError) -> DiskImage {
        if HostPaths.isDirectory(path) {
            throw BlockIOError(.invalidArgument, "is a directory, not a disk image file", path: path)
        }
        let file = try HostFile(path: path, access: writable ? .readWrite : .readOnly)
        let store: any ByteStore = writable ? try EditJournal(over: file) : try RecoveredStore(over: file)
        let image: DiskImage
        if try VHDFileStructure.isVHD(store) {
            let vhd = try VHDImage.open(store: store)
            image = DiskImage(path: path, format: vhd.format, device: vhd.device, store: store, vhd: vhd)
        } else {
            image = DiskImage(path: path, format: .raw, device: try RawImage(store: store), store: store)
        }
        for pending in image.pendingEdits { PendingEdit.announce(pending) }
        return image
    }
}

extension DiskImage {
    /// The host files this image reads: the image itself and, for a differencing disk, every parent.
    public var hostFiles: [String] { vhd?.chain.map(\.structure.path) ?? [path] }

    /// Throws when `path` is one of ``hostFiles`` under any name (same device and inode): writing it while the
    /// image is read would destroy the image (a `get` whose local file is the image truncated it to 0 bytes).
    ///
    /// - Throws: ``BlockIOError/Code/invalidArgument`` naming `path` and the image file it is.
    public func refuseWriting(to path: String) throws(BlockIOError) {
        guard let target = FileIdentity.of(path: path) else { return }
        for (index, file) in hostFiles.enumerated() where FileIdentity.of(path: file) == target {
            throw BlockIOError(
                .invalidArgument,
                index == 0
                    ? "is the image being read: writing it would destroy the image"
                    : "is a parent of the image being read (\(file)): writing it would destroy the image",
                path: path)
        }
    }
}
