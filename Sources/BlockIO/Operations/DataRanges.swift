/// A store that can say which of its byte ranges hold data (the rest reads as zeros), so that copies can skip
/// holes. ``HostFile`` answers with `SEEK_DATA`/`SEEK_HOLE`; a store layered over a host file (an edit journal)
/// can conform by answering for the file underneath plus its own pending writes.
public protocol SparseByteStore: ByteStore {
    /// Sorted, non-overlapping byte ranges outside which every byte reads as zero.
    func dataRanges() throws(BlockIOError) -> [Range<UInt64>]
}

extension HostFile: SparseByteStore {}

extension RecoveredStore: SparseByteStore {
    /// The file's data ranges when no pending journal overlays it; the whole length otherwise.
    public func dataRanges() throws(BlockIOError) -> [Range<UInt64>] {
        let end = try length()
        switch recovery {
        case .none, .ignored, .replayed, .discarded:
            if let sparse = base as? any SparseByteStore {
                return try sparse.dataRanges().map { $0.clamped(to: 0..<end) }.filter { !$0.isEmpty }
            }
            return end > 0 ? [0..<end] : []
        case .readThrough:
            return end > 0 ? [0..<end] : []
        }
    }
}

/// Where an image's disk may hold non-zero bytes, so that copies can skip the rest: host-file holes for raw and
/// fixed images (`SEEK_DATA`/`SEEK_HOLE`), allocated blocks for dynamic ones, allocated clusters for qcow2
/// ones, and the union along a differencing or backing chain.
enum DataRanges {
    /// Sorted, non-overlapping virtual byte ranges of `image`'s disk outside which every byte is zero.
    static func of(_ image: DiskImage) throws(BlockIOError) -> [Range<UInt64>] {
        if let vhd = image.vhd { return try of(vhd) }
        if let qcow2 = image.qcow2 { return try qcow2.dataRanges() }
        if let vhdx = image.vhdx { return of(vhdx) }
        return try fileRanges(image.store, limit: image.device.size)
    }

    static func of(_ vhd: VHDImage) throws(BlockIOError) -> [Range<UInt64>] {
        guard let dynamic = vhd.device as? DynamicVHD else {
            return try fileRanges(vhd.store, limit: vhd.device.size)
        }
        var ranges = dynamic.allocatedRanges()
        if let parent = vhd.parent {
            ranges = merge(ranges + (try of(parent)).map { $0.clamped(to: 0..<vhd.device.size) }.filter { !$0.isEmpty })
        }
        return ranges
    }

    /// A VHDX's stored blocks, with its parents' ranges where it is differencing.
    static func of(_ vhdx: VHDXImage) -> [Range<UInt64>] {
        var ranges = vhdx.device.storedRanges()
        if let parent = vhdx.parent {
            ranges = merge(ranges + of(parent).map { $0.clamped(to: 0..<vhdx.device.size) }.filter { !$0.isEmpty })
        }
        return ranges
    }

    private static func fileRanges(_ store: any ByteStore, limit: UInt64) throws(BlockIOError) -> [Range<UInt64>] {
        guard let file = store as? any SparseByteStore else { return limit > 0 ? [0..<limit] : [] }
        return try file.dataRanges().map { $0.clamped(to: 0..<limit) }.filter { !$0.isEmpty }
    }

    /// `ranges` sorted and merged.
    static func merge(_ ranges: [Range<UInt64>]) -> [Range<UInt64>] {
        var result: [Range<UInt64>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) { result.appendMerging(range) }
        return result
    }
}

extension Array where Element == Range<UInt64> {
    /// Appends `range`, or extends the last range when `range` touches or overlaps it (ranges given in order of
    /// their starts): how the readers build their sorted, merged lists of stored byte ranges.
    mutating func appendMerging(_ range: Range<UInt64>) {
        if let last = last, range.lowerBound <= last.upperBound {
            self[count - 1] = last.lowerBound..<Swift.max(last.upperBound, range.upperBound)
        } else {
            append(range)
        }
    }
}
