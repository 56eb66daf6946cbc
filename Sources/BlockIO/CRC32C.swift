internal import CHostFile

/// CRC-32C (Castagnoli): polynomial 0x1EDC6F41, reflected 0x82F63B78, initial value and final XOR 0xFFFFFFFF.
///
/// The checksum of iSCSI, ext4 `metadata_csum` and btrfs; here it guards every record of an edit journal's redo
/// log, and every VHDX structure. `checksum("123456789")` is `0xE3069283`. Computed in C (`chostfile_crc32c`): the
/// CPU's crc32 instruction where it has SSE 4.2, eight tables ("slicing-by-8") otherwise. A commit checksums every
/// logged page (a byte at a time cost a third of a 40 MiB commit), and a VHDX open checks two 64 KiB region
/// tables, which in an unoptimised Swift loop dominated the VHDX fuzz target.
package enum CRC32C {
    /// The CRC-32C of `bytes`, continuing from `previous` (the checksum of the bytes before them).
    package static func checksum(_ bytes: ArraySlice<UInt8>, continuing previous: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { chostfile_crc32c(previous, $0.baseAddress, $0.count) }
    }

    /// The CRC-32C of `bytes`, continuing from `previous`.
    package static func checksum(_ bytes: [UInt8], continuing previous: UInt32 = 0) -> UInt32 {
        checksum(bytes[...], continuing: previous)
    }
}
