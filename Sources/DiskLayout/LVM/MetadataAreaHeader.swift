/// Where one copy of the metadata text lies in a metadata area's circular buffer (`raw_locn`).
///
/// | Offset | Size | Field |
/// |--------|------|-------|
/// | 0      | 8    | offset of the text from the start of the metadata area |
/// | 8      | 8    | size of the text in bytes (its final NUL included) |
/// | 16     | 4    | ``LVMChecksum`` of the text |
/// | 20     | 4    | flags (bit 0: ignored, the copy is not to be used) |
public struct MetadataLocation: Hashable, Sendable {
    /// `RAW_LOCN_IGNORED`.
    public static let ignoredFlag: UInt32 = 1

    /// Offset of the text from the start of the metadata area.
    public let offset: UInt64
    /// Size of the text in bytes.
    public let size: UInt64
    /// The checksum of the text.
    public let checksum: UInt32
    /// Flags.
    public let flags: UInt32

    /// Whether LVM marked this copy as not to be used (`vgchange --metadataignore`).
    public var isIgnored: Bool { flags & Self.ignoredFlag != 0 }
}

/// The header of a metadata area (`mda_header`): the first 512 bytes of the area, followed by the circular
/// buffer that holds the metadata text.
///
/// | Offset | Size | Field |
/// |--------|------|-------|
/// | 0      | 4    | ``LVMChecksum`` of bytes 4 … 511 |
/// | 4      | 16   | magic `" LVM2 x[5A%r0N*>"` |
/// | 20     | 4    | version (1) |
/// | 24     | 8    | start: the area's offset on the physical volume |
/// | 32     | 8    | size of the area in bytes, this header included |
/// | 40     | 24·n | ``MetadataLocation`` list ended by an all-zero entry: the committed copy first, then the |
/// |        |      | pre-committed one while a change is under way |
///
/// All integers are little-endian.
public struct MetadataAreaHeader: Hashable, Sendable {
    /// The header's size; the circular buffer starts right after it.
    public static let size = 512
    /// `" LVM2 x[5A%r0N*>"`.
    public static let magic = Array(" LVM2 x[5A%r0N*>".utf8)

    /// The format version (1).
    public let version: UInt32
    /// The area's offset on the physical volume.
    public let start: UInt64
    /// The area's size in bytes.
    public let areaSize: UInt64
    /// The text locations: the committed copy first.
    public let locations: [MetadataLocation]

    /// Parses the 512-byte header `bytes` read at `deviceOffset`.
    ///
    /// - Throws: ``DiskLayoutError/Code/badSignature``, ``DiskLayoutError/Code/checksumMismatch``,
    ///   ``DiskLayoutError/Code/unsupported`` (another version) or ``DiskLayoutError/Code/lvmMetadata``.
    public init(parsing bytes: [UInt8], deviceOffset: UInt64) throws(DiskLayoutError) {
        let structure = "LVM2 metadata area header"
        let reader = ByteReader(bytes, diskOffset: deviceOffset, structure: structure)
        let stored = try reader.uint32(at: 0, "checksum")
        guard try reader.bytes(at: 4, count: 16, "magic") == Self.magic else {
            throw DiskLayoutError(
                .badSignature, "the magic is not \" LVM2 x[5A%r0N*>\"", structure: structure, field: "magic",
                offset: deviceOffset + 4)
        }
        let computed = LVMChecksum.checksum(try reader.bytes(at: 4, count: Self.size - 4, "header"))
        guard computed == stored else {
            throw DiskLayoutError(
                .checksumMismatch,
                "the stored checksum is 0x\(String(stored, radix: 16)), the header's is 0x\(String(computed, radix: 16))",
                structure: structure, field: "checksum_xl", offset: deviceOffset)
        }
        version = try reader.uint32(at: 20, "version")
        guard version == 1 else {
            throw DiskLayoutError(
                .unsupported, "version \(version) (only 1 is known)", structure: structure, field: "version",
                offset: deviceOffset + 20)
        }
        start = try reader.uint64(at: 24, "start")
        areaSize = try reader.uint64(at: 32, "size")
        var locations: [MetadataLocation] = []
        var cursor = 40
        while cursor + 24 <= Self.size {
            let location = MetadataLocation(
                offset: try reader.uint64(at: cursor, "raw_locns.offset"),
                size: try reader.uint64(at: cursor + 8, "raw_locns.size"),
                checksum: try reader.uint32(at: cursor + 16, "raw_locns.checksum"),
                flags: try reader.uint32(at: cursor + 20, "raw_locns.flags"))
            if location.offset == 0 && location.size == 0 && location.checksum == 0 && location.flags == 0 { break }
            locations.append(location)
            cursor += 24
        }
        self.locations = locations
    }
}
