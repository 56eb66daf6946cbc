/// A VHDX's disk: fixed, dynamic or differencing, read-only.
///
/// Each payload block is read by its BAT state: fully present blocks from the file, partially present ones
/// sector by sector through the chunk's sector bitmap (set: this file, clear: the parent), not-present ones
/// from the parent on a differencing disk and as zeros otherwise, zero/unmapped/undefined ones as zeros.
public final class VHDXDisk: BlockDevice {
    /// The store the disk's bytes are read from (the file, or the file with its log replayed in memory).
    public let store: any ByteStore
    /// The file's structures.
    public let structure: VHDXFileStructure
    /// The parent disk of a differencing VHDX, opened read-only.
    public let parent: (any BlockDevice)?
    /// The virtual disk's size in bytes.
    public let size: UInt64
    /// Always false: VHDX images are read only.
    public var isWritable: Bool { false }

    private let table: VHDXBlockAllocationTable
    private let blockSize: UInt64
    private let sectorSize: UInt64
    private var bitmaps: [UInt64: [UInt8]] = [:]
    private static let bitmapCacheLimit = 4

    /// The disk of `structure`, read from `store`; `parent` is required when the disk has one.
    public init(store: any ByteStore, structure: VHDXFileStructure, parent: (any BlockDevice)?) throws(BlockIOError) {
        if structure.metadata.hasParent && parent == nil {
            throw BlockIOError(.parent, "a differencing disk needs its parent", path: store.path)
        }
        self.store = store
        self.structure = structure
        self.parent = parent
        self.table = structure.table
        self.size = structure.metadata.virtualDiskSize
        self.blockSize = UInt64(structure.metadata.blockSize)
        self.sectorSize = UInt64(structure.metadata.logicalSectorSize)
    }

