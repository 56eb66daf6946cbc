/// Where a qcow2 disk's bytes are: one unit (a cluster, or a subcluster with extended L2 entries).
public enum Qcow2Mapping: Sendable, Equatable {
    /// Stored one for one in the file at `hostOffset` (the unit's first byte).
    case data(hostOffset: UInt64)
    /// Reads as zeros (a zero cluster or subcluster).
    case zero
    /// Not allocated: read from the backing file (zeros without one).
    case backing
    /// The whole cluster is compressed: `size` bytes at `hostOffset` decode to one cluster.
    case compressed(hostOffset: UInt64, size: Int)
}

/// The two-level cluster table of a qcow2 image: the L1 table (read whole at open) and the L2 tables (read on
/// demand, a few kept).
///
/// L1 entry (64 bits): bits 9–55 the L2 table's offset (0: none), bit 63 "copied". Standard L2 entry: bit 0
/// zero cluster, bits 9–55 the data cluster's offset (0: unallocated), bit 62 compressed, bit 63 copied; a
/// compressed entry holds the byte offset in its low `62 − (cluster_bits − 8)` bits and the count of extra 512-byte
/// sectors above them. Extended L2 entries add a 64-bit subcluster bitmap: bit `i` allocated, bit `32 + i` zero.
///
/// Every offset is checked against the file before use: L2 tables and data clusters inside the file, cluster
/// aligned, clear of the header cluster, the L1 table and the refcount table. Errors name the table, the entry
/// and its byte offset.
final class Qcow2ClusterMap {
    let store: any ByteStore
    let header: Qcow2Header
    let fileLength: UInt64
    let l1: [UInt64]
    let clusterSize: UInt64
    let entriesPerL2: Int
    /// Bytes of a unit: a cluster, or a subcluster (1/32 of one) with extended L2 entries.
    let unitSize: UInt64
    /// L2 tables as read (big-endian words, decoded by ``lookup(_:)`` one entry at a time: decoding all 8,192
    /// entries of a 64 KiB table up front cost more than a small `cat` used of them) and their L1 indices, oldest
    /// first; at most ``cacheLimit`` bytes of them. Arrays, not an `[Int: [UInt8]]`: the first dictionary made
    /// the Swift runtime scan every protocol-conformance record of the binary at each open (a sixth of a small
    /// `cat`).
    private var cachedTables: [[UInt8]] = []
    private var cacheOrder: [Int] = []
    private var cacheLimit: Int

    static let l1OffsetMask: UInt64 = 0x00FF_FFFF_FFFF_FE00
    static let compressedFlag: UInt64 = 1 << 62

    init(store: any ByteStore, header: Qcow2Header, fileLength: UInt64) throws(BlockIOError) {
        self.store = store
        self.header = header
        self.fileLength = fileLength
        clusterSize = header.clusterSize
        entriesPerL2 = Int(clusterSize / (header.hasExtendedL2 ? 16 : 8))
        unitSize = header.hasExtendedL2 ? clusterSize / 32 : clusterSize
        cacheLimit = max(4 << 20, Int(clusterSize))
        let words = try store.readExactly(
            at: header.l1TableOffset, count: Int(header.l1Size) * 8, structure: "qcow2 L1 table")
        l1 = (0..<Int(header.l1Size)).map { words.bigEndianUInt64(at: $0 * 8) }
        // Every L1 entry is checked now (the table is in memory): a lie fails the open, not a later read. Two
        // entries sharing an L2 table are refused too, so that a walk over every table is bounded by the file.
        var tables: [(offset: UInt64, index: Int)] = []
        do {
            for index in l1.indices where l1[index] & Self.l1OffsetMask != 0 {
                guard let offset = try l2Offset(index) else { continue }
                tables.append((offset, index))
            }
        } catch {
            try refuseSharedTables(tables)  // a shared table before the bad entry is the first fault
            throw error
        }
        try refuseSharedTables(tables)
    }

