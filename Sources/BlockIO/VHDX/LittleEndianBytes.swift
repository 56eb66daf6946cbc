// Little-endian field access for the VHDX structures (every VHDX integer is little-endian). Callers pass offsets
// inside buffers whose size they checked when reading them, so every index is in bounds by construction.

extension Array where Element == UInt8 {
    /// The little-endian `UInt16` at `offset`.
    func littleEndianUInt16(at offset: Int) -> UInt16 {
        UInt16(self[offset]) | UInt16(self[offset + 1]) << 8
    }

    /// The little-endian `UInt32` at `offset`.
    func littleEndianUInt32(at offset: Int) -> UInt32 {
        var value: UInt32 = 0
        for i in (0..<4).reversed() { value = value << 8 | UInt32(self[offset + i]) }
        return value
    }

    /// The little-endian `UInt64` at `offset`.
    func littleEndianUInt64(at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in (0..<8).reversed() { value = value << 8 | UInt64(self[offset + i]) }
        return value
    }

    /// Stores `value` little-endian at `offset`.
    mutating func storeLittleEndian(_ value: UInt32, at offset: Int) {
        for i in 0..<4 { self[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
    }

    /// Stores `value` little-endian at `offset`.
    mutating func storeLittleEndian(_ value: UInt64, at offset: Int) {
        for i in 0..<8 { self[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
    }

    /// The CRC-32C of the bytes with the 4-byte field at `checksumOffset` taken as zero (how every VHDX
    /// checksum is computed).
    func vhdxChecksum(skipping checksumOffset: Int) -> UInt32 {
        var crc = CRC32C.checksum(self[0..<checksumOffset])
        crc = CRC32C.checksum([0, 0, 0, 0], continuing: crc)
        return CRC32C.checksum(self[(checksumOffset + 4)...], continuing: crc)
    }
}
