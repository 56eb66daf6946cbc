/// A VHDX file as it reads once its log is replayed: the file's bytes with the log's writes laid over them,
/// in memory. Read-only; the file underneath is never written.
///
/// Data writes are kept as 4 KiB pages, zero writes as ranges; a later write wins over an earlier one where
/// they overlap. The length is the file's, or the log's `last_file_offset` when that is larger (bytes past
/// the file's end read as zeros unless the log wrote them).
public final class VHDXReplayedStore: ByteStore {
    /// The file underneath.
    public let base: any ByteStore
    /// How many writes were laid over the file.
    public let writeCount: Int
    private let pages: [UInt64: (order: Int, bytes: [UInt8])]
    private let zeros: [(range: Range<UInt64>, order: Int)]
    private let overlaid: Range<UInt64>
    private let baseLength: UInt64
    private let logicalLength: UInt64

    /// The image file's path.
    public var path: String { base.path }
    /// Always false: the replay happens in memory.
    public var isWritable: Bool { false }

    /// `base` with the writes of `sequence` applied in order.
    ///
    /// - Throws: ``BlockIOError/Code/overlap`` when a write would change the file identifier or the headers
    ///   (the log never holds them) or the log itself, naming the entry.
    public init(over base: any ByteStore, sequence: VHDXLog.Sequence, log: Range<UInt64>) throws(BlockIOError) {
        self.base = base
        baseLength = try base.length()
        var pages: [UInt64: (order: Int, bytes: [UInt8])] = [:]
        var zeros: [(range: Range<UInt64>, order: Int)] = []
        var order = 0
        var low = UInt64.max
        var high: UInt64 = 0
        let protected = 0..<UInt64(192 << 10)
        for (position, entry) in sequence.entries {
            for (index, write) in entry.writes.enumerated() {
                let range = write.range
                if range.overlaps(protected) || range.overlaps(log) {
                    throw BlockIOError(
                        .overlap,
                        "descriptor \(index) writes \(range.count) bytes at \(range.lowerBound), into the "
                            + (range.overlaps(log) ? "log" : "file identifier and headers"),
                        path: base.path, offset: log.lowerBound + position, structure: "VHDX log entry",
                        field: "descriptor \(index)")
                }
                switch write {
                case .data(let offset, let bytes): pages[offset / VHDXLogEntry.sectorSize] = (order, bytes)
                case .zero: zeros.append((range, order))
                }
                low = min(low, range.lowerBound)
                high = max(high, range.upperBound)
                order += 1
            }
        }
        self.pages = pages
        self.zeros = zeros
        writeCount = order
        overlaid = low < high ? low..<high : 0..<0
        logicalLength = max(baseLength, min(sequence.lastFileOffset, VHDXLogEntry.maximumFileOffset), high)
    }

    /// The file length once the log is replayed (known at open).
    public func length() throws(BlockIOError) -> UInt64 { logicalLength }

    /// Reads the file as the replayed log leaves it: logged sectors from memory, the rest from the file.
    /// - Parameters:
    /// - offset: The byte offset in the file.
    /// - buffer: Where the bytes go.
    /// - Returns: The number of bytes read.
    /// - Throws: `BlockIOError` when the file cannot be read.
    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) -> Int {
        guard offset < logicalLength else { return 0 }
        let count = Int(min(UInt64(buffer.count), logicalLength - offset))
        let wanted = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
        var got = 0
        if offset < baseLength {
            let inFile = Int(min(UInt64(count), baseLength - offset))
            got = try base.read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: wanted[0..<inFile]))
        }
        if got < count {
            UnsafeMutableRawBufferPointer(rebasing: wanted[got...]).initializeMemory(as: UInt8.self, repeating: 0)
        }
        let range = offset..<offset + UInt64(count)
        guard range.overlaps(overlaid) else { return count }
        let sector = VHDXLogEntry.sectorSize
        var page = range.lowerBound / sector
        while page * sector < range.upperBound {
            let pageRange = page * sector..<(page + 1) * sector
            var latestZero = -1
            for zero in zeros where zero.range.overlaps(pageRange) { latestZero = max(latestZero, zero.order) }
            let data = pages[page]
            if data != nil || latestZero >= 0 {
                let part = pageRange.clamped(to: range)
                let into = UnsafeMutableRawBufferPointer(
                    rebasing: wanted[Int(part.lowerBound - offset)..<Int(part.upperBound - offset)])
                if let data, data.order > latestZero {
                    data.bytes.withUnsafeBytes { source in
                        into.copyMemory(
                            from: UnsafeRawBufferPointer(
                                rebasing: source[
                                    Int(
                                        part.lowerBound - pageRange.lowerBound)..<Int(
                                            part.upperBound - pageRange.lowerBound)]))
                    }
                } else {
                    // Zero writes cover whole 4 KiB sectors, so the page is zeros where a zero write is latest.
                    into.initializeMemory(as: UInt8.self, repeating: 0)
                }
            }
            page += 1
        }
        return count
    }

    /// Refused: the replayed view is read-only.
    /// - Throws: `BlockIOError` with code `readOnly`.
    public func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockIOError) {
        throw BlockIOError(.readOnly, "a VHDX is read only", path: path)
    }

    /// Refused: the replayed view is read-only.
    /// - Throws: `BlockIOError` with code `readOnly`.
    public func setLength(_ length: UInt64) throws(BlockIOError) {
        throw BlockIOError(.readOnly, "a VHDX is read only", path: path)
    }

    /// Nothing to sync: nothing is written.
    public func sync() throws(BlockIOError) {}
}
