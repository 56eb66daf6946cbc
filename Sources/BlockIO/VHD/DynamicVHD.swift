internal import HostSystem

/// A dynamic or differencing VHD as a disk.
///
/// Reads follow the BAT and each block's sector bitmap: sectors whose bit is 0, and blocks not allocated, read
/// as zeros on a dynamic disk and from the parent on a differencing disk.
///
/// Writes keep the image valid after a crash at any point. A write into an unallocated block allocates it at
/// the end of the file, in this order, each step made durable before the next:
/// 1. the block's bitmap and data are written where the trailing footer was (the footer copy at offset 0 still
///    describes the disk, so the image stays readable),
/// 2. the footer is written after the new block (the new end of the file),
/// 3. the BAT entry is written — so the BAT never points past the end of the file, and a crash before this
///    step leaves the old disk contents.
/// The footer and header bytes never change, so both footers and the header keep valid checksums.
/// An all-zero write into an unallocated block of a dynamic disk allocates nothing. On a differencing disk a
/// write marks only the 4 KiB pieces (8 sectors, one bitmap byte each) it touches; the parts of those pieces it
/// does not cover are first filled from the parent (copy-on-write), so every other sector keeps reading from
/// the parent and each bitmap byte is all-set or all-clear.
public final class DynamicVHD: BlockDevice {
    /// The store the image lives in.
    public let store: any ByteStore
    /// The metadata read at open.
    public let structure: VHDFileStructure
    /// The parent disk (differencing only), opened read-only.
    public let parent: (any BlockDevice)?
    /// The virtual size: the footer's `current_size`.
    public let size: UInt64
    /// Whether the image file was opened for writing.
    public var isWritable: Bool { store.isWritable }

    private let header: DynamicHeader
    private let footer: VHDFooter
    private let blockSize: UInt64
    private let bitmapSize: UInt64
    private let isDifferencing: Bool
    private var table: BlockAllocationTable
    private var freeOffset: UInt64
    /// Sector bitmaps read or written, by block index modulo the slot count (a direct-mapped cache: a block
    /// whose slot another block took is read again). Slots, not a `[Int: SectorBitmap]`: the first dictionary
    /// made the Swift runtime scan every protocol-conformance record of the binary at each open.
    private var bitmaps = BitmapSlots()
    /// Writes cover whole 4 KiB pieces of a block (see `writeInBlock`).
    private static let writeGranule: UInt64 = 4096

    /// The disk of the dynamic or differencing VHD whose metadata is `structure`; `parent` is required for a
    /// differencing disk.
    public init(store: any ByteStore, structure: VHDFileStructure, parent: (any BlockDevice)?) throws(BlockIOError) {
        guard let header = structure.header, let table = structure.table else {
            throw BlockIOError(.invalidArgument, "not a dynamic or differencing VHD", path: store.path)
        }
        self.store = store
        self.structure = structure
        self.parent = parent
        self.header = header
        self.footer = structure.footer
        self.table = table
        self.size = structure.footer.currentSize
        self.blockSize = UInt64(header.blockSize)
        self.bitmapSize = header.bitmapSize
        self.isDifferencing = structure.footer.type == .differencing
        self.freeOffset = structure.freeOffset
        if isDifferencing && parent == nil {
            throw BlockIOError(.parent, "a differencing disk needs its parent", path: store.path)
        }
        if store.isWritable && structure.trailingFooterOffset == nil {
            // Repair: put the footer back at the end, where the next allocation expects it.
            try store.write(at: freeOffset, bytes: footer.serialized())
            try store.sync()
        }
    }

    /// The BAT as it is now.
    public var allocationTable: BlockAllocationTable { table }

    /// The block size in bytes.
    public var blockByteCount: UInt64 { blockSize }

    /// The virtual byte ranges of allocated blocks (clipped to the disk size), in order.
    public func allocatedRanges() -> [Range<UInt64>] {
        var ranges: [Range<UInt64>] = []
        let blocks = Int((size + blockSize - 1) / blockSize)
        for index in table.allocatedIndices() where index < blocks {
            let start = UInt64(index) * blockSize
            let end = min(start + blockSize, size)
            ranges.appendMerging(start..<end)
        }
        return ranges
    }

