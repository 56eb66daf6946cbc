/// CRC-32C (Castagnoli): polynomial 0x1EDC6F41, reflected 0x82F63B78, initial value and final XOR 0xFFFFFFFF.
///
/// The checksum of iSCSI, ext4 `metadata_csum` and btrfs; here it guards every record of an edit journal's redo
/// log. `checksum("123456789")` is `0xE3069283`.
package enum CRC32C {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 != 0 ? (value >> 1) ^ 0x82F6_3B78 : value >> 1 }
        return value
    }

    /// The CRC-32C of `bytes`, continuing from `previous` (the checksum of the bytes before them).
    package static func checksum(_ bytes: ArraySlice<UInt8>, continuing previous: UInt32 = 0) -> UInt32 {
        var crc = ~previous
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return ~crc
    }

    /// The CRC-32C of `bytes`, continuing from `previous`.
    package static func checksum(_ bytes: [UInt8], continuing previous: UInt32 = 0) -> UInt32 {
        checksum(bytes[...], continuing: previous)
    }
}
