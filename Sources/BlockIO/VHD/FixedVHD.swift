/// A fixed VHD as a disk: the first `current_size` bytes of the file, then the footer.
public final class FixedVHD: BlockDevice {
    /// The store the image lives in.
    public let store: any ByteStore
    /// The footer in use.
    public let footer: VHDFooter
    public let size: UInt64
    public var isWritable: Bool { store.isWritable }

    /// The disk of the fixed VHD whose metadata is `structure`.
    public init(store: any ByteStore, structure: VHDFileStructure) {
        self.store = store
        self.footer = structure.footer
        self.size = structure.footer.currentSize
    }

    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) {
        try checkBounds(offset: offset, count: buffer.count, what: "fixed VHD")
        let got = try store.read(at: offset, into: buffer)
        if got < buffer.count {
            throw BlockIOError(.truncated, "fixed VHD ends early", path: store.path, offset: offset + UInt64(got))
        }
    }

    public func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockIOError) {
        guard isWritable else { throw BlockIOError(.readOnly, "image is open read-only", path: store.path) }
        try checkBounds(offset: offset, count: buffer.count, what: "fixed VHD")
        try store.write(at: offset, from: buffer)
    }

    public func flush() throws(BlockIOError) { try store.sync() }
}
