/// The Block Allocation Table of a dynamic or differencing VHD, at the header's `table_offset`.
///
/// | offset | size | field | notes |
/// |---:|---:|---|---|
/// | 4·i | 4 | entry i | big-endian sector number (offset / 512) of block i's bitmap; `0xFFFFFFFF` = not allocated |
/// | 4·n | … | padding | `0xFF` up to a multiple of 512 bytes |
public struct BlockAllocationTable: Hashable, Sendable {
    /// The entry value of a block that is not allocated.
    public static let unallocated: UInt32 = 0xFFFF_FFFF

    /// One entry per block.
    public var entries: [UInt32]

    /// A table of these entries (sector numbers, or ``unallocated``).
    public init(entries: [UInt32]) { self.entries = entries }

    /// A table of `count` unallocated entries.
    public init(unallocatedCount count: Int) {
        entries = [UInt32](repeating: Self.unallocated, count: count)
    }

    /// Decodes `bytes.count / 4` big-endian entries.
    public init(parsing bytes: [UInt8]) {
        entries = BigEndianWords.decode(bytes)
    }

    /// Reads the `count` entries at `offset` of `store`.
    ///
    /// - Throws: ``BlockIOError/Code/truncated`` when the file ends first.
    public init(reading store: any ByteStore, at offset: UInt64, count: Int) throws(BlockIOError) {
        entries = try BigEndianWords.read(from: store, at: offset, count: count, structure: "BAT")
    }

    /// The indices of the allocated entries, in order (found a machine word at a time: a large table is nearly
    /// all unallocated).
    public func allocatedIndices() -> [Int] {
        BigEndianWords.positions(notEqualToAllOnes: entries)
    }

    /// The table's bytes, padded with `0xFF` to a multiple of 512.
    public func serialized() -> [UInt8] {
        var bytes = [UInt8](repeating: 0xFF, count: Self.byteCount(entries: entries.count))
        for (i, entry) in entries.enumerated() { bytes.storeBigEndian(entry, at: 4 * i) }
        return bytes
    }

    /// The on-disk size of a table of `entries` entries, padded to 512 bytes.
    public static func byteCount(entries: Int) -> Int { (entries * 4 + 511) / 512 * 512 }

    /// The number of allocated blocks.
    public var allocatedCount: Int { allocatedIndices().count }

    /// The file offset of block `index`'s bitmap, or `nil` when it is not allocated.
    public func bitmapOffset(ofBlock index: Int) -> UInt64? {
        let entry = entries[index]
        return entry == Self.unallocated ? nil : UInt64(entry) * 512
    }

    /// Checks that every allocated block (bitmap + data, `blockSpan` bytes) lies inside `dataArea` and that
    /// no two blocks share bytes. `metadata` names the regions a block must not touch (footer copy, header,
    /// BAT, locator data), for the error message.
    ///
    /// - Throws: ``BlockIOError/Code/invalidField`` for an entry past the end of the data area,
    ///   ``BlockIOError/Code/overlap`` for one overlapping metadata or another block; the error names the entry
    ///   and its byte offset in the table.
    public func validate(
        path: String, tableOffset: UInt64, blockSpan: UInt64, dataEnd: UInt64,
        metadata: [(name: String, range: Range<UInt64>)]
    ) throws(BlockIOError) {
        try validate(
            path: path, tableOffset: tableOffset, blockSpan: blockSpan, dataEnd: dataEnd,
            metadata: metadata.map { FileRegion(name: $0.name, range: $0.range) }, allocated: allocatedIndices())
    }

    /// ``validate(path:tableOffset:blockSpan:dataEnd:metadata:)`` with the ``allocatedIndices()`` already found.
    func validate(
        path: String, tableOffset: UInt64, blockSpan: UInt64, dataEnd: UInt64,
        metadata: [FileRegion], allocated: [Int]
    ) throws(BlockIOError) {
        var blocks: [(start: UInt64, index: Int)] = []
        for index in allocated {
            let entry = entries[index]
            let start = UInt64(entry) * 512
            let field = "entry \(index)"
            let entryOffset = tableOffset + 4 * UInt64(index)
            for region in metadata where region.range.overlaps(start..<start + blockSpan) {
                throw BlockIOError(
                    .overlap, "block at byte \(start) overlaps the \(region.name) (\(region.range))", path: path,
                    offset: entryOffset, structure: "BAT", field: field)
            }
            guard start + blockSpan <= dataEnd else {
                throw BlockIOError(
                    .invalidField,
                    "block at byte \(start) (sector \(entry)) ends at \(start + blockSpan), past the end of the data area (\(dataEnd))",
                    path: path, offset: entryOffset, structure: "BAT", field: field)
            }
            blocks.append((start, index))
        }
        blocks.sort { $0.start < $1.start }
        for pair in zip(blocks, blocks.dropFirst()) where pair.0.start + blockSpan > pair.1.start {
            throw BlockIOError(
                .overlap,
                "block at byte \(pair.1.start) overlaps block \(pair.0.index) at byte \(pair.0.start)", path: path,
                offset: tableOffset + 4 * UInt64(pair.1.index), structure: "BAT", field: "entry \(pair.1.index)")
        }
    }
}

/// A named byte range of a VHD file that blocks must not overlap (footer copy, header, BAT, locator data). A
/// struct, not a `(name: String, range: Range<UInt64>)` tuple: an array of those tuples needs the metadata of
/// `Range<UInt64>`, whose first instantiation made the Swift runtime scan every protocol-conformance record of
/// the binary at each open.
struct FileRegion {
    /// What the bytes are, for error messages.
    var name: String
    /// The bytes.
    var range: Range<UInt64>
}
