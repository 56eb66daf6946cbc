internal import HostSystem

/// CRC-32C (Castagnoli): polynomial 0x1EDC6F41, reflected 0x82F63B78, initial value and final XOR 0xFFFFFFFF.
///
/// The checksum of iSCSI, ext4 `metadata_csum`, jbd2 and btrfs; here it guards every record of an edit journal's
/// redo log and every block of a filesystem journal. `checksum("123456789")` is `0xE3069283`. Computed in C
/// (HostSystem's `CRC32CRegister`): the processor's SSE4.2 `crc32` instruction, three streams at a time, when it has one
/// (a journal replay checksums every block of the log, and a commit every logged page), else eight tables.
package enum CRC32C {
    /// The CRC-32C of `bytes`, continuing from `previous` (the checksum of the bytes before them).
    package static func checksum(_ bytes: ArraySlice<UInt8>, continuing previous: UInt32 = 0) -> UInt32 {
        ~update(~previous, bytes)
    }

    /// The CRC-32C of `bytes`, continuing from `previous`.
    package static func checksum(_ bytes: [UInt8], continuing previous: UInt32 = 0) -> UInt32 {
        checksum(bytes[...], continuing: previous)
    }

    /// The register after feeding `bytes` to a CRC-32C whose register holds `crc`, with no inversion in or out:
    /// the Linux kernel's `crc32c(seed, bytes)`, which jbd2's and ext4's checksums are defined with.
    package static func update(_ crc: UInt32, _ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBytes { CRC32CRegister.update(crc, $0) }
    }

    /// ``update(_:_:)`` computed with the tables only, whatever the processor (what one without SSE4.2 runs).
    package static func portableUpdate(_ crc: UInt32, _ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBytes { CRC32CRegister.portableUpdate(crc, $0) }
    }

    /// ``update(_:_:)`` over raw bytes.
    package static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        CRC32CRegister.update(crc, bytes)
    }
}
