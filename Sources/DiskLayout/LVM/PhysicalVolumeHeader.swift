/// An area of a physical volume named by its ``PhysicalVolumeHeader`` (`disk_locn`): a data area or a metadata
/// area.
///
/// | Offset | Size | Field |
/// |--------|------|-------|
/// | 0      | 8    | offset in bytes from the start of the physical volume |
/// | 8      | 8    | size in bytes (0 for a data area: up to the end of the device) |
public struct PhysicalVolumeArea: Hashable, Sendable {
    /// Offset in bytes from the start of the physical volume.
    public let offset: UInt64
    /// Size in bytes; 0 for a data area that runs to the end.
    public let size: UInt64
}

/// The PV header (`pv_header`) that follows the ``PhysicalVolumeLabel`` in its sector.
///
/// | Offset | Size | Field |
/// |--------|------|-------|
/// | 0      | 32   | PV UUID (32 characters, shown with dashes as 6-4-4-4-4-4-6) |
/// | 32     | 8    | device size in bytes |
/// | 40     | 16·n | data areas (``PhysicalVolumeArea``), ended by an all-zero entry |
/// | …      | 16·m | metadata areas, ended by an all-zero entry |
/// | …      | …    | (version 2) extension: version, flags, bootloader areas |
///
/// All integers are little-endian. The lists must end inside the label's sector.
public struct PhysicalVolumeHeader: Hashable, Sendable {
    /// The UUID as LVM prints it (`wmTHgw-cEc0-tqD4-mY75-iyri-whXs-Prj4Xi`).
    public let uuid: String
    /// The device size the PV was created for, in bytes.
    public let deviceSize: UInt64
    /// The data areas (one in practice: where the extents start).
    public let dataAreas: [PhysicalVolumeArea]
    /// The metadata areas (zero, one or two).
    public let metadataAreas: [PhysicalVolumeArea]

    /// Parses the header at `offset` of the label sector `sector`.
    ///
    /// - Throws: ``DiskLayoutError/Code/lvmMetadata`` or ``DiskLayoutError/Code/truncated`` when the UUID is not
    ///   32 printable characters or a list does not end inside the sector.
    public init(sector: [UInt8], offset: Int, deviceOffset: UInt64) throws(DiskLayoutError) {
        let reader = ByteReader(sector, diskOffset: deviceOffset, structure: "LVM2 PV header")
        let raw = try reader.bytes(at: offset, count: 32, "pv_uuid")
        guard raw.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw DiskLayoutError(
                .lvmMetadata, "the PV UUID is not 32 printable characters", structure: "LVM2 PV header",
                field: "pv_uuid", offset: deviceOffset + UInt64(offset))
        }
        uuid = Self.formatUUID(String(decoding: raw, as: UTF8.self))
        deviceSize = try reader.uint64(at: offset + 32, "device_size_xl")
        var cursor = offset + 40
        func list(_ field: String) throws(DiskLayoutError) -> [PhysicalVolumeArea] {
            var areas: [PhysicalVolumeArea] = []
            while true {
                let start = try reader.uint64(at: cursor, field)
                let size = try reader.uint64(at: cursor + 8, field)
                cursor += 16
                if start == 0 && size == 0 { return areas }
                areas.append(PhysicalVolumeArea(offset: start, size: size))
            }
        }
        dataAreas = try list("disk_areas_xl (data)")
        metadataAreas = try list("disk_areas_xl (metadata)")
    }

    /// Inserts LVM's dashes into a 32-character ASCII UUID (6-4-4-4-4-4-6), as the metadata text writes PV ids;
    /// any other text is returned as it is.
    public static func formatUUID(_ plain: String) -> String {
        // On bytes: the PV header's UUID is printable ASCII (checked), and this runs on every open.
        let bytes = Array(plain.utf8)
        guard bytes.count == 32 else { return plain }
        var result: [UInt8] = []
        result.reserveCapacity(38)
        for (index, byte) in bytes.enumerated() {
            if index == 6 || index == 10 || index == 14 || index == 18 || index == 22 || index == 26 {
                result.append(UInt8(ascii: "-"))
            }
            result.append(byte)
        }
        return String(decoding: result, as: UTF8.self)
    }
}
