/// The checksum the VHD footer and the dynamic disk header carry: the one's complement of the byte sum of the
/// structure, with the 4-byte checksum field itself counted as zero ([SPEC]; qemu `vpc_checksum`).
enum VHDChecksum {
    /// The checksum of `bytes`, skipping the field at `fieldOffset..<fieldOffset+4`.
    static func compute(_ bytes: [UInt8], skipping fieldOffset: Int) -> UInt32 {
        var sum: UInt32 = 0
        for (index, byte) in bytes.enumerated() where index < fieldOffset || index >= fieldOffset + 4 {
            sum &+= UInt32(byte)
        }
        return ~sum
    }

    /// `value` as `0x1234abcd`.
    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
