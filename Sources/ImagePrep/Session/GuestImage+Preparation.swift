internal import BlockIO
internal import DiskLayout
internal import Ext4

/// A ``GuestImage`` seen the way image preparation needs it: the root filesystem as ``GuestFiles``, the
/// container and partition facts ``ReadinessChecker`` needs, and errors as ``ImagePrepError``.
///
/// A writable image keeps every write in the image's edit journal until ``commitAndClose()``; dropping it
/// without committing leaves the image as it was.
extension GuestImage {
    /// Opens `path` and its Linux root (`partition` overrides the detection, 1-based) as
    /// ``open(path:writable:partition:volume:)`` does, with the errors of the layers below given as one
    /// ``ImagePrepError`` whose `cause` is theirs (matched by type and code, never by message text).
    ///
    /// - Parameters:
    ///   - path: The image file (raw, VHD, VHDX or qcow2).
    ///   - partition: The partition to use, 1-based like `/dev/sda1`; `nil` detects the Linux root.
    ///   - volume: The logical volume to use (`VG/LV`) instead of a partition.
    ///   - writable: Whether to open for writing (exclusive lock) or reading (shared lock).
    /// - Returns: The opened image.
    /// - Throws: ``ImagePrepError/Code/image`` (the image or its table cannot be read), ``ImagePrepError/Code/noRoot``
    ///   (no or several Linux roots), ``ImagePrepError/Code/filesystem`` (the root cannot be opened, for example
    ///   a journal that needs recovery when writing).
    public static func openForPreparation(
        path: String, partition: Int? = nil, volume: String? = nil, writable: Bool = false
    ) throws(ImagePrepError) -> GuestImage {
        do {
            return try GuestImage.open(path: path, writable: writable, partition: partition, volume: volume)
        } catch var error as BlockIOError {
            if error.path == path { error.path = nil }  // named once, as the image
            if error.code == .cannotOpen {  // "cannot open the image" said once
                throw ImagePrepError(.image, error.description, image: path)
            }
            throw ImagePrepError(.image, "cannot open the image", image: path, cause: error)
        } catch var error as DiskLayoutError {
            error.image = nil
            throw ImagePrepError(.noRoot, "no Linux root filesystem to work in", image: path, cause: error)
        } catch var error as Ext4Error {
            error.image = nil
            throw ImagePrepError(.filesystem, "cannot open the root filesystem", image: path, cause: error)
        } catch {
            throw ImagePrepError(.image, "cannot open the image", image: path, cause: error)
        }
    }

    /// The root filesystem as ``GuestFiles``, with the logical volumes its fstab mounts below `/` routed to
    /// (``MountedGuestFiles``) when there are any.
    static func guestFiles(filesystem: Ext4FileSystem, mounts: [GuestMount]) -> any GuestFiles {
        let root = Ext4GuestFiles(filesystem: filesystem)
        guard !mounts.isEmpty else { return root }
        return MountedGuestFiles(
            root: root,
            mounts: mounts.map {
                (mountPoint: $0.mountPoint, files: Ext4GuestFiles(filesystem: $0.filesystem) as any GuestFiles)
            })
    }

    /// The disk facts of an opened image.
    static func facts(image: DiskImage, disk: PartitionedDisk, root: RootSelection) -> DiskFacts {
        let table = DiskFacts.spelling(of: disk.table.kind)
        var partitions: [PartitionFacts] = []
        for volume in disk.volumes {
            guard let partition = volume.partition else { continue }
            if partition.role == .extended || partition.role == .gptProtective { continue }
            let partUUID = disk.table.partUUID(of: partition)
            let signature = volume.signature
            partitions.append(
                PartitionFacts(
                    number: partition.number, start: partition.start, size: partition.size,
                    typeName: partition.type.name,
                    partUUID: partUUID,
                    filesystem: signature.map { FilesystemIdentity(type: $0.type, uuid: $0.uuid, label: $0.label) },
                    isSwap: partition.role == .linuxSwap || signature?.type == "swap",
                    isLVM: partition.role == .linuxLVM || signature?.type == "LVM2_member"))
        }
        let length = (try? image.store.length()) ?? 0
        var facts = DiskFacts(
            format: image.format.rawValue, virtualSize: image.device.size, fileLength: length, partitionTable: table,
            partitions: partitions, rootPartition: root.volume.number)
        facts.rootVolume = root.volume.logicalVolume?.description
        if let footer = image.vhd?.structure.footer, footer.savedState != 0 { facts.savedState = true }
        facts.rootReason = root.reason
        if !disk.lvm.isEmpty {
            facts.logicalVolumes = disk.lvm.logicalVolumes.map { lv in
                let signature = disk.logicalVolume(lv.name)?.signature
                var facts = LogicalVolumeFacts(
                    path: lv.name.description, group: lv.name.group, name: lv.name.volume,
                    mapperName: lv.name.mapperName,
                    size: lv.size,
                    filesystem: signature.map { FilesystemIdentity(type: $0.type, uuid: $0.uuid, label: $0.label) },
                    refused: lv.openError?.message)
                let groupUUID = disk.lvm.groups.first { $0.name == lv.name.group }?.metadata.id ?? ""
                facts.deviceMapperUUID = "LVM-" + (groupUUID + lv.entry.id).filter { $0 != "-" }
                return facts
            }
            facts.lvmProblems = disk.lvm.problems.map(\.description)
        }
        return facts
    }

    /// What opening found that a reader should know (a journal that needs recovery: what is read may be
    /// stale; a VHD footer read from its copy...), as findings.
    public var findings: [Finding] {
        image.pendingEdits.map { Finding(.warning, operation: "edit-journal", path: $0.journal, $0.message) }
            + (image.vhd?.warnings ?? []).map { Finding(.warning, operation: "image", $0) }
            + layoutWarnings.map { Finding(.warning, operation: "partition-table", $0.detail) }
            + filesystem.warnings.map { Finding(.warning, operation: "filesystem", $0.message) }
    }

    /// Writes the filesystem's metadata back and makes every change of this session part of the image, as one
    /// unit, then closes (``close()``), with the error as ``ImagePrepError``. Call once, at the end of a
    /// successful run; a second call does nothing.
    ///
    /// - Throws: ``ImagePrepError/Code/commit`` (the image is then as it was).
    public func commitAndClose() throws(ImagePrepError) {
        do { try close() } catch {
            throw ImagePrepError(
                .commit, "cannot commit the changes; the image is as it was", image: image.path, cause: error)
        }
    }
}
