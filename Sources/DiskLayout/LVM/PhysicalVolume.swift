public import BlockIO

/// An LVM2 physical volume found on a device (a partition or the whole disk): its label, its header and the
/// metadata text each of its metadata areas holds.
public struct PhysicalVolume {
    /// One committed copy of the volume group metadata read from a metadata area.
    public struct MetadataCopy: Sendable {
        /// The area's offset on the physical volume.
        public let areaOffset: UInt64
        /// The text (without its final NUL).
        public let text: [UInt8]
    }

    /// The largest metadata text read (LVM's default area is 1 MiB; a bigger text is refused, not allocated).
    public static let maximumTextSize: UInt64 = 64 << 20

    /// The device the PV is on.
    public let device: any BlockDevice
    /// Where the PV is: "partition 2", "the whole disk".
    public let location: String
    /// The label.
    public let label: PhysicalVolumeLabel
    /// The PV header.
    public let header: PhysicalVolumeHeader
    /// The committed metadata copies, one per metadata area that holds one.
    public let metadata: [MetadataCopy]

    /// The PV UUID as the metadata text writes it.
    public var uuid: String { header.uuid }

    /// Reads the PV on `device`, or answers `nil` when none of its first four sectors holds an LVM2 label.
    ///
    /// - Throws: ``DiskLayoutError`` naming the structure, field and offset on the device when a label was
    ///   found but the header, a metadata area header or a metadata text is damaged (checksums are checked).
    public static func read(from device: any BlockDevice, location: String) throws(DiskLayoutError) -> PhysicalVolume? {
        let sectorSize = PhysicalVolumeLabel.sectorSize
        let count = min(UInt64(PhysicalVolumeLabel.scanSectors), device.size / UInt64(sectorSize))
        for number in 0..<count {
            let offset = number * UInt64(sectorSize)
            let sector = try device.readStructure(at: offset, count: sectorSize, structure: "LVM2 label")
            guard let label = try PhysicalVolumeLabel(sector: sector, number: number, deviceOffset: offset) else {
                continue
            }
            let header = try PhysicalVolumeHeader(
                sector: sector, offset: Int(label.contentsOffset), deviceOffset: offset)
            var copies: [MetadataCopy] = []
            for area in header.metadataAreas {
                if let text = try committedText(in: area, of: device) {
                    copies.append(MetadataCopy(areaOffset: area.offset, text: text))
                }
            }
            return PhysicalVolume(device: device, location: location, label: label, header: header, metadata: copies)
        }
        return nil
    }

    /// Where the first extent of a PV starts (its first data area), found in `head`, the first bytes of its
    /// device (up to four sectors); `nil` when they hold no LVM2 label or the offset is not past them.
    ///
    /// - Throws: ``DiskLayoutError`` when the label or PV header is damaged.
    static func dataStart(inFirstSectors head: [UInt8]) throws(DiskLayoutError) -> UInt64? {
        let sectorSize = PhysicalVolumeLabel.sectorSize
        let count = min(PhysicalVolumeLabel.scanSectors, head.count / sectorSize)
        for number in 0..<count {
            let sector = Array(head[(number * sectorSize)..<((number + 1) * sectorSize)])
            let offset = UInt64(number * sectorSize)
            guard let label = try PhysicalVolumeLabel(sector: sector, number: UInt64(number), deviceOffset: offset)
            else {
                continue
            }
            let header = try PhysicalVolumeHeader(
                sector: sector, offset: Int(label.contentsOffset), deviceOffset: offset)
            let labelEnd = UInt64(PhysicalVolumeLabel.scanSectors * sectorSize)
            guard let start = header.dataAreas.first?.offset, start >= labelEnd else { return nil }
            return start
        }
        return nil
    }

    /// The committed text of one metadata area, `nil` when it holds none (a fresh or ignored area).
    static func committedText(
        in area: PhysicalVolumeArea, of device: any BlockDevice
    ) throws(DiskLayoutError)
        -> [UInt8]?
    {
        let structure = "LVM2 metadata area"
        let headerSize = UInt64(MetadataAreaHeader.size)
        guard area.size > headerSize, area.offset <= device.size, area.size <= device.size - area.offset else {
            throw DiskLayoutError(
                .lvmMetadata,
                "the metadata area \(area.offset)+\(area.size) does not fit in the \(device.size)-byte device",
                structure: "LVM2 PV header", field: "disk_areas_xl (metadata)", offset: area.offset)
        }
        let header = try MetadataAreaHeader(
            parsing: try device.readStructure(at: area.offset, count: Int(headerSize), structure: structure),
            deviceOffset: area.offset)
        guard header.start == area.offset, header.areaSize == area.size else {
            throw DiskLayoutError(
                .lvmMetadata,
                "the header says the area is \(header.start)+\(header.areaSize), the PV header \(area.offset)+\(area.size)",
                structure: "LVM2 metadata area header", field: "start/size", offset: area.offset + 24)
        }
        guard let location = header.locations.first, !location.isIgnored, location.size > 0 else { return nil }
        let ring = area.size - headerSize
        guard location.offset >= headerSize, location.offset < area.size, location.size <= ring,
            location.size <= maximumTextSize
        else {
            throw DiskLayoutError(
                .lvmMetadata,
                "the metadata text at \(location.offset) of \(location.size) bytes does not fit in the \(area.size)-byte area",
                structure: "LVM2 metadata area header", field: "raw_locns[0]", offset: area.offset + 40)
        }
        // The text may wrap: what does not fit before the area's end continues right after the header.
        let first = min(location.size, area.size - location.offset)
        var text = try device.readStructure(
            at: area.offset + location.offset, count: Int(first), structure: "LVM2 metadata text")
        if first < location.size {
            text += try device.readStructure(
                at: area.offset + headerSize, count: Int(location.size - first), structure: "LVM2 metadata text")
        }
        let computed = LVMChecksum.checksum(text)
        guard computed == location.checksum else {
            throw DiskLayoutError(
                .checksumMismatch,
                "the metadata text's checksum is 0x\(String(computed, radix: 16)), the header says 0x\(String(location.checksum, radix: 16))",
                structure: "LVM2 metadata area header", field: "raw_locns[0].checksum",
                offset: area.offset + location.offset)
        }
        if let end = text.firstIndex(of: 0) { text.removeSubrange(end...) }
        return text
    }
}
