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

    init(path: String, format: Format, device: any BlockDevice, store: any ByteStore) {
        self.path = path
        self.format = format
        self.device = device
        self.store = store
    }

    /// Opens the image at `path`, detecting its format.
    ///
    /// - Parameters:
    ///   - path: the image file on the host.
    ///   - writable: open for writing (exclusive lock) instead of reading (shared lock).
    /// - Throws: ``BlockIOError`` when the file cannot be opened or locked, or its structures are malformed.
    public static func open(path: String, writable: Bool = false) throws(BlockIOError) -> DiskImage {
        let file = try HostFile(path: path, access: writable ? .readWrite : .readOnly)
        let store: any ByteStore = writable ? try EditJournal(over: file) : try RecoveredStore(over: file)
        let device = try RawImage(store: store)
        return DiskImage(path: path, format: .raw, device: device, store: store)
    }
}
