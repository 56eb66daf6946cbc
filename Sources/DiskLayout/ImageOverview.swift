public import BlockIO

/// What `vhdedit info` shows: the image container (format, sizes, VHD fields, parent chain) and the partition
/// table inside it, with each partition's filesystem.
///
/// A partition table that cannot be read does not hide the container's facts: the error is kept in
/// ``layoutError`` and the rest of the overview is still there.
public struct ImageOverview: Encodable, Sendable {
    /// The container facts.
    public let image: ImageInfo
    /// The partition table and filesystems, when they could be read.
    public let layout: DiskLayoutReport?
    /// Why the partition table could not be read, when it could not.
    public let layoutError: String?

    /// Reads the overview of the image at `path` (read-only, shared lock; no byte is written).
    ///
    /// - Parameter partition: the partition later commands would use (`--partition N`), checked in the report.
    /// - Parameter volume: the `--volume VG/LV` later commands would use, checked likewise.
    /// - Parameter path: the image file on the host.
    /// - Throws: `BlockIOError` when the image itself cannot be opened.
    public static func read(
        path: String, partition: Int? = nil, volume: LogicalVolumeName? = nil
    )
        throws(BlockIOError) -> ImageOverview
    {
        of(try DiskImage.open(path: path), partition: partition, volume: volume)
    }

    /// The overview of an image already opened (its partition table is read now).
    ///
    /// - Parameters:
    ///   - opened: the image, opened read-only.
    ///   - partition: the partition later commands would use (`--partition N`), checked in the report.
    ///   - volume: the `--volume VG/LV` later commands would use, checked likewise.
    ///   - fstab: reads a logical volume's own `/etc/fstab` for ``RootSelector`` (rule 4b); `nil` skips that rule.
    public static func of(
        _ opened: DiskImage, partition: Int? = nil, volume: LogicalVolumeName? = nil, fstab: RootMountProbe? = nil
    ) -> ImageOverview {
        let info = ImageInfo(image: opened)
        do {
            let disk = try PartitionedDisk.inspect(opened.device)
            return ImageOverview(
                image: info, layout: DiskLayoutReport(disk, partition: partition, volume: volume, fstab: fstab),
                layoutError: nil)
        } catch {
            return ImageOverview(image: info, layout: nil, layoutError: error.description)
        }
    }

    /// The container facts alone, for an image whose disk cannot be read (a differencing disk without its
    /// parent): `reason` says why there is no partition table.
    public static func containerOnly(_ info: ImageInfo, reason: String) -> ImageOverview {
        ImageOverview(image: info, layout: nil, layoutError: reason)
    }

    private enum CodingKeys: String, CodingKey { case layout, layoutError }

    /// Encodes the container facts at the top level (as `ImageInfo` does) plus `layout` / `layoutError`.
    public func encode(to encoder: any Encoder) throws {
        try image.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(layout, forKey: .layout)
        try container.encodeIfPresent(layoutError, forKey: .layoutError)
    }
}
