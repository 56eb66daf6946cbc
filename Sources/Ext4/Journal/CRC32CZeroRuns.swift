/// CRC-32C register arithmetic over runs of zero bytes. Feeding `n` zero bytes to the register (no inversion)
/// multiplies it by x^(8n) modulo the CRC polynomial, so a block that is zeros past its first bytes — a commit
/// block, a descriptor with a few tags — is checksummed by the checksum of those bytes and one multiplication,
/// without passing its zeros through the CRC. The operator for each run length is computed once.
struct CRC32CZeroRuns {
    /// Operators remembered at most (a log's commit blocks share one run length, its descriptors a few).
    static let remembered = 64

    /// Run length in bytes → the operator "times x^(8·length)" as eight tables of 16, one per 4 bits of the
    /// register: a multiplication is then eight lookups instead of a 32-step loop.
    private var operators: [Int: [UInt32]] = [:]

    /// The register `crc` after `count` zero bytes.
    mutating func afterZeros(_ crc: UInt32, count: Int) -> UInt32 {
        if let tables = operators[count] { return Self.apply(tables, crc) }
        let power = Self.power(bytes: count)
        guard operators.count < Self.remembered else { return Self.multiply(power, crc) }
        let tables = Self.tables(power)
        operators[count] = tables
        return Self.apply(tables, crc)
    }

    /// The nibble tables of "times `a`": entry 16·k + v is `a` times the register whose bits 4k…4k+3 are `v`
    /// and whose other bits are 0.
    static func tables(_ a: UInt32) -> [UInt32] {
        // basis[j] = a·x^j; register bit b (0 = least significant) is the coefficient of x^(31−b).
        var basis = [UInt32](repeating: 0, count: 32)
        var term = a
        for j in 0..<32 {
            basis[j] = term
            term = term & 1 != 0 ? (term >> 1) ^ 0x82F6_3B78 : term >> 1
        }
        var out = [UInt32](repeating: 0, count: 128)
        for nibble in 0..<8 {
            for value in 0..<16 {
                var product: UInt32 = 0
                for bit in 0..<4 where value & (1 << bit) != 0 { product ^= basis[31 - (4 * nibble + bit)] }
                out[16 * nibble + value] = product
            }
        }
        return out
    }

    /// `crc` times the operator whose tables are `tables`.
    static func apply(_ tables: [UInt32], _ crc: UInt32) -> UInt32 {
        var product: UInt32 = 0
        for nibble in 0..<8 { product ^= tables[16 * nibble + Int((crc >> UInt32(4 * nibble)) & 0xF)] }
        return product
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
