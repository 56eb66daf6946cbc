internal import CHostFile

/// Finding runs of zero bytes fast (the C shim compares machine words), for sparse output and for writes that
/// need not allocate.
public enum ZeroDetection {
    /// Whether every byte of `bytes` is zero.
    public static func isAllZero(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { isAllZero($0) }
    }

    /// Whether every byte of `buffer` is zero.
    public static func isAllZero(_ buffer: UnsafeRawBufferPointer) -> Bool {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return true }
        return chostfile_is_all_zero(base, buffer.count) != 0
    }

    /// Whether every byte of `buffer[range]` is zero.
    public static func isAllZero(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        isAllZero(UnsafeRawBufferPointer(rebasing: buffer[range]))
    }
}
