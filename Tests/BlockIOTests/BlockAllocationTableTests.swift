import BlockIO
import Testing
import _TestSupport

/// The BAT is decoded and scanned 16 and 32 entries at a time (CHostFile): entries next to those chunk edges, at
/// the ends of tables whose length is no multiple of them, and values that are all-ones in one byte order only
/// must come out as a byte-by-byte reading gives them.
@Suite struct BlockAllocationTableTests {
    @Test(arguments: [0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 1000, 4099])
    func decodingAndAllocatedEntriesMatchAByteByByteReading(count: Int) {
        var generator = SeededGenerator(seed: UInt64(count) &+ 7)
        var entries = [UInt32](repeating: BlockAllocationTable.unallocated, count: count)
        let edges = [0, 1, 14, 15, 16, 17, 30, 31, 32, 33, 47, 48, 63, 64, count - 2, count - 1]
        for index in edges where index >= 0 && index < count && generator.next() % 3 != 0 {
            entries[index] = UInt32(truncatingIfNeeded: generator.next())
        }
        for _ in 0..<(count / 40) {
            entries[Int(generator.next() % UInt64(count))] = UInt32(generator.next() % 1_000_000)
        }
        if count > 5 {
            entries[2] = 0xFFFF_FF00  // only the last byte differs from unallocated
            entries[3] = 0x00FF_FFFF
        }
        let bytes = BlockAllocationTable(entries: entries).serialized()
        var expected: [UInt32] = []
        for i in 0..<count {
            var value: UInt32 = 0
            for byte in bytes[(4 * i)..<(4 * i + 4)] { value = value << 8 | UInt32(byte) }
            expected.append(value)
        }
        let table = BlockAllocationTable(parsing: Array(bytes.prefix(4 * count)))
        #expect(table.entries == expected)
        #expect(table.entries == entries)
        let allocated = (0..<count).filter { entries[$0] != BlockAllocationTable.unallocated }
        #expect(table.allocatedIndices() == allocated)
        #expect(table.allocatedCount == allocated.count)
    }

    @Test func aTableWithMoreAllocatedEntriesThanTheFirstGuessFindsThemAll() {
        let entries = (0..<5000).map { UInt32($0 % 7 == 0 ? 0xFFFF_FFFF : $0) }
        let table = BlockAllocationTable(entries: entries)
        #expect(table.allocatedIndices() == (0..<5000).filter { $0 % 7 != 0 })
    }
}
