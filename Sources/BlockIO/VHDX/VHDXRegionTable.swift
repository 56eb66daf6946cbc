/// The 64 KiB region table (at 192 KiB, its copy at 256 KiB): where the BAT and the metadata region lie.
/// All integers little-endian.
///
/// | offset | size | field | notes |
/// |---:|---:|---|---|
/// | 0 | 4 | signature | `regi` |
/// | 4 | 4 | checksum | CRC-32C of the 64 KiB, this field as zero |
/// | 8 | 4 | entry_count | ≤ 2047 |
/// | 12 | 4 | reserved | |
/// | 16 | 32 × n | entries | see below |
///
/// Each entry:
///
/// | offset | size | field | notes |
/// |---:|---:|---|---|
/// | 0 | 16 | guid | BAT `2DC27766-F623-4200-9D64-115E9BFD4A08`, metadata `8B7CA206-4790-4B9A-B8FE-575F050F886E` |
/// | 16 | 8 | file_offset | multiple of 1 MiB, ≥ 1 MiB |
/// | 24 | 4 | length | multiple of 1 MiB |
/// | 28 | 4 | required | bit 0: a reader that does not know the region must refuse the file |
public struct VHDXRegionTable: Hashable, Sendable {
    /// One region.
    public struct Entry: Hashable, Sendable {
        /// The region's GUID (BAT or metadata).
        public var guid: VHDXGUID
        /// Where the region starts in the file.
        public var fileOffset: UInt64
        /// The region's length in bytes.
        public var length: UInt32
        /// The `Required` bit: an unknown required region makes the file unreadable.
        public var isRequired: Bool
        /// The file bytes the region covers.
        public var range: Range<UInt64> { fileOffset..<fileOffset + UInt64(length) }
    }

    /// The table's size in bytes.
    public static let size = 64 << 10
    /// The two copies' offsets in the file.
    public static let offsets: [UInt64] = [192 << 10, 256 << 10]
    /// The most entries a table holds.
    public static let maximumEntries = 2047
    /// `regi`.
    public static let signatureValue: [UInt8] = Array("regi".utf8)
    /// The BAT region's GUID.
    public static let batGUID = VHDXGUID.known("2DC27766-F623-4200-9D64-115E9BFD4A08")
    /// The metadata region's GUID.
    public static let metadataGUID = VHDXGUID.known("8B7CA206-4790-4B9A-B8FE-575F050F886E")

    /// The table's entries, in file order.
    public var entries: [Entry]
    /// Where the table in use was read.
    public var offset: UInt64
    /// The BAT region.
    public var bat: Entry
    /// The metadata region.
    public var metadata: Entry

