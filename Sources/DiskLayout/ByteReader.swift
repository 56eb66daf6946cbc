import BlockIO

/// BlockIO's ``BlockIO/ByteReader`` for the little-endian partition-table structures, with its errors as
/// ``DiskLayoutError``s.
///
/// Every accessor names the field it reads, so that a short buffer becomes a ``DiskLayoutError`` saying which
/// field of which structure at which disk offset, instead of a crash.
struct ByteReader {
    /// The reader that checks the bounds and decodes the fields.
    let reader: BlockIO.ByteReader

    init(_ bytes: [UInt8], diskOffset: UInt64, structure: String) {
        reader = BlockIO.ByteReader(bytes, byteOrder: .little, baseOffset: diskOffset, structure: structure)
    }

    /// The bytes.
    var bytes: [UInt8] { reader.bytes }
    /// Where `bytes[0]` lies on the disk, for error offsets.
    var diskOffset: UInt64 { reader.baseOffset }
    /// The structure being parsed, for error messages.
    var structure: String { reader.structure }

    /// `read` with a short buffer's error as this layer's.
    private func field<T>(_ read: () throws(BlockIOError) -> T) throws(DiskLayoutError) -> T {
        do { return try read() } catch {
            throw DiskLayoutError(
                .truncated, error.message, structure: error.structure, field: error.field, offset: error.offset)
        }
    }

    func uint8(at offset: Int, _ name: String) throws(DiskLayoutError) -> UInt8 {
        try field { () throws(BlockIOError) in try reader.uint8(at: offset, name) }
    }

    func uint16(at offset: Int, _ name: String) throws(DiskLayoutError) -> UInt16 {
        try field { () throws(BlockIOError) in try reader.uint16(at: offset, name) }
    }

    func uint32(at offset: Int, _ name: String) throws(DiskLayoutError) -> UInt32 {
        try field { () throws(BlockIOError) in try reader.uint32(at: offset, name) }
    }

    func uint64(at offset: Int, _ name: String) throws(DiskLayoutError) -> UInt64 {
        try field { () throws(BlockIOError) in try reader.uint64(at: offset, name) }
    }

    func bytes(at offset: Int, count: Int, _ name: String) throws(DiskLayoutError) -> [UInt8] {
        try field { () throws(BlockIOError) in try reader.bytes(at: offset, count: count, name) }
    }

    /// The disk offset of `offset` in this buffer.
    func diskOffset(of offset: Int) -> UInt64 { reader.absoluteOffset(of: offset) }
}
