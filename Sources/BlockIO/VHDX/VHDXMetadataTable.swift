/// The metadata table at the start of the metadata region: which metadata items the file holds and where.
/// All integers little-endian.
///
/// | offset | size | field | notes |
/// |---:|---:|---|---|
/// | 0 | 8 | signature | `metadata` |
/// | 8 | 2 | reserved | |
/// | 10 | 2 | entry_count | ≤ 2047 |
/// | 12 | 20 | reserved | |
/// | 32 | 32 × n | entries | see below |
///
/// Each entry:
///
/// | offset | size | field | notes |
/// |---:|---:|---|---|
/// | 0 | 16 | item_id | the item's GUID (``VHDXMetadata``) |
/// | 16 | 4 | offset | from the region's start; ≥ 64 KiB (0 when length is 0) |
/// | 20 | 4 | length | ≤ 1 MiB |
/// | 24 | 4 | flags | bit 0 is_user, bit 1 is_virtual_disk, bit 2 is_required |
/// | 28 | 4 | reserved | |
public struct VHDXMetadataTable: Hashable, Sendable {
    /// One metadata item's place.
    public struct Entry: Hashable, Sendable {
        /// The item's GUID.
        public var itemID: VHDXGUID
        /// Where the item starts, from the start of the metadata region.
        public var offset: UInt32
        /// The item's length in bytes.
        public var length: UInt32
        /// The `IsUser` bit.
        public var isUser: Bool
        /// The `IsVirtualDisk` bit.
        public var isVirtualDisk: Bool
        /// The `IsRequired` bit: an unknown required item makes the file unreadable.
        public var isRequired: Bool
        /// Where the entry itself lies in the file (for error messages).
        public var entryFileOffset: UInt64
    }

    /// The table's size in bytes (the items follow it).
    public static let size = 64 << 10
    /// The most entries a table holds.
    public static let maximumEntries = 2047
    /// The largest item.
    public static let maximumItemLength: UInt32 = 1 << 20
    /// `metadata`.
    public static let signatureValue: [UInt8] = Array("metadata".utf8)

    /// The table's entries, in file order.
    public var entries: [Entry]

    /// Reads the table at the start of `region` and checks each entry lies inside the region, after the table,
    /// and overlaps no other.
    ///
    /// - Throws: ``BlockIOError`` naming the entry and its byte offset: `badCookie`, `invalidField`, `overlap`.
    public init(reading store: any ByteStore, region: VHDXRegionTable.Entry) throws(BlockIOError) {
        let structure = "VHDX metadata table"
        let path = store.path
        let base = region.fileOffset
        let bytes = try store.readExactly(at: base, count: Self.size, structure: structure)
        guard Array(bytes[0..<8]) == Self.signatureValue else {
            throw BlockIOError(
                .badCookie, "expected \"metadata\"", path: path, offset: base, structure: structure, field: "signature")
        }
        let count = Int(bytes.littleEndianUInt16(at: 10))
        guard count <= Self.maximumEntries else {
            throw BlockIOError(
                .invalidField, "entry count \(count) is more than \(Self.maximumEntries)", path: path,
                offset: base + 10,
                structure: structure, field: "entry_count")
        }
        var entries: [Entry] = []
        for index in 0..<count {
            let at = 32 + 32 * index
            let flags = bytes.littleEndianUInt32(at: at + 24)
            let entry = Entry(
                itemID: VHDXGUID(bytes: Array(bytes[at..<at + 16])), offset: bytes.littleEndianUInt32(at: at + 16),
                length: bytes.littleEndianUInt32(at: at + 20), isUser: flags & 1 != 0, isVirtualDisk: flags & 2 != 0,
                isRequired: flags & 4 != 0, entryFileOffset: base + UInt64(at))
            let field = "entry \(index)"
            let inside =
                entry.length == 0
                || (entry.offset >= Self.size && entry.length <= Self.maximumItemLength
                    && UInt64(entry.offset) + UInt64(entry.length) <= UInt64(region.length))
            guard inside else {
                throw BlockIOError(
                    .invalidField,
                    "item \(entry.itemID) (\(entry.length) bytes at \(entry.offset)) is not inside the metadata region "
                        + "after its table (\(region.length) bytes, items at most 1 MiB)",
                    path: path, offset: entry.entryFileOffset + 16, structure: structure, field: field)
            }
            let range = UInt64(entry.offset)..<UInt64(entry.offset) + UInt64(entry.length)
            if let other = entries.firstIndex(where: {
                $0.itemID == entry.itemID
                    || (UInt64($0.offset)..<UInt64($0.offset) + UInt64($0.length)).overlaps(range)
            }) {
                throw BlockIOError(
                    .overlap,
                    entries[other].itemID == entry.itemID
                        ? "item \(entry.itemID) is listed twice (entries \(other) and \(index))"
                        : "item \(entry.itemID) at \(entry.offset) overlaps entry \(other) at \(entries[other].offset)",
                    path: path, offset: entry.entryFileOffset, structure: structure, field: field)
            }
            entries.append(entry)
        }
        self.entries = entries
    }
}
