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
        /// A Hyper-V VHDX image (read only).
        case vhdx
        /// A qcow2 image, version 2 or 3 (read only).
        case qcow2

        /// Whether vhdedit writes images of this format; the others are read and converted, never changed.
        public var isWritable: Bool { self != .vhdx && self != .qcow2 }
    }

    /// The host path of the image.
    public let path: String
    /// The detected container format.
    public let format: Format
    /// The disk the image holds (replaced by ``resizeDisk(to:)``).
    public internal(set) var device: any BlockDevice
    /// The store the image's bytes live in.
    public let store: any ByteStore
    /// The VHD metadata and parent chain, for VHD images (re-read by ``resizeDisk(to:)``).
    public internal(set) var vhd: VHDImage?
    /// The VHDX structures and parent chain, for VHDX images.
    public let vhdx: VHDXImage?
    /// The qcow2 metadata and backing chain, for qcow2 images.
    public let qcow2: Qcow2Image?
    /// Problems found while opening that did not stop it (e.g. a damaged footer read from its copy). A pending
    /// edit journal is not among them: see ``pendingEdits`` (and `PendingEdit.announce(_:)`, which says so at the
    /// open).
    public var warnings: [String] {
        if let qcow2 {
            return qcow2.warnings
                + (qcow2.backing.map { b in b.warnings.map { "backing file \(b.path): \($0)" } } ?? [])
        }
        return (vhd?.warnings ?? vhdx?.warnings ?? []) + wrappedContainerWarning
    }
    /// Set when the disk inside a VHD begins with another container's header (see ``opened``).
    private(set) var wrappedContainerWarning: [String] = []

    init(
        path: String, format: Format, device: any BlockDevice, store: any ByteStore, vhd: VHDImage? = nil,
        vhdx: VHDXImage? = nil, qcow2: Qcow2Image? = nil
    ) {
        self.path = path
        self.format = format
        self.device = device
        self.store = store
        self.vhd = vhd
        self.vhdx = vhdx
        self.qcow2 = qcow2
    }

    /// Opens the image at `path`, detecting its format by content (``ImageFormatDetector``, never by name): a VHDX
    /// (`vhdxfile` at offset 0; read-only, its log replayed in memory), a VHD (cookie `conectix` in the last 512
    /// bytes or at offset 0; a differencing disk's parents are found and opened read-only), a qcow2 image
    /// (read-only, with its backing chain), or else a raw image. Containers vhdedit does not read (VMDK, VDI,
    /// QED, LUKS …) are refused, naming the format and the command that converts them.
    ///
    /// - Parameters:
    ///   - path: the image file on the host.
    ///   - writable: open for writing (exclusive lock) instead of reading (shared lock).
    /// - Throws: ``BlockIOError`` when the file cannot be opened or locked, or its structures are malformed;
    ///   ``BlockIOError/Code/unsupportedFormat`` for a container that is not read;
    ///   ``BlockIOError/Code/readOnlyFormat`` for a writable open of a format that is only read (nothing is
    ///   written, the file is left as it was).
    public static func open(path: String, writable: Bool = false) throws(BlockIOError) -> DiskImage {
        if HostPaths.isDirectory(path) {
            throw BlockIOError(.invalidArgument, "is a directory, not a disk image file", path: path)
        }
        let file = try HostFile(path: path, access: writable ? .readWrite : .readOnly)
        if writable {
            // Decided on the file itself, before an edit journal exists: a refused open leaves no trace.
            let detected = try ImageFormatDetector.detect(file)
            if let format = readOnlyFormat(detected) { throw refusedWrite(path: path, format: format) }
            if case .foreign(let foreign) = detected { throw foreign.refusal(path: path) }
            if case .vhd = detected { try refuseSavedState(file) }
        }
        let store: any ByteStore = writable ? try EditJournal(over: file) : try RecoveredStore(over: file)
        let image = try opened(path: path, store: store, detected: try ImageFormatDetector.detect(store), ancestors: [])
        for pending in image.pendingEdits { PendingEdit.announce(pending) }
        return image
    }

    /// The image of format `detected` in `store`, opened (a VHD's parents and a qcow2 image's backing file
    /// too), or the refusal of a format that is not read.
    ///
    /// - Parameter ancestors: canonical paths of the images already children in this chain (loop check).
    static func opened(
        path: String, store: any ByteStore, detected: DetectedImageFormat, ancestors: [String]
    )
        throws(BlockIOError) -> DiskImage
    {
        switch detected {
        case .vhd:
            let vhd = try VHDImage.open(store: store, ancestors: ancestors)
            let image = DiskImage(path: path, format: vhd.format, device: vhd.device, store: store, vhd: vhd)
            // A VHD made by copying a qcow2/VMDK/VHDX file's bytes (what converting one read as raw produced)
            // holds a container, not a disk: say so.
            let size = vhd.device.size
            if size >= 512, let head = try? vhd.device.read(at: 0, count: Int(min(size, 1024))),
                let inner = ImageFormatDetector.fromHead(head), inner != .raw
            {
                image.wrappedContainerWarning = [
                    "the disk inside this VHD begins with the header of \(inner.name): it looks like a container "
                        + "file copied byte for byte, not a disk; convert the original file instead"
                ]
            }
            return image
        case .vhdx:
            let vhdx = try VHDXImage.open(store: store, ancestors: ancestors)
            return DiskImage(path: path, format: .vhdx, device: vhdx.device, store: store, vhdx: vhdx)
        case .qcow2:
            let qcow2 = try Qcow2Image.open(store: store, ancestors: ancestors)
            return DiskImage(path: path, format: .qcow2, device: qcow2, store: store, qcow2: qcow2)
        case .foreign(let foreign):
            throw foreign.refusal(path: path)
        case .raw:
            return DiskImage(path: path, format: .raw, device: try RawImage(store: store), store: store)
        }
    }

    /// Refuses to write a VHD whose footer has `saved_state` set: the disk belongs to a virtual machine saved
    /// with it (hibernated by Hyper-V or Virtual PC), and the VHD specification forbids changing it until the
    /// machine is resumed. Reading it is fine; a converted copy has the flag clear. A file whose structures do
    /// not read as they are (torn by an interrupted commit that its edit journal completes) is left to the open
    /// that follows: vhdedit wrote it, so the flag was clear.
    static func refuseSavedState(_ file: HostFile) throws(BlockIOError) {
        guard let structure = try? VHDFileStructure(reading: file), structure.footer.savedState != 0 else { return }
        let footerOffset: UInt64 = structure.footerSource == .copy ? 0 : (structure.trailingFooterOffset ?? 0)
        throw BlockIOError(
            .savedState,
            "the VHD footer's saved_state flag is set (\(structure.footer.savedState)): the disk belongs to a virtual "
                + "machine that was saved, not shut down, and the VHD specification forbids changing it; resume and "
                + "shut down the machine, or convert a copy (vhdedit convert IMAGE OUT.vhd --to fixed) and change that",
            path: file.path, offset: footerOffset + 84, structure: "VHD footer", field: "saved_state")
    }

    /// The read-only format `detected` is, if it is one.
    static func readOnlyFormat(_ detected: DetectedImageFormat) -> Format? {
        switch detected {
        case .vhdx: .vhdx
        case .qcow2: .qcow2
        default: nil
        }
    }

    /// The refusal of a writing command on an image of a read-only format.
    static func refusedWrite(path: String, format: Format) -> BlockIOError {
        let vhd = ForeignImageFormat.rawName(for: path).dropLast(4) + ".vhd"
        return BlockIOError(
            .readOnlyFormat,
            "is a \(format.rawValue) image: vhdedit reads it but never writes it (a \(format.rawValue) image is not "
                + "what Azure takes, and changing it in place would need its own allocator); convert it first: "
                + "vhdedit convert \(shellQuoted(path)) \(shellQuoted(String(vhd))) --to fixed --round-to-mib, then run "
                + "this command on the VHD",
            path: path, structure: "image format")
    }
}

extension DiskImage {
    /// The host files this image reads: the image itself and, for a differencing disk or a qcow2 image with a
    /// backing file, every parent or backing file.
    public var hostFiles: [String] {
        if let qcow2 { return [path] + (qcow2.backing?.hostFiles ?? []) }
        return vhd?.chain.map(\.structure.path) ?? vhdx?.chain.map(\.structure.path) ?? [path]
    }

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