    /// Reads the first table whose signature and checksum are right (the copy when the first is damaged) and
    /// checks its entries against the file: 1 MiB alignment, inside `fileLength`, no region overlapping another,
    /// the header section (first 1 MiB) or `log`; the BAT and metadata regions present once each; no unknown
    /// required region.
    ///
    /// - Throws: ``BlockIOError`` naming the field and byte offset at fault: `checksumMismatch`/`badCookie`
    ///   when neither copy is intact, `invalidField`, `overlap`, `truncated`, `unsupported`.
    public init(reading store: any ByteStore, fileLength: UInt64, log: Range<UInt64>) throws(BlockIOError) {
        var firstDefect: BlockIOError?
        var chosen: (bytes: [UInt8], offset: UInt64)?
        for offset in Self.offsets {
            let bytes = try store.readExactly(at: offset, count: Self.size, structure: "VHDX region table")
            if let defect = Self.defect(bytes, path: store.path, offset: offset) {
                if firstDefect == nil { firstDefect = defect }
                continue
            }
            chosen = (bytes, offset)
            break
        }
        guard let (bytes, offset) = chosen else {
            var error = firstDefect!
            error.message = "neither region table copy is usable: " + error.message
            throw error
        }
        self.offset = offset
        let path = store.path
        let structure = "VHDX region table"
        let count = Int(bytes.littleEndianUInt32(at: 8))
        guard count <= Self.maximumEntries else {
            throw BlockIOError(
                .invalidField, "entry count \(count) is more than \(Self.maximumEntries)", path: path,
                offset: offset + 8, structure: structure, field: "entry_count")
        }
        var entries: [Entry] = []
        var bat: Entry?
        var metadata: Entry?
        for index in 0..<count {
            let at = 16 + 32 * index
            let entryOffset = offset + UInt64(at)
            let entry = Entry(
                guid: VHDXGUID(bytes: Array(bytes[at..<at + 16])), fileOffset: bytes.littleEndianUInt64(at: at + 16),
                length: bytes.littleEndianUInt32(at: at + 24),
                isRequired: bytes.littleEndianUInt32(at: at + 28) & 1 != 0)
            let field = "entry \(index)"
            guard entry.fileOffset >= 1 << 20, entry.fileOffset % (1 << 20) == 0, entry.length % (1 << 20) == 0,
                entry.length > 0
            else {
                throw BlockIOError(
                    .invalidField,
                    "region \(entry.guid) at \(entry.fileOffset), \(entry.length) bytes, is not whole MiBs at or after 1 MiB",
                    path: path, offset: entryOffset + 16, structure: structure, field: field)
            }
            guard entry.fileOffset <= fileLength, UInt64(entry.length) <= fileLength - entry.fileOffset else {
                throw BlockIOError(
                    .truncated,
                    "region \(entry.guid) (\(entry.length) bytes at \(entry.fileOffset)) ends past the end of the file (\(fileLength))",
                    path: path, offset: entryOffset + 16, structure: structure, field: field)
            }
            if !log.isEmpty, entry.range.overlaps(log) {
                throw BlockIOError(
                    .overlap, "region \(entry.guid) at \(entry.fileOffset) overlaps the log at \(log.lowerBound)",
                    path: path, offset: entryOffset + 16, structure: structure, field: field)
            }
            if let other = entries.firstIndex(where: { $0.range.overlaps(entry.range) || $0.guid == entry.guid }) {
                throw BlockIOError(
                    .overlap,
                    entries[other].guid == entry.guid
                        ? "region \(entry.guid) is listed twice (entries \(other) and \(index))"
                        : "region \(entry.guid) at \(entry.fileOffset) overlaps entry \(other) at \(entries[other].fileOffset)",
                    path: path, offset: entryOffset, structure: structure, field: field)
            }
            switch entry.guid {
            case Self.batGUID: bat = entry
            case Self.metadataGUID: metadata = entry
            default:
                if entry.isRequired {
                    throw BlockIOError(
                        .unsupported, "required region \(entry.guid) is not known to this reader", path: path,
                        offset: entryOffset, structure: structure, field: field)
                }
            }
            entries.append(entry)
        }
        guard let bat, let metadata else {
            throw BlockIOError(
                .invalidField, "the \(bat == nil ? "BAT" : "metadata") region is missing", path: path,
                offset: offset + 8,
                structure: structure, field: "entry_count")
        }
        self.entries = entries
        self.bat = bat
        self.metadata = metadata
    }

    private static func defect(_ bytes: [UInt8], path: String, offset: UInt64) -> BlockIOError? {
        let structure = "VHDX region table"
        if Array(bytes[0..<4]) != signatureValue {
            return BlockIOError(
                .badCookie, "expected \"regi\"", path: path, offset: offset, structure: structure, field: "signature")
        }
        let stored = bytes.littleEndianUInt32(at: 4)
        let computed = bytes.vhdxChecksum(skipping: 4)
        if stored != computed {
            return BlockIOError(
                .checksumMismatch, "stored CRC-32C \(VHDChecksum.hex(stored)), computed \(VHDChecksum.hex(computed))",
                path: path, offset: offset + 4, structure: structure, field: "checksum")
        }
        return nil
    }
}
