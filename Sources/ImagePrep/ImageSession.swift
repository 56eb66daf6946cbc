public import BlockIO
public import DiskLayout
public import Ext4

/// One image opened down to its Linux root filesystem: the image (and its lock), the partition table, the
/// chosen root volume, the ext4 filesystem on it, and the facts ``ReadinessChecker`` needs.
///
/// A writable session keeps every write in the image's edit journal until ``commit()``; dropping a session
/// without committing leaves the image as it was.
public final class ImageSession {
    public let image: DiskImage
    public let disk: PartitionedDisk
    public let root: RootSelection
    public let filesystem: Ext4FileSystem
    /// The root filesystem as ``GuestFiles``.
    public let files: Ext4GuestFiles
    /// The container and partition facts.
    public let facts: DiskFacts
    private var committed = false

    /// Opens `path` and its Linux root (`partition` overrides the detection, 1-based).
    ///
    /// - Throws: ``ImagePrepError/Code/image`` (the image or its table cannot be read), ``ImagePrepError/Code/noRoot``
    ///   (no or several Linux roots), ``ImagePrepError/Code/filesystem`` (the root cannot be opened, for example
    ///   a journal that needs recovery when writing).
    public init(path: String, partition: Int? = nil, writable: Bool = false) throws(ImagePrepError) {
        do {
            image = try DiskImage.open(path: path, writable: writable)
        } catch {
            throw ImagePrepError(.image, "cannot open the image", image: path, cause: error.description)
        }
        do {
            disk = try PartitionedDisk.inspect(image.device)
        } catch {
            throw ImagePrepError(.image, "cannot read the partition table", image: path, cause: error.description)
        }
        do {
            root = try RootSelector.select(in: disk, partition: partition)
        } catch {
            throw ImagePrepError(.noRoot, "no Linux root filesystem to work in", image: path, cause: error.description)
        }
        do {
            filesystem = try Ext4FileSystem(device: root.device, writable: writable)
        } catch {
            throw ImagePrepError(
                .filesystem, "cannot open the root filesystem (\(root.volume.displayName))", image: path,
                cause: error.description)
        }
        files = Ext4GuestFiles(filesystem: filesystem)
        facts = Self.facts(image: image, disk: disk, root: root)
    }

    /// The disk facts of an opened image.
    static func facts(image: DiskImage, disk: PartitionedDisk, root: RootSelection) -> DiskFacts {
        let table: String
        switch disk.table.kind {
        case .mbr: table = "mbr"
        case .gpt: table = "gpt"
        case .unpartitioned: table = "none"
        }
        var partitions: [PartitionFacts] = []
        for volume in disk.volumes {
            guard let partition = volume.partition else { continue }
            if partition.role == .extended || partition.role == .gptProtective { continue }
            var partUUID = partition.uniqueGUID.map { "\($0)".lowercased() }
            if partUUID == nil, let signature = disk.table.diskSignature {
                partUUID = String(signature, radix: 16).leftPadded(8) + "-" + String(partition.number, radix: 16).leftPadded(2)
            }
            let signature = volume.signature
            partitions.append(PartitionFacts(
                number: partition.number, start: partition.start, size: partition.size, typeName: partition.type.name,
                partUUID: partUUID,
                filesystem: signature.map { FilesystemIdentity(type: $0.type, uuid: $0.uuid, label: $0.label) },
                isSwap: partition.role == .linuxSwap || signature?.type == "swap",
                isLVM: partition.role == .linuxLVM || signature?.type == "LVM2_member"))
        }
        let length = (try? image.store.length()) ?? 0
        return DiskFacts(
            format: image.format.rawValue, virtualSize: image.device.size, fileLength: length, partitionTable: table,
            partitions: partitions, rootPartition: root.volume.number)
    }

    /// Writes the filesystem's metadata back and makes every change of this session part of the image, as one
    /// unit. Call once, at the end of a successful run.
    public func commit() throws(ImagePrepError) {
        guard !committed else { return }
        committed = true
        do {
            try filesystem.close()
        } catch {
            throw ImagePrepError(.commit, "cannot write the filesystem back", image: image.path, cause: error.description)
        }
        do {
            try image.commitEdits()
        } catch {
            throw ImagePrepError(.commit, "cannot commit the changes", image: image.path, cause: error.description)
        }
    }
}

extension DiskImage {
    /// Makes the session's writes part of the image (the edit journal's commit).
    func commitEdits() throws(BlockIOError) {
        try commit()
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
