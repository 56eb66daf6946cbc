/// The bitmap in front of each data block of a dynamic or differencing VHD: one bit per 512-byte sector of the
/// block, most significant bit first (sector `i` is bit `7 - i % 8` of byte `i / 8`), padded to 512 bytes.
///
/// | offset | size | field | notes |
/// |---:|---:|---|---|
/// | i/8 | 1 | bits for sectors 8·(i/8) … | 1 = the sector is in this file; 0 = zeros (dynamic) or the parent's (differencing) |
public struct SectorBitmap: Hashable, Sendable {
    /// The bitmap's bytes.
    public var bytes: [UInt8]

    /// A bitmap of `byteCount` bytes, all bits set to `filled`.
    public init(byteCount: Int, filled: Bool) {
        bytes = [UInt8](repeating: filled ? 0xFF : 0, count: byteCount)
    }

    /// The bitmap of the bytes read in front of a block.
    public init(parsing bytes: [UInt8]) { self.bytes = bytes }

    /// The bytes to write in front of the block.
    public func serialized() -> [UInt8] { bytes }

    /// Whether sector `sector` of the block is present in this file.
    public func isSet(_ sector: Int) -> Bool { bytes[sector >> 3] & (0x80 >> UInt8(sector & 7)) != 0 }

    /// Marks `sectors` as present.
    public mutating func set(_ sectors: Range<Int>) {
        for sector in sectors { bytes[sector >> 3] |= 0x80 >> UInt8(sector & 7) }
    }

    /// Whether every sector in `sectors` is present.
    public func allSet(_ sectors: Range<Int>) -> Bool {
        var sector = sectors.lowerBound
        while sector < sectors.upperBound {
            if sector & 7 == 0, sector + 8 <= sectors.upperBound {
                if bytes[sector >> 3] != 0xFF { return false }
                sector += 8
            } else {
                if !isSet(sector) { return false }
                sector += 1
            }
        }
        return true
    }

    /// Whether no sector in `sectors` is present.
    public func noneSet(_ sectors: Range<Int>) -> Bool {
        var sector = sectors.lowerBound
        while sector < sectors.upperBound {
            if sector & 7 == 0, sector + 8 <= sectors.upperBound {
                if bytes[sector >> 3] != 0 { return false }
                sector += 8
            } else {
                if isSet(sector) { return false }
                sector += 1
            }
        }
        return true
    }

    /// Splits `sectors` into maximal runs of equal bits.
    public func runs(in sectors: Range<Int>) -> [(sectors: Range<Int>, present: Bool)] {
        var result: [(sectors: Range<Int>, present: Bool)] = []
        var start = sectors.lowerBound
        while start < sectors.upperBound {
            let present = isSet(start)
            var end = start + 1
            while end < sectors.upperBound, isSet(end) == present { end += 1 }
            result.append((start..<end, present))
            start = end
        }
        return result
    }
}
