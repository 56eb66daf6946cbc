/// An opened VHD file of any type: its metadata, its disk, and (for a differencing disk) its opened parent.
public final class VHDImage {
    /// The file's metadata.
    public let structure: VHDFileStructure
    /// The disk: a ``FixedVHD`` or a ``DynamicVHD``.
    public let device: any BlockDevice
    /// The parent image of a differencing disk, opened read-only.
    public let parent: VHDImage?
    /// The store the file's bytes live in.
    public let store: any ByteStore

    /// The container format.
    public var format: DiskImage.Format {
        switch structure.footer.type {
        case .fixed?: .vhdFixed
        case .differencing?: .vhdDifferencing
        default: .vhdDynamic
        }
    }

    /// This image followed by its ancestors, nearest first.
    public var chain: [VHDImage] {
        var images = [self]
        while let next = images.last?.parent { images.append(next) }
        return images
    }

    /// The warnings of this image and its parents (a parent's prefixed with its path).
    public var warnings: [String] {
        var own = structure.warnings
        if let parent, parent.device.size < device.size {
            own.append(
                "the parent \(parent.structure.path) is smaller (\(parent.device.size) bytes) than this disk "
                    + "(\(device.size) bytes): the bytes past its end that this disk does not hold read as zeros")
        }
        return own + (parent.map { p in p.warnings.map { "parent \(p.structure.path): \($0)" } } ?? [])
    }

    /// Opens the VHD held by `store`; a differencing disk's parents are found next to it and opened read-only.
    ///
    /// - Parameter ancestors: canonical paths of the images that are already children in this chain (for the
    ///   cycle check); callers start with none.
    /// - Parameter store: the image file's bytes.
    /// - Throws: ``BlockIOError``: malformed metadata (see ``VHDFileStructure/init(reading:)``), or
    ///   ``BlockIOError/Code/parent`` when a parent is missing, has the wrong unique id, or the chain loops.
    public static func open(store: any ByteStore, ancestors: [String] = []) throws(BlockIOError) -> VHDImage {
        let structure = try VHDFileStructure(reading: store)
        switch structure.footer.type {
        case .fixed?:
            return VHDImage(
                structure: structure, device: FixedVHD(store: store, structure: structure), parent: nil, store: store)
        case .dynamic?:
            return VHDImage(
                structure: structure, device: try DynamicVHD(store: store, structure: structure, parent: nil),
                parent: nil, store: store)
        default:
            let own = HostPaths.canonical(store.path) ?? store.path
            let parent = try ParentResolver.openParent(of: structure, ancestors: ancestors + [own])
            return VHDImage(
                structure: structure,
                device: try DynamicVHD(store: store, structure: structure, parent: parent.device), parent: parent,
                store: store)
        }
    }

    init(structure: VHDFileStructure, device: any BlockDevice, parent: VHDImage?, store: any ByteStore) {
        self.store = store
        self.structure = structure
        self.device = device
        self.parent = parent
    }
}
