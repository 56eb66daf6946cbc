/// A bounded view of bytes read from the disk, with little-endian field accessors that never read past the end.
///
/// Every accessor names the field it reads, so that a short buffer becomes a ``DiskLayoutError`` saying which
/// field of which structure at which disk offset, instead of a crash.
struct ByteReader {
    /// The bytes.
    let bytes: [UInt8]
    /// Where `bytes[0]` lies on the disk, for error offsets.
    let diskOffset: UInt64
    /// The structure being parsed, for error messages.
    let structure: String

    init(_ bytes: [UInt8], diskOffset: UInt64, structure: String) {
        self.bytes = bytes
        self.diskOffset = diskOffset
        self.structure = structure
    }

    private func check(_ offset: Int, _ count: Int, _ field: String) throws(DiskLayoutError) {
        guard offset >= 0, count >= 0, offset <= bytes.count, count <= bytes.count - offset else {
            throw DiskLayoutError(
                .truncated, "the \(bytes.count)-byte buffer ends inside this field (wanted \(count) bytes at \(offset))",
                structure: structure, field: field, offset: diskOffset + UInt64(max(offset, 0)))
        }
    }

    func uint8(at offset: Int, _ field: String) throws(DiskLayoutError) -> UInt8 {
        try check(offset, 1, field)
        return bytes[offset]
    }

    func uint16(at offset: Int, _ field: String) throws(DiskLayoutError) -> UInt16 {
        try check(offset, 2, field)
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    func uint32(at offset: Int, _ field: String) throws(DiskLayoutError) -> UInt32 {
        try check(offset, 4, field)
        var value: UInt32 = 0
        for index in (0..<4).reversed() { value = value << 8 | UInt32(bytes[offset + index]) }
        return value
    }

    func uint64(at offset: Int, _ field: String) throws(DiskLayoutError) -> UInt64 {
        try check(offset, 8, field)
        var value: UInt64 = 0
        for index in (0..<8).reversed() { value = value << 8 | UInt64(bytes[offset + index]) }
        return value
    }

    func bytes(at offset: Int, count: Int, _ field: String) throws(DiskLayoutError) -> [UInt8] {
        try check(offset, count, field)
        return Array(bytes[offset..<offset + count])
    }

    /// The disk offset of `offset` in this buffer.
    func diskOffset(of offset: Int) -> UInt64 { diskOffset + UInt64(offset) }
}
