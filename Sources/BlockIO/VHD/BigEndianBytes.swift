// Big-endian field access for the fixed-size VHD structures. Callers pass offsets inside buffers whose size
// they checked when reading them (512-byte footer, 1024-byte header), so every index is in bounds by construction;
// the decoding is ByteOrder's, the one ByteReader uses (the 64-bit read, which qcow2 L2 lookups make once per
// cluster, is unrolled).

extension Array where Element == UInt8 {
    /// The big-endian `UInt16` at `offset`.
    func bigEndianUInt16(at offset: Int) -> UInt16 { ByteOrder.big.load(UInt16.self, from: self, at: offset) }

    /// The big-endian `UInt32` at `offset`.
    func bigEndianUInt32(at offset: Int) -> UInt32 { ByteOrder.big.load(UInt32.self, from: self, at: offset) }

    /// The big-endian `UInt64` at `offset`.
    func bigEndianUInt64(at offset: Int) -> UInt64 {
        // Unrolled: the generic loop of ByteOrder.load cost about 110 instructions a word.
        UInt64(self[offset]) << 56 | UInt64(self[offset + 1]) << 48 | UInt64(self[offset + 2]) << 40
            | UInt64(self[offset + 3]) << 32 | UInt64(self[offset + 4]) << 24 | UInt64(self[offset + 5]) << 16
            | UInt64(self[offset + 6]) << 8 | UInt64(self[offset + 7])
    }

    /// The `count` bytes at `offset`.
    func bytes(at offset: Int, count: Int) -> [UInt8] { Array(self[offset..<offset + count]) }

    /// Stores `value` big-endian at `offset`.
    mutating func storeBigEndian(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(value >> 8)
        self[offset + 1] = UInt8(value & 0xFF)
    }

    /// Stores `value` big-endian at `offset`.
    mutating func storeBigEndian(_ value: UInt32, at offset: Int) {
        for i in 0..<4 { self[offset + i] = UInt8((value >> (24 - 8 * UInt32(i))) & 0xFF) }
    }

    /// Stores `value` big-endian at `offset`.
    mutating func storeBigEndian(_ value: UInt64, at offset: Int) {
        for i in 0..<8 { self[offset + i] = UInt8((value >> (56 - 8 * UInt64(i))) & 0xFF) }
    }

    /// Copies `bytes` to `offset`.
    mutating func store(_ bytes: [UInt8], at offset: Int) {
        self.replaceSubrange(offset..<offset + bytes.count, with: bytes)
    }
}
