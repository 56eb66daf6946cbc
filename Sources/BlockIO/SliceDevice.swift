/// A byte range of another device, seen as a device of its own: a partition of a disk.
public final class SliceDevice: BlockDevice {
    /// The device the slice is cut from.
    public let base: any BlockDevice
    /// Where the slice starts on `base`, in bytes.
    public let start: UInt64
    /// The slice's length in bytes.
    public let size: UInt64
    /// Whether `base` accepts writes.
    public var isWritable: Bool { base.isWritable }

    /// The range `start..<start+size` of `base`.
    ///
    /// - Throws: ``BlockIOError/Code/outOfBounds`` when the range does not fit inside `base`.
    public init(base: any BlockDevice, start: UInt64, size: UInt64) throws(BlockIOError) {
        let (end, overflow) = start.addingReportingOverflow(size)
        guard !overflow, end <= base.size else {
            throw BlockIOError(
                .outOfBounds, "slice \(start)..<\(start &+ size) does not fit in a device of \(base.size) bytes",
                offset: start)
        }
        self.base = base
        self.start = start
        self.size = size
    }

    /// Reads `base` at `start + offset`, never outside the slice.
    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) {
        try checkBounds(offset: offset, count: buffer.count, what: "partition")
        try base.read(at: start + offset, into: buffer)
    }

    /// Writes `base` at `start + offset`, never outside the slice.
    public func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockIOError) {
        try checkBounds(offset: offset, count: buffer.count, what: "partition")
        try base.write(at: start + offset, from: buffer)
    }

    /// Flushes `base`.
    public func flush() throws(BlockIOError) { try base.flush() }

    /// Asks `base` about the same bytes; `false` for a range past the slice's end.
    public func isKnownZero(_ range: Range<UInt64>) throws(BlockIOError) -> Bool {
        guard range.upperBound <= size else { return false }
        return try base.isKnownZero((start + range.lowerBound)..<(start + range.upperBound))
    }
}
