/// The checksum LVM2 stores in its label, metadata area header and metadata text locations: lvm's `calc_crc`.
///
/// It is the reflected CRC-32 of the IEEE polynomial (`0xEDB88320`, as in zlib) but starts from
/// ``initialValue`` (`0xf597a6cf`) and has no final XOR. A checksum can be continued over several byte runs
/// (the metadata text wraps around its circular buffer).
public struct LVMChecksum: Sendable {
    /// lvm2's `INITIAL_CRC`.
    public static let initialValue: UInt32 = 0xF597_A6CF

    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? (value >> 1) ^ 0xEDB8_8320 : value >> 1 }
        return value
    }

    /// The checksum of the bytes added so far.
    public private(set) var value: UInt32 = initialValue

    /// A checksum of no bytes yet.
    public init() {}

    /// Adds `bytes` to the checksum.
    public mutating func update<Bytes: Sequence>(with bytes: Bytes) where Bytes.Element == UInt8 {
        let table = Self.table
        var crc = value
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        value = crc
    }

    /// The checksum of `bytes`.
    public static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc = LVMChecksum()
        crc.update(with: bytes)
        return crc.value
    }
}
