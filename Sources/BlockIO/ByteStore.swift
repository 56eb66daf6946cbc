/// A random-access run of bytes that an image lives in: a host file, or a journal of pending edits over one.
///
/// Image formats (raw, VHD) are parsed from a `ByteStore`. Unlike a ``BlockDevice`` a store can grow: writing
/// past its end extends it, which is how a dynamic VHD allocates blocks.
public protocol ByteStore: AnyObject {
    /// The host path, for error messages.
    var path: String { get }
    /// Whether writes are allowed.
    var isWritable: Bool { get }
    /// The current length in bytes.
    func length() throws(BlockIOError) -> UInt64
    /// Reads up to `buffer.count` bytes at `offset`; returns how many were read (fewer only at the end).
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) -> Int
    /// Writes all of `buffer` at `offset`, extending the store if it ends past the current length.
    func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockIOError)
    /// Sets the length, cutting or extending (with zeros) the end.
    func setLength(_ length: UInt64) throws(BlockIOError)
    /// Makes every completed write durable.
    func sync() throws(BlockIOError)
}

extension ByteStore {
    /// Reads exactly `count` bytes at `offset`, or throws ``BlockIOError/Code/truncated`` naming `structure` (an
    /// autoclosure: the name is built only for the error, not on every read).
    public func readExactly(
        at offset: UInt64, count: Int, structure: @autoclosure () -> String = "data"
    )
        throws(BlockIOError)
        -> [UInt8]
    {
        // Not zero-filled first: the read overwrites it (a dynamic VHD's 2 MiB table at 1 TiB).
        var got = 0
        var failure: BlockIOError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(BlockIOError) {
                got = try read(at: offset, into: UnsafeMutableRawBufferPointer(buffer))
            } catch {
                failure = error
            }
            initialized = failure == nil ? min(max(got, 0), count) : 0
        }
        if let failure { throw failure }
        guard got == count else {
            throw BlockIOError(
                .truncated, "file ends inside the \(structure()) (wanted \(count) bytes, got \(got))",
                path: path, offset: offset)
        }
        return bytes
    }

    /// Writes `bytes` at `offset`.
    public func write(at offset: UInt64, bytes: [UInt8]) throws(BlockIOError) {
        try bytes.withBytes { (raw) throws(BlockIOError) in try write(at: offset, from: raw) }
    }
}
