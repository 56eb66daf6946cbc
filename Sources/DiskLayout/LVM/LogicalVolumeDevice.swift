public import BlockIO

/// A logical volume seen as a block device: its segments mapped onto byte ranges of its physical volumes, the
/// way device-mapper's `linear` and `striped` targets map them, in user space.
///
/// Reads and writes are split where a segment or a stripe chunk ends and passed to the PV devices (slices of
/// the image's disk), so writes go through the same device stack, and the same edit journal, as any partition.
public final class LogicalVolumeDevice: BlockDevice {
    /// One segment: `length` bytes of the LV from `start`, spread over `stripes` in chunks of `chunk` bytes
    /// (a linear segment has one stripe and no chunking).
    public struct Piece {
        /// The first LV byte of the segment.
        public let start: UInt64
        /// Its length in bytes.
        public let length: UInt64
        /// The byte on each stripe's PV device where the segment's part of that stripe starts.
        public let stripeOffsets: [UInt64]
        /// The stripe size in bytes; 0 for a linear segment.
        public let chunk: UInt64
        /// The stripes' devices (parallel to `stripeOffsets`).
        let devices: [any BlockDevice]

        /// `devices[i]` and `stripeOffsets[i]` hold stripe `i`.
        public init(start: UInt64, length: UInt64, stripes: [(device: any BlockDevice, offset: UInt64)], chunk: UInt64)
        {
            self.start = start
            self.length = length
            self.devices = stripes.map(\.device)
            self.stripeOffsets = stripes.map(\.offset)
            self.chunk = chunk
        }
    }

    /// The segments in LV order, each starting where the one before ends.
    public let pieces: [Piece]
    /// The logical volume's size in bytes: the sum of its segments.
    public let size: UInt64
    /// Whether writes are passed down to the physical volumes.
    public let isWritable: Bool

    /// A device of `pieces`, which must follow each other from byte 0 and each map inside its devices.
    ///
    /// - Throws: `BlockIOError/Code/outOfBounds` when a piece does not start where the one before ends or
    ///   maps past the end of a PV device.
    public init(pieces: [Piece]) throws(BlockIOError) {
        var next: UInt64 = 0
        for piece in pieces {
            guard piece.start == next, !piece.devices.isEmpty else {
                throw BlockIOError(.outOfBounds, "a logical volume segment starts at \(piece.start), not \(next)")
            }
            let perStripe = piece.length / UInt64(piece.devices.count)
            for (device, offset) in zip(piece.devices, piece.stripeOffsets) {
                let (end, overflow) = offset.addingReportingOverflow(perStripe)
                guard !overflow, end <= device.size else {
                    throw BlockIOError(
                        .outOfBounds,
                        "a logical volume segment maps past the end of its \(device.size)-byte physical volume",
                        offset: offset)
                }
            }
            next += piece.length
        }
        self.pieces = pieces
        size = next
        isWritable = pieces.allSatisfy { $0.devices.allSatisfy(\.isWritable) }
    }

    /// The device, its offset and how many bytes from there stay contiguous, for LV byte `offset` (< size).
    private func locate(_ offset: UInt64) -> (device: any BlockDevice, offset: UInt64, run: UInt64) {
        var low = 0
        var high = pieces.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if pieces[middle].start <= offset { low = middle } else { high = middle - 1 }
        }
        let piece = pieces[low]
        let relative = offset - piece.start
        if piece.devices.count == 1 {
            return (piece.devices[0], piece.stripeOffsets[0] + relative, piece.length - relative)
        }
        let chunkIndex = relative / piece.chunk
        let within = relative % piece.chunk
        let stripe = Int(chunkIndex % UInt64(piece.devices.count))
        let row = chunkIndex / UInt64(piece.devices.count)
        return (
            piece.devices[stripe], piece.stripeOffsets[stripe] + row * piece.chunk + within,
            min(piece.chunk - within, piece.length - relative)
        )
    }

    /// Reads LV bytes, segment by segment (stripe by stripe) from the physical volumes.
    /// - Parameters:
    /// - offset: The byte offset in the logical volume.
    /// - buffer: Where the bytes go.
    /// - Throws: `BlockIOError` for a read past the end or a failing physical volume.
    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) {
        try checkBounds(offset: offset, count: buffer.count, what: "logical volume")
        var done = 0
        while done < buffer.count {
            let place = locate(offset + UInt64(done))
            let count = Int(min(UInt64(buffer.count - done), place.run))
            try place.device.read(
                at: place.offset, into: UnsafeMutableRawBufferPointer(rebasing: buffer[done..<done + count]))
            done += count
        }
    }

    /// Writes LV bytes to the physical volumes that hold them.
    /// - Parameters:
    /// - offset: The byte offset in the logical volume.
    /// - buffer: The bytes to write.
    /// - Throws: `BlockIOError` with code `readOnly` when the volume is read-only, or the physical volume's error.
    public func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockIOError) {
        guard isWritable else { throw BlockIOError(.readOnly, "the logical volume is read-only", offset: offset) }
        try checkBounds(offset: offset, count: buffer.count, what: "logical volume")
        var done = 0
        while done < buffer.count {
            let place = locate(offset + UInt64(done))
            let count = Int(min(UInt64(buffer.count - done), place.run))
            try place.device.write(
                at: place.offset, from: UnsafeRawBufferPointer(rebasing: buffer[done..<done + count]))
            done += count
        }
    }

    /// Flushes every physical volume under the LV once.
    /// - Throws: The first physical volume's `BlockIOError`.
    public func flush() throws(BlockIOError) {
        var seen: [ObjectIdentifier] = []
        for piece in pieces {
            for device in piece.devices where !seen.contains(ObjectIdentifier(device)) {
                seen.append(ObjectIdentifier(device))
                try device.flush()
            }
        }
    }

    /// Whether `range` is known to read as zeros on every physical volume under it, without reading data.
    /// - Parameter range: Byte offsets of the logical volume.
    /// - Returns: True when every piece of the range is known zero.
    /// - Throws: `BlockIOError` when a physical volume cannot answer.
    public func isKnownZero(_ range: Range<UInt64>) throws(BlockIOError) -> Bool {
        guard range.upperBound <= size, !range.isEmpty else { return false }
        var offset = range.lowerBound
        while offset < range.upperBound {
            let place = locate(offset)
            let count = min(range.upperBound - offset, place.run)
            guard try place.device.isKnownZero(place.offset..<(place.offset + count)) else { return false }
            offset += count
        }
        return true
    }
}
