internal import HostSystem

/// Writes only the non-zero parts of a buffer, so that zero runs stay holes in a sparse file.
enum SparseWriter {
    /// The granule zero runs are detected in: 4 KiB, the page and filesystem block size.
    static let granule = 4096

    /// Writes the 4 KiB pieces of `data` that hold a non-zero byte (merged into as few writes as possible)
    /// at `offset` of `store`; returns the number of bytes written. A host file takes them in C, a large buffer
    /// split over the cores (``HostFile/writeNonZero(_:at:)``).
    @discardableResult
    static func writeNonZero(
        _ data: UnsafeRawBufferPointer, to store: any ByteStore, at offset: UInt64
    )
        throws(BlockIOError) -> Int
    {
        if let file = store as? HostFile { return try file.writeNonZero(data, at: offset) }
        var written = 0
        var runStart: Int?
        var position = 0
        while position < data.count {
            let end = min(position + granule, data.count)
            let zero = ZeroDetection.isAllZero(data, position..<end)
            if zero, let start = runStart {
                try store.write(
                    at: offset + UInt64(start), from: UnsafeRawBufferPointer(rebasing: data[start..<position]))
                written += position - start
                runStart = nil
            } else if !zero, runStart == nil {
                runStart = position
            }
            position = end
        }
        if let start = runStart {
            try store.write(
                at: offset + UInt64(start), from: UnsafeRawBufferPointer(rebasing: data[start..<data.count]))
            written += data.count - start
        }
        return written
    }
}
