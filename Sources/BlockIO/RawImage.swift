/// A raw disk image: the store's bytes are the disk's bytes, one for one.
public final class RawImage: BlockDevice {
    /// The store the disk lives in.
    public let store: any ByteStore
    /// The disk size: the store's length at the open.
    public let size: UInt64
    /// Whether the store was opened for writing.
    public var isWritable: Bool { store.isWritable }

    /// A raw disk over `store`; its size is the store's length now.
    public init(store: any ByteStore) throws(BlockIOError) {
        self.store = store
        self.size = try store.length()
    }

    /// Reads the store's bytes at `offset`.
    ///
    /// - Throws: ``BlockIOError/Code/truncated`` when the file ends before them (it shrank after the open).
    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) {
        try checkBounds(offset: offset, count: buffer.count, what: "raw image")
        let got = try store.read(at: offset, into: buffer)
        if got < buffer.count {  // the file shrank under us: report, do not invent bytes
            throw BlockIOError(.truncated, "raw image ends early", path: store.path, offset: offset + UInt64(got))
        }
    }

    /// Writes the store's bytes at `offset`, inside the size fixed at the open.
    public func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockIOError) {
        guard isWritable else { throw BlockIOError(.readOnly, "image is open read-only", path: store.path) }
        try checkBounds(offset: offset, count: buffer.count, what: "raw image")
        try store.write(at: offset, from: buffer)
    }

    /// Flushes the store.
    public func flush() throws(BlockIOError) { try store.sync() }
}
