internal import CHostFile

/// The CRC-32C (Castagnoli) register update computed in C: the processor's SSE4.2 `crc32` instruction, three
/// streams at a time, where it has one, else eight tables. No inversion in or out (the Linux kernel's
/// `crc32c(seed, bytes)`); BlockIO's `CRC32C` builds the checksums of the redo log, jbd2 and VHDX on it.
package enum CRC32CRegister {
    /// The register after feeding `bytes` to a CRC-32C whose register holds `crc`.
    package static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        chostfile_crc32c(crc, bytes.baseAddress, bytes.count)
    }

    /// ``update(_:_:)`` computed with the tables only, whatever the processor (what one without SSE4.2 runs).
    package static func portableUpdate(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        chostfile_crc32c_portable(crc, bytes.baseAddress, bytes.count)
    }
}