    /// Refuses two L1 entries with one L2 table: the error names the first entry (in table order) whose table
    /// an earlier entry already has, and that earlier entry. Sorted pairs, not a `[UInt64: Int]`: see
    /// ``cachedTables``.
    private func refuseSharedTables(_ tables: [(offset: UInt64, index: Int)]) throws(BlockIOError) {
        let sorted = tables.sorted { $0.offset != $1.offset ? $0.offset < $1.offset : $0.index < $1.index }
        var shared: (index: Int, first: Int, offset: UInt64)?
        for position in sorted.indices.dropFirst() {
            let (earlier, later) = (sorted[position - 1], sorted[position])
            if earlier.offset == later.offset && later.index < (shared?.index ?? Int.max) {
                shared = (later.index, earlier.index, later.offset)
            }
        }
        if let shared {
            throw failure(
                .overlap, "qcow2 L1 table", "entry \(shared.index)", header.l1TableOffset + UInt64(shared.index) * 8,
                "L2 table at byte \(shared.offset) is also the table of entry \(shared.first)")
        }
    }

    private func failure(
        _ code: BlockIOError.Code, _ structure: String, _ field: String, _ offset: UInt64, _ message: String
    )
        -> BlockIOError
    {
        BlockIOError(code, message, path: store.path, offset: offset, structure: structure, field: field)
    }

    /// Whether `range` of the file touches the header cluster, the L1 table or the refcount table.
    private func metadataOverlapped(by range: Range<UInt64>) -> String? {
        if range.overlaps(0..<clusterSize) { return "the header cluster" }
        if header.l1Size > 0 && range.overlaps(header.l1TableRange) { return "the L1 table" }
        if header.refcountTableClusters > 0 && range.overlaps(header.refcountTableRange) { return "the refcount table" }
        return nil
    }

    /// The L2 table offset of L1 entry `index`, or `nil` when it has none.
    func l2Offset(_ index: Int) throws(BlockIOError) -> UInt64? {
        let entry = l1[index]
        let offset = entry & Self.l1OffsetMask
        let at = header.l1TableOffset + UInt64(index) * 8
        guard offset != 0 else { return nil }
        let field = "entry \(index)"
        guard offset % clusterSize == 0 else {
            throw failure(
                .invalidField, "qcow2 L1 table", field, at, "L2 table offset \(offset) is not cluster aligned")
        }
        guard offset < fileLength, clusterSize <= fileLength - offset else {
            throw failure(
                .truncated, "qcow2 L1 table", field, at,
                "L2 table at byte \(offset) ends past the end of the file (\(fileLength) bytes)")
        }
        if let what = metadataOverlapped(by: offset..<offset + clusterSize) {
            throw failure(.overlap, "qcow2 L1 table", field, at, "L2 table at byte \(offset) overlaps \(what)")
        }
        return offset
    }

    /// The L2 table of L1 entry `index` as stored (big-endian words, two per entry with extended L2), or `nil`.
    func l2Table(_ index: Int) throws(BlockIOError) -> [UInt8]? {
        if let cached = cacheOrder.lastIndex(of: index) { return cachedTables[cached] }
        guard let offset = try l2Offset(index) else { return nil }
        let table = try store.readExactly(at: offset, count: Int(clusterSize), structure: "qcow2 L2 table")
        while !cacheOrder.isEmpty && (cacheOrder.count + 1) * Int(clusterSize) > cacheLimit {
            cacheOrder.removeFirst()
            cachedTables.removeFirst()
        }
        cachedTables.append(table)
        cacheOrder.append(index)
        return table
    }

