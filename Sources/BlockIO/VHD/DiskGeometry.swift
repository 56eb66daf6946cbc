/// The cylinder/head/sector geometry a VHD footer stores (footer offsets 56, 58, 59).
///
/// Computed with the algorithm of the VHD specification's appendix (identical in qemu `calculate_geometry`,
/// VirtualBox and blktap): the geometry always rounds *down*, so `sectors * 512 <= size`, and tops out at
/// 65535/16/255 (136899993600 bytes). Sizes that are not a product `C*H*S*512` cannot be described exactly.
public struct DiskGeometry: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Cylinders (footer bytes 56–57), at most 65535.
    public var cylinders: UInt16
    /// Heads (footer byte 58), at most 16.
    public var heads: UInt8
    /// Sectors per track (footer byte 59), at most 255.
    public var sectorsPerTrack: UInt8

    /// A geometry as stored, whatever size it addresses.
    public init(cylinders: UInt16, heads: UInt8, sectorsPerTrack: UInt8) {
        self.cylinders = cylinders
        self.heads = heads
        self.sectorsPerTrack = sectorsPerTrack
    }

    /// The largest geometry, 65535/16/255. Readers (qemu of every version) take `current_size` as the disk size
    /// when they see it, whatever the creator.
    public static let maximum = DiskGeometry(cylinders: 65535, heads: 16, sectorsPerTrack: 255)

    /// The number of 512-byte sectors the geometry addresses.
    public var sectorCount: UInt64 { UInt64(cylinders) * UInt64(heads) * UInt64(sectorsPerTrack) }

    /// The byte size the geometry addresses (`C*H*S*512`).
    public var byteCount: UInt64 { sectorCount * 512 }

    /// Whether this is ``maximum``.
    public var isMaximum: Bool { self == .maximum }

    /// `C/H/S`, as `vhdedit info` prints it.
    public var description: String { "\(cylinders)/\(heads)/\(sectorsPerTrack)" }

    /// The specification's geometry for a disk of `size` bytes (rounded down to whole sectors first).
    public init(forSize size: UInt64) {
        self.init(forSectors: size / 512)
    }

    /// The specification's geometry for `sectorCount` sectors.
    public init(forSectors sectorCount: UInt64) {
        var totalSectors = sectorCount
        let maxSectors: UInt64 = 65535 * 16 * 255
        if totalSectors > maxSectors { totalSectors = maxSectors }
        var sectorsPerTrack: UInt64
        var heads: UInt64
        var cylinderTimesHeads: UInt64
        if totalSectors >= 65535 * 16 * 63 {
            sectorsPerTrack = 255
            heads = 16
            cylinderTimesHeads = totalSectors / sectorsPerTrack
        } else {
            sectorsPerTrack = 17
            cylinderTimesHeads = totalSectors / sectorsPerTrack
            heads = (cylinderTimesHeads + 1023) / 1024
            if heads < 4 { heads = 4 }
            if cylinderTimesHeads >= heads * 1024 || heads > 16 {
                sectorsPerTrack = 31
                heads = 16
                cylinderTimesHeads = totalSectors / sectorsPerTrack
            }
            if cylinderTimesHeads >= heads * 1024 {
                sectorsPerTrack = 63
                heads = 16
                cylinderTimesHeads = totalSectors / sectorsPerTrack
            }
        }
        let cylinders = cylinderTimesHeads / heads
        self.init(
            cylinders: UInt16(min(cylinders, 65535)), heads: UInt8(heads), sectorsPerTrack: UInt8(sectorsPerTrack))
    }

    /// The geometry vhdedit writes for a disk of exactly `size` bytes (a multiple of 512): the specification's
    /// geometry when it describes `size` exactly, else ``maximum`` — so that every reader, including qemu before
    /// 10.0 (which trusts the geometry for unknown creators unless it is the maximum), sees `size`
    /// (vhd-format.md §5, §11 case 2).
    public static func written(forSize size: UInt64) -> DiskGeometry {
        let exact = DiskGeometry(forSize: size)
        return exact.byteCount == size ? exact : .maximum
    }

    /// The size qemu-img (without `force_size`) rounds a requested size up to: the first sector count whose
    /// geometry covers it (qemu `calculate_rounded_image_size`); sizes at the maximum geometry are kept.
    public static func qemuRoundedSize(_ size: UInt64) -> UInt64 {
        let wanted = size / 512
        let maxSectors: UInt64 = 65535 * 16 * 255
        var candidate = min(wanted, maxSectors)
        while true {
            let geometry = DiskGeometry(forSectors: candidate)
            if geometry.isMaximum { return size }
            if geometry.sectorCount >= wanted { return geometry.byteCount }
            candidate += 1
        }
    }
}
