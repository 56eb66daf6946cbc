/// CRC-32C (Castagnoli): polynomial 0x1EDC6F41, reflected 0x82F63B78, initial value and final XOR 0xFFFFFFFF.
///
/// The checksum of iSCSI, ext4 `metadata_csum` and btrfs; here it guards every record of an edit journal's redo
/// log. `checksum("123456789")` is `0xE3069283`. Eight bytes a step through eight tables ("slicing-by-8"): a
/// commit checksums every logged page, and a byte at a time cost a third of a 40 MiB commit.
package enum CRC32C {
    /// Eight 256-entry tables, one after the other: table k gives the CRC of a byte followed by k zero bytes.
    private static let tables: [UInt32] = {
        var first = [UInt32](repeating: 0, count: 256)
        for index in 0..<256 {
            var value = UInt32(index)
            for _ in 0..<8 { value = value & 1 != 0 ? (value >> 1) ^ 0x82F6_3B78 : value >> 1 }
            first[index] = value
        }
        var all = first
        for k in 1..<8 {
            for index in 0..<256 {
                let previous = all[(k - 1) * 256 + index]
                all.append((previous >> 8) ^ first[Int(previous & 0xFF)])
            }
        }
        return all
    }()

    /// The CRC-32C of `bytes`, continuing from `previous` (the checksum of the bytes before them).
    package static func checksum(_ bytes: ArraySlice<UInt8>, continuing previous: UInt32 = 0) -> UInt32 {
        let t = tables
        var crc = ~previous
        var index = bytes.startIndex
        let end = bytes.endIndex
        while end - index >= 8 {
            let low = crc ^ (UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2]) << 16
                | UInt32(bytes[index + 3]) << 24)
            let high = UInt32(bytes[index + 4]) | UInt32(bytes[index + 5]) << 8 | UInt32(bytes[index + 6]) << 16
                | UInt32(bytes[index + 7]) << 24
            crc = t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
                ^ t[5 * 256 + Int((low >> 16) & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
                ^ t[3 * 256 + Int(high & 0xFF)] ^ t[2 * 256 + Int((high >> 8) & 0xFF)]
                ^ t[256 + Int((high >> 16) & 0xFF)] ^ t[Int(high >> 24)]
            index += 8
        }
        while index < end {
            crc = t[Int((crc ^ UInt32(bytes[index])) & 0xFF)] ^ (crc >> 8)
            index += 1
        }
        return ~crc
    }

    /// The CRC-32C of `bytes`, continuing from `previous`.
    package static func checksum(_ bytes: [UInt8], continuing previous: UInt32 = 0) -> UInt32 {
        checksum(bytes[...], continuing: previous)
    }
}
