import BlockIO
import Testing

@testable import Ext4

/// Accounting for runs of zero bytes by multiplication gives the register the CRC itself gives over those zeros,
/// and a block checksummed that way (a commit block, a descriptor) gives the checksum of the whole block.
@Suite struct CRC32CZeroRunsTests {
    @Test func zerosByMultiplicationMatchTheCRC() {
        var runs = CRC32CZeroRuns()
        var generator = SystemRandomNumberGenerator()
        for count in [0, 1, 3, 4, 7, 60, 1020, 1024, 4032, 4036, 65_536] {
            let seed = UInt32.random(in: 0...UInt32.max, using: &generator)
            let zeros = [UInt8](repeating: 0, count: count)
            #expect(runs.afterZeros(seed, count: count) == CRC32C.update(seed, zeros[...]), "\(count) zero bytes")
            #expect(runs.afterZeros(seed, count: count) == CRC32C.update(seed, zeros[...]), "\(count), remembered")
            let power = CRC32CZeroRuns.power(bytes: count)
            #expect(CRC32CZeroRuns.apply(CRC32CZeroRuns.tables(power), seed) == CRC32CZeroRuns.multiply(power, seed))
        }
    }

    @Test func aBlockWithAZeroTailSumsAsAWholeBlock() {
        var runs = CRC32CZeroRuns()
        let cases = [
            (60, 16, 0), (40, 4092, 0), (40, 4092, 3000), (40, 4092, 204), (0, 8, 0), (4090, 16, 0), (40, 4092, 4095),
            (40, 254, 600), (40, 254, 200),
        ]
        for (contentEnd, field, tail) in cases {
            var block = [UInt8](repeating: 0, count: 4096)
            for index in 0..<contentEnd { block[index] = UInt8(truncatingIfNeeded: index &* 37 &+ 11) }
            for index in field..<(field + 4) { block[index] = 0xAB }
            if tail != 0 { block[tail] = 1 }  // a non-zero byte past the content (debugfs's descriptor UUID)
            let slice = block[...]
            let expected = JournalChecksum.crc32c(0x1234_5678, slice, zeroing: field)
            let computed = JournalChecksum.crc32c(
                0x1234_5678, slice, zeroing: field, zerosFrom: contentEnd, zeroRuns: &runs)
            #expect(computed == expected, "content \(contentEnd), field \(field), non-zero at \(tail)")
        }
    }
}
