/// The VHDX Block Allocation Table: one 64-bit little-endian entry per payload block, with one sector bitmap
/// entry after every `chunk_ratio` payload entries.
///
/// | bits | field | notes |
/// |---:|---|---|
/// | 0–2 | state | payload: 0 not present, 1 undefined, 2 zero, 3 unmapped, 6 fully present, 7 partially present; sector bitmap: 0 not present, 6 present |
/// | 3–19 | reserved | |
/// | 20–63 | file_offset_mb | where the block lies in the file, in MiB |
///
/// Payload block `b` is entry `b + b / chunk_ratio`; the sector bitmap of chunk `c` is entry
/// `c × (chunk_ratio + 1) + chunk_ratio`. Partially present blocks (differencing disks only) take each sector
/// from this file where its bit in the chunk's 1 MiB sector bitmap is set and from the parent where it is clear.
public struct VHDXBlockAllocationTable: Sendable {
    /// A payload block's state.
    public enum PayloadState: UInt8, Sendable, Codable, CaseIterable {
        /// Not stored: zeros, or the parent's bytes on a differencing disk.
        case notPresent = 0
        /// Contents undefined (read as zeros).
        case undefined = 1
        /// Reads as zeros.
        case zero = 2
        /// Unmapped by a trim: read as zeros.
        case unmapped = 3
        /// Every sector stored in this file.
        case fullyPresent = 6
        /// Some sectors stored in this file, the others the parent's (sector bitmap).
        case partiallyPresent = 7
    }

    /// The size of a sector bitmap block.
    public static let sectorBitmapSize: UInt64 = 1 << 20

    /// The raw entries, in host order.
    public let entries: [UInt64]
    /// Payload blocks per sector bitmap block.
    public let chunkRatio: UInt64

    init(entries: [UInt64], chunkRatio: UInt64) {
        self.entries = entries
        self.chunkRatio = chunkRatio
    }

    /// The BAT entry index of payload block `block`.
    @inline(__always) public func payloadIndex(_ block: UInt64) -> Int { Int(block + block / chunkRatio) }

    /// The BAT entry index of the sector bitmap of chunk `chunk`.
    @inline(__always) public func bitmapIndex(chunk: UInt64) -> Int { Int(chunk * (chunkRatio + 1) + chunkRatio) }

    /// The state of payload block `block` (validated at open).
    @inline(__always) public func state(ofBlock block: UInt64) -> PayloadState {
        PayloadState(rawValue: UInt8(entries[payloadIndex(block)] & 7)) ?? .undefined
    }

    /// Where payload block `block` lies in the file.
    @inline(__always) public func fileOffset(ofBlock block: UInt64) -> UInt64 {
        entries[payloadIndex(block)] & ~UInt64(0xF_FFFF)
    }

    /// Where the sector bitmap of `chunk` lies in the file, when it is present.
    public func bitmapOffset(chunk: UInt64) -> UInt64? {
        let index = bitmapIndex(chunk: chunk)
        guard index < entries.count, entries[index] & 7 == 6 else { return nil }
        return entries[index] & ~UInt64(0xF_FFFF)
    }

    /// Payload blocks stored in the file (fully or partially present).
    public var allocatedCount: Int {
        var count = 0
        for (index, entry) in entries.enumerated() where UInt64(index) % (chunkRatio + 1) != chunkRatio {
            if entry & 7 == 6 || entry & 7 == 7 { count += 1 }
        }
        return count
    }

