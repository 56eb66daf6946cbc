/// CRC-32C register arithmetic over runs of zero bytes. Feeding `n` zero bytes to the register (no inversion)
/// multiplies it by x^(8n) modulo the CRC polynomial, so a block that is zeros past its first bytes — a commit
/// block, a descriptor with a few tags — is checksummed by the checksum of those bytes and one multiplication,
/// without passing its zeros through the CRC. The operator for each run length is computed once.
struct CRC32CZeroRuns {
    /// Run length in bytes → x^(8·length) modulo the polynomial.
    private var operators: [Int: UInt32] = [:]

    /// The register `crc` after `count` zero bytes.
    mutating func afterZeros(_ crc: UInt32, count: Int) -> UInt32 {
        if let known = operators[count] { return Self.multiply(known, crc) }
        let power = Self.power(bytes: count)
        operators[count] = power
        return Self.multiply(power, crc)
    }

    /// `a·b` modulo the reflected polynomial 0x82F63B78 (bit 31 is x⁰, bit 0 is x³¹).
    static func multiply(_ a: UInt32, _ b: UInt32) -> UInt32 {
        var product: UInt32 = 0
        var a = a
        var b = b
        while a != 0 {
            if a & 0x8000_0000 != 0 { product ^= b }
            a <<= 1
            b = b & 1 != 0 ? (b >> 1) ^ 0x82F6_3B78 : b >> 1
        }
        return product
    }

    /// x^(8·count) modulo the polynomial, by squaring.
    static func power(bytes count: Int) -> UInt32 {
        var result: UInt32 = 0x8000_0000  // x⁰
        var square: UInt32 = 0x0080_0000  // x⁸
        var remaining = count
        while remaining != 0 {
            if remaining & 1 != 0 { result = multiply(square, result) }
            square = multiply(square, square)
            remaining >>= 1
        }
        return result
    }
}
