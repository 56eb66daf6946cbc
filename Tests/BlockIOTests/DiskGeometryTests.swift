import BlockIO
import Testing

/// The specification's CHS algorithm against the values qemu-img produced (vhd-format.md §4 table, [EXP]).
@Suite struct DiskGeometryTests {
    @Test func qemuRoundingTable() {
        #expect(DiskGeometry.qemuRoundedSize(1 << 20) == 1_079_296)
        #expect(DiskGeometry(forSize: 1_079_296) == DiskGeometry(cylinders: 31, heads: 4, sectorsPerTrack: 17))
        #expect(DiskGeometry.qemuRoundedSize(64 << 20) == 67_125_248)
        #expect(DiskGeometry(forSize: 67_125_248) == DiskGeometry(cylinders: 964, heads: 8, sectorsPerTrack: 17))
        #expect(DiskGeometry(forSize: 134_250_496) == DiskGeometry(cylinders: 964, heads: 16, sectorsPerTrack: 17))
        #expect(DiskGeometry.qemuRoundedSize(512 << 20) == 537_255_936)
        #expect(DiskGeometry.qemuRoundedSize(4 << 30) == 4_295_467_008)
        #expect(DiskGeometry(forSize: 127 << 30) == DiskGeometry(cylinders: 65278, heads: 16, sectorsPerTrack: 255))
        #expect(DiskGeometry(forSize: 128 << 30) == .maximum)
        #expect(DiskGeometry(forSectors: 65535 * 16 * 63).sectorsPerTrack == 255)
        #expect(DiskGeometry.qemuRoundedSize(2040 << 30) == 2040 << 30)
    }

    @Test func geometryRoundsDown() {
        for size: UInt64 in [1 << 20, 100 << 20, 3_000_064, 10 << 30, 200 << 30] {
            #expect(DiskGeometry(forSize: size).byteCount <= size)
        }
    }

    @Test func writtenGeometryIsExactOrMaximum() {
        #expect(
            DiskGeometry.written(forSize: 67_125_248) == DiskGeometry(cylinders: 964, heads: 8, sectorsPerTrack: 17))
        #expect(DiskGeometry.written(forSize: 64 << 20) == .maximum)
    }
}