    /// The mapping of the unit holding disk byte `offset` (inside the disk), and the unit's disk range.
    func lookup(_ offset: UInt64) throws(BlockIOError) -> (mapping: Qcow2Mapping, unit: Range<UInt64>) {
        let cluster = offset / clusterSize
        let l1Index = Int(cluster / UInt64(entriesPerL2))
        let l2Index = Int(cluster % UInt64(entriesPerL2))
        let clusterStart = cluster * clusterSize
        guard let table = try l2Table(l1Index) else {
            // No L2 table: the whole cluster reads through to the backing file.
            return (.backing, clusterStart..<clusterStart + clusterSize)
        }
        let extended = header.hasExtendedL2
        let entry = table.bigEndianUInt64(at: (extended ? 16 : 8) * l2Index)
        // Checked when read.
        let entryOffset = (l1[l1Index] & Self.l1OffsetMask) + UInt64(l2Index) * (extended ? 16 : 8)
        // Made only for an error: a lookup runs for every cluster of a copy.
        var field: String { "entry \(l2Index) of L2 table \(l1Index)" }
        if entry & Self.compressedFlag != 0 {
            return (
                try compressed(entry, entryOffset: entryOffset, field: field), clusterStart..<clusterStart + clusterSize
            )
        }
        let host = entry & Self.l1OffsetMask
        if host != 0 {
            guard host % clusterSize == 0 else {
                throw failure(
                    .invalidField, "qcow2 L2 table", field, entryOffset,
                    "data cluster offset \(host) is not cluster aligned")
            }
            guard host < fileLength else {
                throw failure(
                    .truncated, "qcow2 L2 table", field, entryOffset,
                    "data cluster at byte \(host) lies past the end of the file (\(fileLength) bytes)")
            }
            if let what = metadataOverlapped(by: host..<host + clusterSize) {
                throw failure(
                    .overlap, "qcow2 L2 table", field, entryOffset, "data cluster at byte \(host) overlaps \(what)")
            }
        }
        guard extended else {
            if entry & 1 != 0 { return (.zero, clusterStart..<clusterStart + clusterSize) }
            return (host == 0 ? .backing : .data(hostOffset: host), clusterStart..<clusterStart + clusterSize)
        }
        let bitmap = table.bigEndianUInt64(at: 16 * l2Index + 8)
        let sub = (offset - clusterStart) / unitSize
        let unitStart = clusterStart + sub * unitSize
        let unit = unitStart..<unitStart + unitSize
        let allocated = bitmap >> sub & 1 != 0
        let zero = bitmap >> (32 + sub) & 1 != 0
        if allocated && (zero || host == 0) {
            throw failure(
                .invalidField, "qcow2 L2 table", field, entryOffset + 8,
                "subcluster \(sub) is marked allocated \(zero ? "and zero" : "in an unallocated cluster")")
        }
        if allocated { return (.data(hostOffset: host + sub * unitSize), unit) }
        return (zero ? .zero : .backing, unit)
    }

    /// The compressed cluster an entry describes, checked against the file.
    private func compressed(
        _ entry: UInt64, entryOffset: UInt64, field: @autoclosure () -> String
    )
        throws(BlockIOError) -> Qcow2Mapping
    {
        let shift = 62 - (UInt64(header.clusterBits) - 8)
        let host = entry & ((1 << shift) - 1)
        let sectors = (entry >> shift) & ((1 << (UInt64(header.clusterBits) - 8)) - 1) + 1
        let size = sectors * 512 - (host & 511)
        guard host >= clusterSize, host < fileLength else {
            throw failure(
                host < clusterSize ? .overlap : .truncated, "qcow2 L2 table", field(), entryOffset,
                "compressed cluster at byte \(host) lies \(host < clusterSize ? "in the header cluster" : "past the end of the file (\(fileLength) bytes)")"
            )
        }
        if let what = metadataOverlapped(by: host..<host + 1) {
            throw failure(
                .overlap, "qcow2 L2 table", field(), entryOffset, "compressed cluster at byte \(host) lies in \(what)")
        }
        // The stored size is rounded to sectors and may run past the end of the file: read what is there.
        return .compressed(hostOffset: host, size: Int(min(size, fileLength - host)))
    }
}
