/// Creates new, empty VHD images: fixed or dynamic of a given size, or a differencing child of an existing VHD.
///
/// What it writes is read with the same size by qemu-img (7.2 and later), libvhdi, Hyper-V and VirtualBox:
/// `original_size == current_size`, and the geometry is the specification's when it describes the size
/// exactly, else the maximum 65535/16/255 (vhd-format.md §5, §11). The file is written under a temporary name
/// in the destination's folder, synced and renamed into place.
public enum ImageCreator {
    /// What to create.
    public enum Kind: Sendable {
        /// A fixed VHD of `size` bytes (a sparse file: data area + footer).
        case fixed(size: UInt64)
        /// A dynamic VHD of `size` bytes with `blockSize`-byte blocks (default 2 MiB).
        case dynamic(size: UInt64, blockSize: UInt32 = DynamicHeader.defaultBlockSize)
        /// A differencing VHD whose parent is the VHD at `parent`.
        case differencing(parent: String)
    }

    /// What was created.
    public struct Report: Sendable, Codable {
        /// The new image's path.
        public var path: String
        /// Its container format.
        public var format: DiskImage.Format
        /// Its virtual size in bytes.
        public var virtualSize: UInt64
        /// The VHD footer's unique ID it got.
        public var uniqueID: VHDUniqueID
        /// The parent's path (differencing).
        public var parent: String?
        /// Adjustments made, e.g. a size rounded up to a whole sector.
        public var notes: [String]
    }

    /// Creates the image at `path`.
    ///
    /// - Parameter overwrite: replace an existing file at `path` (otherwise that is an error).
    /// - Parameter path: the new image file.
    /// - Parameter kind: what to create: a raw file or a fixed or dynamic VHD.
    /// - Throws: ``BlockIOError``: `invalidArgument` for a zero size or an existing destination, `tooLarge` for
    ///   a size over 2040 GiB, errors opening the parent, I/O errors.
    @discardableResult
    public static func create(_ kind: Kind, at path: String, overwrite: Bool = false) throws(BlockIOError) -> Report {
        var notes: [String] = []
        switch kind {
        case .fixed(let requested), .dynamic(let requested, _):
            let size = try checkedSize(requested, path: path, notes: &notes)
            let output = try AtomicOutputFile(destination: path, overwrite: overwrite)
            let footer: VHDFooter
            if case .dynamic(_, let blockSize) = kind {
                try checkBlockSize(blockSize, path: path)
                footer = newFooter(type: .dynamic, size: size, geometry: DiskGeometry.written(forSize: size))
                let builder = try DynamicVHDBuilder(
                    store: output.file, footer: footer, blockSize: blockSize, parent: nil)
                try builder.finish()
            } else {
                footer = newFooter(type: .fixed, size: size, geometry: DiskGeometry.written(forSize: size))
                try output.file.setLength(size)
                try output.file.write(at: size, bytes: footer.serialized())
            }
            try output.commit()
            return Report(
                path: path, format: footer.type == .fixed ? .vhdFixed : .vhdDynamic, virtualSize: size,
                uniqueID: footer.uniqueID, parent: nil, notes: notes)

        case .differencing(let parentPath):
            let parent = try DiskImage.open(path: parentPath)
            guard let parentVHD = parent.vhd else {
                throw BlockIOError(
                    .invalidArgument,
                    "the parent of a differencing disk must be a VHD (this is a \(parent.format.rawValue) image)",
                    path: parentPath)
            }
            guard let parentCanonical = HostPaths.canonical(parentPath) else {
                throw BlockIOError(.io, "cannot resolve the parent's path", path: parentPath)
            }
            // With --force the destination is replaced: never by a child of itself (the parent, or any image its
            // chain reads through, would be lost).
            if let target = HostPaths.canonical(path),
                let index = parentVHD.chain.firstIndex(where: { HostPaths.canonical($0.structure.path) == target })
            {
                throw BlockIOError(
                    .invalidArgument,
                    index == 0
                        ? "is the parent itself: replacing it with its own child would destroy it"
                        : "is in the parent's chain (\(parentVHD.chain[index].structure.path)): replacing it would break the parent",
                    path: path)
            }
            let parentFooter = parentVHD.structure.footer
            let childFolder = HostPaths.canonical(HostPaths.directory(of: path)) ?? HostPaths.directory(of: path)
            let reference = DynamicVHDBuilder.ParentReference(
                uniqueID: parentFooter.uniqueID, timestamp: parentFooter.timestamp,
                name: HostPaths.fileName(of: parentCanonical), absolutePath: parentCanonical,
                relativePath: relativeWindowsPath(from: childFolder, to: parentCanonical))
            let blockSize = parentVHD.structure.header?.blockSize ?? DynamicHeader.defaultBlockSize
            let footer = newFooter(type: .differencing, size: parentFooter.currentSize, geometry: parentFooter.geometry)
            let output = try AtomicOutputFile(destination: path, overwrite: overwrite)
            let builder = try DynamicVHDBuilder(
                store: output.file, footer: footer, blockSize: blockSize, parent: reference)
            try builder.finish()
            try output.commit()
            return Report(
                path: path, format: .vhdDifferencing, virtualSize: footer.currentSize, uniqueID: footer.uniqueID,
                parent: parentPath, notes: notes)
        }
    }

    /// A footer as vhdedit writes it: creator `vhde`, a new unique id, the current time.
    static func newFooter(type: VHDFooter.DiskType, size: UInt64, geometry: DiskGeometry) -> VHDFooter {
        VHDFooter(type: type, size: size, geometry: geometry, uniqueID: .random(), timestamp: .now())
    }

    /// `requested` rounded up to a whole sector and checked against the VHD limit.
    static func checkedSize(_ requested: UInt64, path: String, notes: inout [String]) throws(BlockIOError) -> UInt64 {
        guard requested > 0 else {
            throw BlockIOError(.invalidArgument, "the disk size must be more than 0", path: path)
        }
        guard requested <= VHDFooter.maximumSize else {
            throw BlockIOError(
                .tooLarge, "a VHD holds at most \(VHDFooter.maximumSize) bytes (2040 GiB); \(requested) requested",
                path: path)
        }
        let size = (requested + 511) / 512 * 512
        if size != requested { notes.append("size rounded up from \(requested) to \(size) bytes (a whole sector)") }
        return size
    }

    static func checkBlockSize(_ blockSize: UInt32, path: String) throws(BlockIOError) {
        guard blockSize >= 512, blockSize <= DynamicHeader.maximumBlockSize, blockSize & (blockSize - 1) == 0 else {
            throw BlockIOError(
                .invalidArgument, "block size \(blockSize) is not a power of two from 512 B to 256 MiB", path: path)
        }
    }

    /// `target` relative to `folder` (both canonical), as a Windows relative path (`.\name`, `..\dir\name`).
    static func relativeWindowsPath(from folder: String, to target: String) -> String {
        let from = folder.split(separator: "/")
        let to = target.split(separator: "/")
        var common = 0
        while common < from.count, common < to.count - 1, from[common] == to[common] { common += 1 }
        let ups = Array(repeating: "..", count: from.count - common)
        let parts = (ups.isEmpty ? ["."] : ups) + to[common...].map(String.init)
        return parts.joined(separator: "\\")
    }
}