    /// Reads the table of `metadata`'s disk from `region` and checks every entry: a known state, stored blocks
    /// whole inside the file, after the header section, clear of the log, the regions and one another.
    ///
    /// - Parameters:
    ///   - store: the VHDX file's bytes.
    ///   - metadata: the disk's metadata (block size, sector size, virtual size: the table's shape).
    ///   - region: the BAT region of the region table.
    ///   - fileLength: the file's length (after log replay).
    ///   - reserved: file ranges no block may overlap, with their names (header section, log, regions).
    /// - Throws: ``BlockIOError`` naming `entry N` and its byte offset: `invalidField` (a state, a partially
    ///   present block on a disk without a parent), `truncated` (a block past the end of the file), `overlap`;
    ///   `invalidField` when the region is too small for the disk.
    public init(
        reading store: any ByteStore, region: VHDXRegionTable.Entry, metadata: VHDXMetadata, fileLength: UInt64,
        reserved: [(range: Range<UInt64>, name: String)]
    ) throws(BlockIOError) {
        let path = store.path
        let structure = "VHDX BAT"
        let count = metadata.batEntryCount
        guard count * 8 <= UInt64(region.length) else {
            throw BlockIOError(
                .invalidField,
                "the BAT region (\(region.length) bytes) is smaller than the \(count) entries the disk needs",
                path: path, offset: region.fileOffset, structure: structure, field: "length")
        }
        let entries = try Self.readEntries(store, at: region.fileOffset, count: Int(count))
        let chunkRatio = metadata.chunkRatio
        let blockSize = UInt64(metadata.blockSize)
        var stored: [(range: Range<UInt64>, index: Int)] = []
        for (index, entry) in entries.enumerated() {
            let isBitmap = UInt64(index) % (chunkRatio + 1) == chunkRatio
            let state = UInt8(entry & 7)
            let entryOffset = region.fileOffset + 8 * UInt64(index)
            let length: UInt64
            if isBitmap {
                guard state == 0 || state == 6 else {
                    throw BlockIOError(
                        .invalidField, "sector bitmap state \(state) is not 0 (not present) or 6 (present)", path: path,
                        offset: entryOffset, structure: structure, field: "entry \(index)")
                }
                guard state == 6 else { continue }
                length = Self.sectorBitmapSize
            } else {
                guard let payload = PayloadState(rawValue: state) else {
                    throw BlockIOError(
                        .invalidField, "payload block state \(state) is not one of 0, 1, 2, 3, 6, 7", path: path,
                        offset: entryOffset, structure: structure, field: "entry \(index)")
                }
                if payload == .partiallyPresent && !metadata.hasParent {
                    throw BlockIOError(
                        .invalidField, "a partially present block on a disk without a parent", path: path,
                        offset: entryOffset, structure: structure, field: "entry \(index)")
                }
                guard payload == .fullyPresent || payload == .partiallyPresent else { continue }
                length = blockSize
            }
            let start = entry & ~UInt64(0xF_FFFF)
            guard start <= fileLength, length <= fileLength - start else {
                throw BlockIOError(
                    .truncated, "block at \(start) (\(length) bytes) ends past the end of the file (\(fileLength))",
                    path: path, offset: entryOffset, structure: structure, field: "entry \(index)")
            }
            let range = start..<start + length
            guard start >= 1 << 20 else {
                throw BlockIOError(
                    .overlap, "block at \(start) lies in the header section (the first 1 MiB)", path: path,
                    offset: entryOffset, structure: structure, field: "entry \(index)")
            }
            if let hit = reserved.first(where: { $0.range.overlaps(range) }) {
                throw BlockIOError(
                    .overlap, "block at \(start) overlaps the \(hit.name) at \(hit.range.lowerBound)", path: path,
                    offset: entryOffset, structure: structure, field: "entry \(index)")
            }
            stored.append((range, index))
        }
        stored.sort { $0.range.lowerBound < $1.range.lowerBound }
        for (previous, next) in zip(stored, stored.dropFirst()) where previous.range.overlaps(next.range) {
            throw BlockIOError(
                .overlap,
                "block at \(next.range.lowerBound) overlaps the block of entry \(previous.index) at \(previous.range.lowerBound)",
                path: path, offset: region.fileOffset + 8 * UInt64(next.index), structure: structure,
                field: "entry \(next.index)")
        }
        self.entries = entries
        self.chunkRatio = chunkRatio
    }

    /// Reads `count` little-endian 64-bit entries straight into the returned array.
    private static func readEntries(
        _ store: any ByteStore, at offset: UInt64, count: Int
    ) throws(BlockIOError)
        -> [UInt64]
    {
        var got = 0
        var failure: BlockIOError?
        var entries = [UInt64](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(BlockIOError) {
                got = try store.read(at: offset, into: UnsafeMutableRawBufferPointer(buffer))
            } catch {
                failure = error
            }
            initialized = failure == nil && got == 8 * count ? count : 0
        }
        if let failure { throw failure }
        guard got == 8 * count else {
            throw BlockIOError(
                .truncated, "file ends inside the VHDX BAT (wanted \(8 * count) bytes, got \(got))", path: store.path,
                offset: offset)
        }
        for index in entries.indices { entries[index] = UInt64(littleEndian: entries[index]) }
        return entries
    }
}
