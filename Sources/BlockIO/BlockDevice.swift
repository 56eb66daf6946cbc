/// A fixed-size, randomly addressable disk: what a guest sees as `/dev/sda` or `/dev/sda1`.
///
/// Raw images, VHDs of every type and partition slices are block devices, so each layer above works the same
/// whatever the image format. Reads and writes are byte-addressed; they must stay inside `0..<size`.
public protocol BlockDevice: AnyObject {
    /// The virtual size in bytes.
    var size: UInt64 { get }
    /// Whether writes are allowed.
    var isWritable: Bool { get }
    /// Fills all of `buffer` with the bytes at `offset`.
    ///
    /// - Throws: ``BlockIOError/Code/outOfBounds`` when the range ends past `size`, or an I/O or format error
    ///   from the image underneath.
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError)
    /// Writes all of `buffer` at `offset`.
    ///
    /// - Throws: ``BlockIOError/Code/readOnly`` on a read-only device, ``BlockIOError/Code/outOfBounds`` past
    ///   `size`, or an error from the image underneath.
    func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockIOError)
    /// Makes every completed write durable, including the image format's own metadata.
    func flush() throws(BlockIOError)
    /// Whether every byte of `range` reads as zero because the image stores nothing there (unallocated blocks
    /// and unwritten sectors of a dynamic VHD without a parent), found from the image's metadata without
    /// reading data. `false` means "not known", not "non-zero". The default answers `false`.
    func isKnownZero(_ range: Range<UInt64>) throws(BlockIOError) -> Bool
}

extension BlockDevice {
    /// Not known: `false` (devices that can tell answer themselves).
    public func isKnownZero(_ range: Range<UInt64>) throws(BlockIOError) -> Bool { false }

    /// Reads `count` bytes at `offset`.
    public func read(at offset: UInt64, count: Int) throws(BlockIOError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        try bytes.withMutableBytes { (raw) throws(BlockIOError) in try read(at: offset, into: raw) }
        return bytes
    }

    /// Fills all of `bytes` with the bytes at `offset`, reusing the array's storage (a loop reading chunk after
    /// chunk allocates and zero-fills its buffer once).
    public func read(at offset: UInt64, into bytes: inout [UInt8]) throws(BlockIOError) {
        try bytes.withMutableBytes { (raw) throws(BlockIOError) in try read(at: offset, into: raw) }
    }

    /// Writes `bytes` at `offset`.
    public func write(at offset: UInt64, bytes: [UInt8]) throws(BlockIOError) {
        try bytes.withBytes { (raw) throws(BlockIOError) in try write(at: offset, from: raw) }
    }

    /// Throws ``BlockIOError/Code/outOfBounds`` unless `offset..<offset+count` lies inside the device.
    public func checkBounds(offset: UInt64, count: Int, what: String = "device") throws(BlockIOError) {
        let (end, overflow) = offset.addingReportingOverflow(UInt64(count))
        guard !overflow, end <= size else {
            throw BlockIOError(
                .outOfBounds, "access of \(count) bytes ends past the end of the \(what) (size \(size))",
                offset: offset)
        }
    }
}

/// Fills `buffer` with what an unallocated block of a differencing disk reads as at `position`: the parent's bytes
/// where the parent has them, zeros past its end (a parent smaller than its child) or without a parent.
func readThroughParent(
    _ parent: (any BlockDevice)?, at position: UInt64, into buffer: UnsafeMutableRawBufferPointer
) throws(BlockIOError) {
    guard let parent else {
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        return
    }
    let available = position < parent.size ? Int(min(UInt64(buffer.count), parent.size - position)) : 0
    if available > 0 {
        try parent.read(at: position, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<available]))
    }
    if available < buffer.count {
        UnsafeMutableRawBufferPointer(rebasing: buffer[available...]).initializeMemory(as: UInt8.self, repeating: 0)
    }
}
