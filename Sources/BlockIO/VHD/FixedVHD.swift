/// A fixed VHD as a disk: the first `current_size` bytes of the file, then the footer.
public final class FixedVHD: BlockDevice {
    /// The store the image lives in.
    public let store: any ByteStore
    /// The footer in use.
    public let footer: VHDFooter
    /// The virtual size: the footer's `current_size`.
    public let size: UInt64
    /// Whether the image file was opened for writing.
    public var isWritable: Bool { store.isWritable }

    /// The disk of the fixed VHD whose metadata is `structure`.
    public init(store: any ByteStore, structure: VHDFileStructure) {
        self.store = store
        self.footer = structure.footer
        self.size = structure.footer.currentSize
    }

    /// Reads the disk bytes at `offset`, which are the file's bytes at `offset`.
    ///
    /// - Throws: ``BlockIOError/Code/truncated`` when the file ends before them (it shrank after the open).
    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) {
        try checkBounds(offset: offset, count: buffer.count, what: "fixed VHD")
        let got = try store.read(at: offset, into: buffer)
        if got < buffer.count {
            throw BlockIOError(.truncated, "fixed VHD ends early", path: store.path, offset: offset + UInt64(got))
        }
    }

    /// Writes the disk bytes at `offset` to the file at `offset` (the footer after them is never touched).
    public func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockIOError) {
        guard isWritable else { throw BlockIOError(.readOnly, "image is open read-only", path: store.path) }
        try checkBounds(offset: offset, count: buffer.count, what: "fixed VHD")
        try store.write(at: offset, from: buffer)
    }

    /// Flushes the file (`fsync`).
    public func flush() throws(BlockIOError) { try store.sync() }
}