    /// Reads the disk bytes at `offset` through the BAT and the sector bitmaps: unallocated blocks and clear
    /// sectors read as zeros (dynamic) or from the parent (differencing).
    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) {
        try checkBounds(offset: offset, count: buffer.count, what: "VHD")
        var done = 0
        while done < buffer.count {
            let position = offset + UInt64(done)
            let index = Int(position / blockSize)
            let inBlock = position % blockSize
            let count = min(buffer.count - done, Int(blockSize - inBlock))
            try readInBlock(
                index, at: inBlock, into: UnsafeMutableRawBufferPointer(rebasing: buffer[done..<done + count]))
            done += count
        }
    }

    private func readInBlock(
        _ index: Int, at inBlock: UInt64, into buffer: UnsafeMutableRawBufferPointer
    )
        throws(BlockIOError)
    {
        let blockStart = UInt64(index) * blockSize
        guard let bitmapOffset = table.bitmapOffset(ofBlock: index) else {
            try readAbsent(at: blockStart + inBlock, into: buffer)
            return
        }
        let dataStart = bitmapOffset + bitmapSize
        let bitmap = try self.bitmap(ofBlock: index, at: bitmapOffset)
        let firstSector = Int(inBlock / 512)
        let endSector = Int((inBlock + UInt64(buffer.count) + 511) / 512)
        if bitmap.allSet(firstSector..<endSector) {
            try readStore(at: dataStart + inBlock, into: buffer)
            return
        }
        for run in bitmap.runs(in: firstSector..<endSector) {
            let runStart = max(UInt64(run.sectors.lowerBound) * 512, inBlock)
            let runEnd = min(UInt64(run.sectors.upperBound) * 512, inBlock + UInt64(buffer.count))
            let part = UnsafeMutableRawBufferPointer(
                rebasing: buffer[Int(runStart - inBlock)..<Int(runEnd - inBlock)])
            if run.present {
                try readStore(at: dataStart + runStart, into: part)
            } else {
                try readAbsent(at: blockStart + runStart, into: part)
            }
        }
    }

    /// On a dynamic disk (no parent): whether `range` lies in unallocated blocks and unwritten sectors only.
    public func isKnownZero(_ range: Range<UInt64>) throws(BlockIOError) -> Bool {
        guard parent == nil, range.upperBound <= size else { return false }
        var position = range.lowerBound
        while position < range.upperBound {
            let index = Int(position / blockSize)
            let blockStart = UInt64(index) * blockSize
            let end = min(range.upperBound, blockStart + blockSize)
            if let bitmapOffset = table.bitmapOffset(ofBlock: index) {
                let bitmap = try self.bitmap(ofBlock: index, at: bitmapOffset)
                let sectors = Int((position - blockStart) / 512)..<Int((end - blockStart + 511) / 512)
                if !bitmap.noneSet(sectors) { return false }
            }
            position = end
        }
        return true
    }

    /// How the disk's bytes at `offset` (at most `count`, never past the end of their block) are kept: stored
    /// when the block is allocated and all their sectors are present in it, elsewhere otherwise (unallocated,
    /// or sectors that read as zeros or from the parent).
    func storedRun(at offset: UInt64, count: Int) throws(BlockIOError) -> StoredRun {
        let index = Int(offset / blockSize)
        let inBlock = offset % blockSize
        let length = Int(min(UInt64(count), blockSize - inBlock, size - min(offset, size)))
        guard let bitmapOffset = table.bitmapOffset(ofBlock: index) else { return .elsewhere(count: length) }
        let bitmap = try self.bitmap(ofBlock: index, at: bitmapOffset)
        let sectors = Int(inBlock / 512)..<Int((inBlock + UInt64(length) + 511) / 512)
        guard bitmap.allSet(sectors) else { return .elsewhere(count: length) }
        return .stored(storeOffset: bitmapOffset + bitmapSize + inBlock, count: length)
    }

    /// Bytes not stored in this file: zeros, or the parent's.
    private func readAbsent(at position: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) {
        try readThroughParent(parent, at: position, into: buffer)
    }

    private func readStore(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) {
        let got = try store.read(at: offset, into: buffer)
        if got < buffer.count {  // validated at open; the file shrank under us
            throw BlockIOError(.truncated, "VHD block data ends early", path: store.path, offset: offset + UInt64(got))
        }
    }

    private func bitmap(ofBlock index: Int, at offset: UInt64) throws(BlockIOError) -> SectorBitmap {
        if let cached = bitmaps[index] { return cached }
        let bitmap = SectorBitmap(
            parsing: try store.readExactly(
                at: offset, count: Int(bitmapSize), structure: "sector bitmap of block \(index)"))
        bitmaps.keep(bitmap, ofBlock: index)
        return bitmap
    }

    /// Writes the disk bytes at `offset`, allocating blocks as needed (data and bitmap, then the footer, then
    /// the BAT entry) and filling the untouched parts of each 4 KiB piece from the parent first.
    public func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockIOError) {
        guard isWritable else { throw BlockIOError(.readOnly, "image is open read-only", path: store.path) }
        try checkBounds(offset: offset, count: buffer.count, what: "VHD")
        var done = 0
        while done < buffer.count {
            let position = offset + UInt64(done)
            let index = Int(position / blockSize)
            let inBlock = position % blockSize
            let count = min(buffer.count - done, Int(blockSize - inBlock))
            try writeInBlock(index, at: inBlock, from: UnsafeRawBufferPointer(rebasing: buffer[done..<done + count]))
            done += count
        }
    }

    private func writeInBlock(_ index: Int, at inBlock: UInt64, from data: UnsafeRawBufferPointer) throws(BlockIOError)
    {
        let blockStart = UInt64(index) * blockSize
        // Whole 4 KiB pieces (8 sectors, one bitmap byte): the parts the write does not cover are completed with
        // what the disk reads there now (copy-on-write from the parent on a differencing disk). Bitmap bytes so
        // stay all-set or all-clear, which every reader agrees on (libvhdi misreads a clear bit that follows a
        // set bit in the same byte).
        let granule = min(Self.writeGranule, blockSize)
        let alignedStart = inBlock / granule * granule
        let alignedEnd = min((inBlock + UInt64(data.count) + granule - 1) / granule * granule, size - blockStart)
        var sectors: [UInt8]
        if alignedStart == inBlock && alignedEnd == inBlock + UInt64(data.count) {
            sectors = Array(data)
        } else {
            sectors = try read(at: blockStart + alignedStart, count: Int(alignedEnd - alignedStart))
            let lead = Int(inBlock - alignedStart)
            sectors.replaceSubrange(lead..<lead + data.count, with: data)
        }
        let sectorRange = Int(alignedStart / 512)..<Int(alignedEnd / 512)

        guard let bitmapOffset = table.bitmapOffset(ofBlock: index) else {
            if !isDifferencing && ZeroDetection.isAllZero(sectors) { return }
            try allocate(index, sectors: sectorRange, data: sectors)
            return
        }
        try store.write(at: bitmapOffset + bitmapSize + alignedStart, bytes: sectors)
        var bitmap = try self.bitmap(ofBlock: index, at: bitmapOffset)
        if !bitmap.allSet(sectorRange) {
            try store.sync()  // the data is durable before the bitmap says it is there
            bitmap.set(sectorRange)
            try store.write(at: bitmapOffset, bytes: bitmap.serialized())
            bitmaps.keep(bitmap, ofBlock: index)
        }
    }

    /// Allocates block `index` at the end of the file holding `data` at `sectors` (see the type's discussion
    /// for the crash-safe order).
    private func allocate(_ index: Int, sectors: Range<Int>, data: [UInt8]) throws(BlockIOError) {
        let start = freeOffset
        let span = bitmapSize + blockSize
        guard start / 512 < UInt64(BlockAllocationTable.unallocated) else {
            throw BlockIOError(
                .tooLarge, "the file would grow past the 2 TiB a BAT entry can address", path: store.path,
                offset: start, structure: "BAT", field: "entry \(index)")
        }
        var bitmap = SectorBitmap(byteCount: Int(bitmapSize), filled: !isDifferencing)
        if isDifferencing { bitmap.set(sectors) }
        // 1. bitmap and data (the rest of the block stays a hole: zeros).
        try store.write(at: start, bytes: bitmap.serialized())
        try store.write(at: start + bitmapSize + UInt64(sectors.lowerBound) * 512, bytes: data)
        try store.sync()
        // 2. the footer after the block.
        try store.write(at: start + span, bytes: footer.serialized())
        try store.sync()
        // 3. the BAT entry.
        var entry = [UInt8](repeating: 0, count: 4)
        entry.storeBigEndian(UInt32(start / 512), at: 0)
        try store.write(at: header.tableOffset + 4 * UInt64(index), bytes: entry)
        try store.sync()
        table.entries[index] = UInt32(start / 512)
        bitmaps.keep(bitmap, ofBlock: index)
        freeOffset = start + span
    }

    /// Flushes the file (`fsync`): data, bitmaps, BAT and footer.
    public func flush() throws(BlockIOError) { try store.sync() }
}

