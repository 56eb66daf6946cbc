/// An opened VHDX file: its structures, its disk, and (for a differencing disk) its opened parent.
public final class VHDXImage {
    /// The file's structures.
    public let structure: VHDXFileStructure
    /// The disk.
    public let device: VHDXDisk
    /// The parent image of a differencing disk, opened read-only.
    public let parent: VHDXImage?
    /// The file's store (without the log's replayed writes).
    public let store: any ByteStore

    /// The kind of disk: `fixed` (blocks left allocated), `dynamic` or `differencing`.
    public var diskType: String {
        structure.metadata.hasParent ? "differencing" : structure.metadata.leaveBlocksAllocated ? "fixed" : "dynamic"
    }

    /// This image followed by its ancestors, nearest first.
    public var chain: [VHDXImage] {
        var images = [self]
        while let next = images.last?.parent { images.append(next) }
        return images
    }

    /// The warnings of this image and its parents (a parent's prefixed with its path).
    public var warnings: [String] {
        structure.warnings + (parent.map { p in p.warnings.map { "parent \(p.structure.path): \($0)" } } ?? [])
    }

    /// Opens the VHDX held by `store`, replaying its log in memory; a differencing disk's parents are found
    /// through its parent locator and opened read-only.
    ///
    /// - Parameter store: the VHDX file's bytes.
    /// - Parameter ancestors: canonical paths of the images that are already children in this chain (for the
    ///   cycle check); callers start with none.
    /// - Throws: ``BlockIOError`` naming the structure, field and offset at fault, or ``BlockIOError/Code/parent``
    ///   when a parent is missing, does not match the child's parent linkage, or the chain loops.
    public static func open(store: any ByteStore, ancestors: [String] = []) throws(BlockIOError) -> VHDXImage {
        let (structure, source) = try VHDXFileStructure.read(from: store)
        var parent: VHDXImage?
        if structure.metadata.hasParent {
            let own = HostPaths.canonical(store.path) ?? store.path
            parent = try VHDXParentResolver.openParent(of: structure, ancestors: ancestors + [own])
        }
        let device = try VHDXDisk(store: source, structure: structure, parent: parent?.device)
        return VHDXImage(structure: structure, device: device, parent: parent, store: store)
    }

    init(structure: VHDXFileStructure, device: VHDXDisk, parent: VHDXImage?, store: any ByteStore) {
        self.structure = structure
        self.device = device
        self.parent = parent
        self.store = store
    }
}
