internal import CHostFile

/// CRC-32C (Castagnoli): polynomial 0x1EDC6F41, reflected 0x82F63B78, initial value and final XOR 0xFFFFFFFF.
///
/// The checksum of iSCSI, ext4 `metadata_csum` and btrfs; here it guards every record of an edit journal's redo
/// log. `checksum("123456789")` is `0xE3069283`. Computed in C (`chostfile_crc32c`): by the SSE4.2 `crc32`
/// instruction, 8 bytes a step, where the CPU has it, else a table a byte at a time; a commit checksums every
/// logged page, and in Swift (slicing-by-8) that was a quarter of growing a filesystem to 30 GiB.
package enum CRC32C {
    /// The CRC-32C of `bytes`, continuing from `previous` (the checksum of the bytes before them).
    package static func checksum(_ bytes: ArraySlice<UInt8>, continuing previous: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { raw in chostfile_crc32c(previous, raw.baseAddress, raw.count) }
    }

    /// The CRC-32C of `bytes`, continuing from `previous`.
    package static func checksum(_ bytes: [UInt8], continuing previous: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { raw in chostfile_crc32c(previous, raw.baseAddress, raw.count) }
    }
}