    /// Reads virtual-disk bytes through the BAT: stored blocks from the file, absent and zero blocks as zeros, a differencing disk's unmapped sectors from its parent.
    /// - Parameters:
    /// - offset: The byte offset in the virtual disk.
    /// - buffer: Where the bytes go.
    /// - Throws: `BlockIOError` for a read past the end or a malformed block state.
    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) {
        try checkBounds(offset: offset, count: buffer.count, what: "VHDX")
        var done = 0
        while done < buffer.count {
            let position = offset + UInt64(done)
            let block = position / blockSize
            let inBlock = position % blockSize
            let count = min(buffer.count - done, Int(blockSize - inBlock))
            try readInBlock(
                block, at: inBlock, into: UnsafeMutableRawBufferPointer(rebasing: buffer[done..<done + count]))
            done += count
        }
    }

    private func readInBlock(
        _ block: UInt64, at inBlock: UInt64, into buffer: UnsafeMutableRawBufferPointer
    )
        throws(BlockIOError)
    {
        let blockStart = block * blockSize
        switch table.state(ofBlock: block) {
        case .fullyPresent:
            try readStore(at: table.fileOffset(ofBlock: block) + inBlock, into: buffer)
        case .notPresent:
            try readAbsent(at: blockStart + inBlock, into: buffer)
        case .zero, .unmapped, .undefined:
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
        case .partiallyPresent:
            let dataStart = table.fileOffset(ofBlock: block)
            let bitmap = try self.bitmap(ofChunk: block / table.chunkRatio)
            // The chunk's first sector, and this piece's sectors within the chunk.
            let chunkFirstSector = (block % table.chunkRatio) * (blockSize / sectorSize)
            var position = inBlock
            let end = inBlock + UInt64(buffer.count)
            while position < end {
                let sector = chunkFirstSector + position / sectorSize
                let present = bitmap[Int(sector / 8)] & (1 << (sector % 8)) != 0
                var runEnd = min(end, (position / sectorSize + 1) * sectorSize)
                while runEnd < end {
                    let next = chunkFirstSector + runEnd / sectorSize
                    if (bitmap[Int(next / 8)] & (1 << (next % 8)) != 0) != present { break }
                    runEnd = min(end, runEnd + sectorSize)
                }
                let part = UnsafeMutableRawBufferPointer(
                    rebasing: buffer[Int(position - inBlock)..<Int(runEnd - inBlock)])
                if present {
                    try readStore(at: dataStart + position, into: part)
                } else {
                    try readAbsent(at: blockStart + position, into: part)
                }
                position = runEnd
            }
        }
    }

    /// Whether `range` reads as zeros by the BAT alone: blocks in the zero, unmapped or undefined states, and
    /// not-present blocks of a disk without a parent.
    public func isKnownZero(_ range: Range<UInt64>) throws(BlockIOError) -> Bool {
        guard range.upperBound <= size else { return false }
        var position = range.lowerBound
        while position < range.upperBound {
            let block = position / blockSize
            switch table.state(ofBlock: block) {
            case .zero, .unmapped, .undefined: break
            case .notPresent where parent == nil: break
            default: return false
            }
            position = (block + 1) * blockSize
        }
        return true
    }

    /// The virtual byte ranges this file stores (fully or partially present blocks), clipped to the disk, in
    /// order and merged.
    public func storedRanges() -> [Range<UInt64>] {
        var ranges: [Range<UInt64>] = []
        let blocks = structure.metadata.dataBlockCount
        for block in 0..<blocks {
            let state = table.state(ofBlock: block)
            guard state == .fullyPresent || state == .partiallyPresent else { continue }
            let start = block * blockSize
            let end = min(start + blockSize, size)
            ranges.appendMerging(start..<end)
        }
        return ranges
    }

    /// How the disk's bytes at `offset` (at most `count`, never past their block) are kept: stored one for one
    /// in fully present blocks, elsewhere otherwise.
    func storedRun(at offset: UInt64, count: Int) throws(BlockIOError) -> StoredRun {
        let block = offset / blockSize
        let inBlock = offset % blockSize
        let length = Int(min(UInt64(count), blockSize - inBlock, size - min(offset, size)))
        guard table.state(ofBlock: block) == .fullyPresent else { return .elsewhere(count: length) }
        return .stored(storeOffset: table.fileOffset(ofBlock: block) + inBlock, count: length)
    }

    /// Bytes not stored in this file: zeros, or the parent's.
    private func readAbsent(at position: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) {
        try readThroughParent(parent, at: position, into: buffer)
    }

    private func readStore(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) {
        let got = try store.read(at: offset, into: buffer)
        if got < buffer.count {  // validated at open; the file shrank under us
            throw BlockIOError(.truncated, "VHDX block data ends early", path: store.path, offset: offset + UInt64(got))
        }
    }

    private func bitmap(ofChunk chunk: UInt64) throws(BlockIOError) -> [UInt8] {
        if let cached = bitmaps[chunk] { return cached }
        guard let offset = table.bitmapOffset(chunk: chunk) else {
            throw BlockIOError(
                .invalidField, "a block of chunk \(chunk) is partially present but the chunk has no sector bitmap",
                path: store.path,
                offset: structure.regionTable.bat.fileOffset + 8 * UInt64(table.bitmapIndex(chunk: chunk)),
                structure: "VHDX BAT", field: "entry \(table.bitmapIndex(chunk: chunk))")
        }
        let bitmap = try store.readExactly(
            at: offset, count: Int(VHDXBlockAllocationTable.sectorBitmapSize), structure: "VHDX sector bitmap")
        if bitmaps.count >= Self.bitmapCacheLimit { bitmaps.removeAll(keepingCapacity: true) }
        bitmaps[chunk] = bitmap
        return bitmap
    }

    /// Refused: VHDX images are read only (convert them).
    /// - Throws: `BlockIOError` with code `readOnly`.
    public func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockIOError) {
        throw BlockIOError(
            .readOnly, "VHDX images are read only: convert to VHD first (vhdedit convert)", path: store.path)
    }

    /// Nothing to flush: nothing is written.
    public func flush() throws(BlockIOError) {}
}

extension VHDXDisk: StoredRuns {}
