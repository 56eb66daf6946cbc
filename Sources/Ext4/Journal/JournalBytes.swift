import BlockIO
internal import HostSystem

/// Big-endian field reads and writes on one journal block (jbd2 stores every field big-endian), bounds-checked:
/// a field that would run past the block reads as zero, so a parser can never read outside its block. Offsets
/// count from the block's first byte; the bytes may be a slice of a larger buffer (the journal source's window),
/// shared rather than copied.
struct JournalBytes {
    var bytes: ArraySlice<UInt8>

    init(_ bytes: [UInt8]) { self.bytes = bytes[...] }
    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    var count: Int { bytes.count }

    /// The 32-bit big-endian value at `offset`, or 0 when it does not fit.
    func u32(_ offset: Int) -> UInt32 {
        guard offset >= 0, offset + 4 <= bytes.count else { return 0 }
        let at = bytes.startIndex + offset
        return UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8
            | UInt32(bytes[at + 3])
    }

    /// The 16-bit big-endian value at `offset`, or 0 when it does not fit.
    func u16(_ offset: Int) -> UInt16 {
        guard offset >= 0, offset + 2 <= bytes.count else { return 0 }
        let at = bytes.startIndex + offset
        return UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1])
    }

    /// The 64-bit big-endian value at `offset`, or 0 when it does not fit.
    func u64(_ offset: Int) -> UInt64 { UInt64(u32(offset)) << 32 | UInt64(u32(offset + 4)) }

    /// The byte at `offset`, or 0 when it does not fit.
    func u8(_ offset: Int) -> UInt8 { offset >= 0 && offset < bytes.count ? bytes[bytes.startIndex + offset] : 0 }

    /// Stores `value` big-endian at `offset` (ignored when it does not fit).
    mutating func setU32(_ offset: Int, _ value: UInt32) {
        guard offset >= 0, offset + 4 <= bytes.count else { return }
        let at = bytes.startIndex + offset
        bytes[at] = UInt8(value >> 24)
        bytes[at + 1] = UInt8(truncatingIfNeeded: value >> 16)
        bytes[at + 2] = UInt8(truncatingIfNeeded: value >> 8)
        bytes[at + 3] = UInt8(truncatingIfNeeded: value)
    }

    /// The bytes `range` (counted from the block's start), clamped to the block.
    func slice(_ range: Range<Int>) -> ArraySlice<UInt8> {
        let low = max(0, min(range.lowerBound, bytes.count))
        let high = max(low, min(range.upperBound, bytes.count))
        return bytes[(bytes.startIndex + low)..<(bytes.startIndex + high)]
    }
}

/// The checksums jbd2 uses: CRC-32C without the final inversion (the kernel's `crc32c`, which `jbd2_chksum`
/// calls with a seed; BlockIO's ``CRC32C``, in hardware where the processor has it), and the big-endian CRC-32
/// of version-1 transaction checksums (`crc32_be`, libext2fs's tables).
enum JournalChecksum {
    /// `crc32c(seed, bytes)` as the kernel computes it: no inversion in or out.
    static func crc32c(_ seed: UInt32, _ bytes: ArraySlice<UInt8>) -> UInt32 { CRC32C.update(seed, bytes) }

    /// The kernel's `crc32_be(seed, bytes)`: polynomial 0x04C11DB7, most significant bit first, no inversion.
    static func crc32be(_ seed: UInt32, _ bytes: ArraySlice<UInt8>) -> UInt32 { Ext2fsCRC.crc32be(seed, bytes) }

    /// `crc32c(seed, bytes)` with the four bytes at `field` (counted from the first of `bytes`) read as zeros (a
    /// block checksummed with its own checksum field cleared), without copying the block.
    static func crc32c(_ seed: UInt32, _ bytes: ArraySlice<UInt8>, zeroing field: Int) -> UInt32 {
        guard field >= 0, field + 4 <= bytes.count else { return crc32c(seed, bytes) }
        let at = bytes.startIndex + field
        var crc = crc32c(seed, bytes[bytes.startIndex..<at])
        crc = crc32c(crc, zeroWord[...])
        return crc32c(crc, bytes[(at + 4)...])
    }

    /// `crc32c(seed, bytes)` of the four big-endian bytes of `word`, a table lookup a byte (no buffer for four
    /// bytes).
    static func crc32c(_ seed: UInt32, bigEndian word: UInt32) -> UInt32 {
        var crc = seed
        for shift in stride(from: 24, through: 0, by: -8) {
            crc = byteTable[Int((crc ^ (word >> UInt32(shift))) & 0xFF)] ^ (crc >> 8)
        }
        return crc
    }

    /// The register update for one byte, by its low byte (the reflected polynomial 0x82F63B78).
    private static let byteTable: [UInt32] = (0..<256).map { (byte: UInt32) in
        var crc = byte
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }

    /// ``crc32c(_:_:zeroing:)`` of a block that ends in zeros (a commit block past its fields, a descriptor past
    /// its tags): the zeros are found by a word-at-a-time test, far cheaper than a CRC over them, and accounted
    /// for by `zeroRuns` instead of being fed to the CRC. They start at `contentEnd` when every byte after it is
    /// zero (the field read as zeros); otherwise after the last 256-byte piece of the block that is not all
    /// zeros (debugfs, for one, writes a descriptor's UUID further on). The result is the CRC over the whole
    /// block either way.
    static func crc32c(
        _ seed: UInt32, _ bytes: ArraySlice<UInt8>, zeroing field: Int, zerosFrom contentEnd: Int,
        zeroRuns: inout CRC32CZeroRuns
    ) -> UInt32 {
        let count = bytes.count
        guard contentEnd >= 0, contentEnd < count, field >= 0, field + 4 <= count else {
            return crc32c(seed, bytes, zeroing: field)
        }
        let zerosStart = bytes.withUnsafeBytes { raw in
            // Whether `range` is all zeros, the field's four bytes read as zeros.
            func zeros(_ range: Range<Int>) -> Bool {
                if field >= range.upperBound || field + 4 <= range.lowerBound {
                    return ZeroDetection.isAllZero(raw, range)
                }
                return ZeroDetection.isAllZero(raw, range.lowerBound..<max(range.lowerBound, field))
                    && ZeroDetection.isAllZero(raw, min(range.upperBound, field + 4)..<range.upperBound)
            }
            if zeros(contentEnd..<count) { return contentEnd }
            var start = count
            while start > 0, zeros(max(0, start - 256)..<start) { start = max(0, start - 256) }
            return start
        }
        // Nothing to skip, or the field split by the start of the zeros: the whole block through the CRC.
        guard zerosStart < count, field >= zerosStart || field + 4 <= zerosStart else {
            return crc32c(seed, bytes, zeroing: field)
        }
        // A field among the zeros is read as zeros; one before them is zeroed as usual.
        let head = crc32c(seed, bytes.prefix(zerosStart), zeroing: field)
        return zeroRuns.afterZeros(head, count: count - zerosStart)
    }

    private static let zeroWord: [UInt8] = [0, 0, 0, 0]
}
