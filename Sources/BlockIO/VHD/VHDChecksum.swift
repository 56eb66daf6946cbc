internal import HostSystem

/// The checksum the VHD footer and the dynamic disk header carry: the one's complement of the byte sum of the
/// structure, with the 4-byte checksum field itself counted as zero ([SPEC]; qemu `vpc_checksum`).
enum VHDChecksum {
    /// The checksum of `bytes`, skipping the field at `fieldOffset..<fieldOffset+4`.
    static func compute(_ bytes: [UInt8], skipping fieldOffset: Int) -> UInt32 {
        // The sum of every byte (in C: every open of a VHD checks two or three of these), less the field's.
        var sum = bytes.withUnsafeBytes { HostFileCalls.byteSum($0) }
        for index in max(0, fieldOffset)..<min(bytes.count, max(0, fieldOffset + 4)) { sum &-= UInt32(bytes[index]) }
        return ~sum
    }

    /// `fields` with `checksum` stored big-endian at `fieldOffset`: the structure as written to disk.
    static func storing(_ checksum: UInt32, in fields: [UInt8], at fieldOffset: Int) -> [UInt8] {
        var bytes = fields
        bytes.storeBigEndian(checksum, at: fieldOffset)
        return bytes
    }

    /// Throws ``BlockIOError/Code/checksumMismatch`` unless `stored == computed`; the error names `path`, the
    /// checksum field of `structure` and its byte offset in the file, `fieldOffset`.
    static func verify(
        stored: UInt32, computed: UInt32, path: String, fieldOffset: UInt64, structure: String
    ) throws(BlockIOError) {
        guard stored != computed else { return }
        throw BlockIOError(
            .checksumMismatch, "stored \(hex(stored)), computed \(hex(computed))", path: path, offset: fieldOffset,
            structure: structure, field: "checksum")
    }

    /// `value` as `0x1234abcd`.
    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