/// The sector bitmaps a ``DynamicVHD`` keeps, 4,096 direct-mapped slots made on first use.
///
/// The slot table holds only positions (plain integers, so making it is one fill and dropping it frees one
/// buffer); the bitmaps themselves sit in a dense list as long as the number of slots ever used. A command that
/// touches a handful of blocks pays for a handful of bitmaps, not for 4,096 optional entries made and destroyed
/// one by one.
struct BitmapSlots {
    private static let count = 4096
    /// For each slot, the position of its entry in `entries`, or -1 while the slot is empty.
    private var positions: [Int32] = []
    private var entries: [(index: Int, bitmap: SectorBitmap)] = []

    /// The bitmap of block `index` when its slot holds it.
    subscript(index: Int) -> SectorBitmap? {
        guard !positions.isEmpty else { return nil }
        let position = Int(positions[index & (Self.count - 1)])
        guard position >= 0, entries[position].index == index else { return nil }
        return entries[position].bitmap
    }

    /// Stores `bitmap` as block `index`'s, in its slot, replacing the block the slot held.
    mutating func keep(_ bitmap: SectorBitmap, ofBlock index: Int) {
        if positions.isEmpty { positions = [Int32](repeating: -1, count: Self.count) }
        let slot = index & (Self.count - 1)
        let position = Int(positions[slot])
        if position >= 0 {
            entries[position] = (index, bitmap)
        } else {
            positions[slot] = Int32(entries.count)
            entries.append((index, bitmap))
        }
    }
}
