// The standard library's `withUnsafe(Mutable)Bytes` rethrow untyped errors; these keep `BlockIOError` typed.

extension Array where Element == UInt8 {
    /// `withUnsafeMutableBytes` for a body that throws ``BlockIOError``.
    @inlinable
    public mutating func withMutableBytes<R>(
        _ body: (UnsafeMutableRawBufferPointer) throws(BlockIOError) -> R
    ) throws(BlockIOError) -> R {
        let result: Result<R, BlockIOError> = withUnsafeMutableBytes { raw in
            Result { () throws(BlockIOError) in try body(raw) }
        }
        return try result.get()
    }

    /// `withUnsafeBytes` for a body that throws ``BlockIOError``.
    @inlinable
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws(BlockIOError) -> R) throws(BlockIOError) -> R {
        let result: Result<R, BlockIOError> = withUnsafeBytes { raw in
            Result { () throws(BlockIOError) in try body(raw) }
        }
        return try result.get()
    }
}
