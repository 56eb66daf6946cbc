/// The order of the bytes of an integer field in an on-disk structure.
public enum ByteOrder: Sendable, Hashable {
    /// Least significant byte first (MBR, GPT, ext4, the redo log).
    case little
    /// Most significant byte first (VHD footer, dynamic header, BAT, parent locators).
    case big

    /// The `T` stored in this order at `offset` of `bytes`. The caller guarantees the bounds (a structure
    /// read at its full size); ``ByteReader`` checks them first. An index outside `bytes` traps.
    @inlinable
    public func load<T: FixedWidthInteger & UnsignedInteger>(_: T.Type, from bytes: [UInt8], at offset: Int) -> T {
        let size = MemoryLayout<T>.size
        var value: T = 0
        switch self {
        case .big:
            for index in 0..<size { value = value << 8 | T(bytes[offset + index]) }
        case .little:
            for index in (0..<size).reversed() { value = value << 8 | T(bytes[offset + index]) }
        }
        return value
    }
}

/// A bounded view of the bytes of one on-disk structure, with integer accessors (in the structure's
/// ``ByteOrder``) that never read past the end.
///
/// Every accessor names the field it reads, so that a short buffer becomes a ``BlockIOError/Code/truncated``
/// error saying which field of which structure at which byte offset of which file, instead of a crash. The
/// one field reader of the package: VHD structures, MBR and GPT (through DiskLayout) and the redo log use it
/// or its ``ByteOrder/load(_:from:at:)``.
///
/// ```swift
/// let reader = ByteReader(sector, byteOrder: .little, baseOffset: 0, structure: "MBR")
/// let signature = try reader.uint16(at: 510, "boot signature")
/// ```
public struct ByteReader: Sendable {
    /// The bytes.
    public let bytes: [UInt8]
    /// The byte order of the structure's integer fields.
    public let byteOrder: ByteOrder
    /// Where `bytes[0]` lies in the file or on the disk, for error offsets.
    public let baseOffset: UInt64
    /// The structure being parsed (`"GPT header"`, `"VHD footer"`…), for error messages.
    public let structure: String
    /// The file the bytes come from, when known, for error messages.
    public let path: String?

    /// A reader over `bytes`, the structure `structure` read at `baseOffset` of `path`.
    public init(
        _ bytes: [UInt8], byteOrder: ByteOrder, baseOffset: UInt64 = 0, structure: String, path: String? = nil
    ) {
        self.bytes = bytes
        self.byteOrder = byteOrder
        self.baseOffset = baseOffset
        self.structure = structure
        self.path = path
    }

    /// Throws unless `count` bytes at `offset` lie inside the buffer.
    ///
    /// - Throws: ``BlockIOError/Code/truncated`` naming `field`, with the offset it would start at.
    public func check(_ offset: Int, _ count: Int, _ field: String) throws(BlockIOError) {
        guard offset >= 0, count >= 0, offset <= bytes.count, count <= bytes.count - offset else {
            throw BlockIOError(
                .truncated,
                "the \(bytes.count)-byte buffer ends inside this field (wanted \(count) bytes at \(offset))",
                path: path, offset: baseOffset + UInt64(max(offset, 0)), structure: structure, field: field)
        }
    }

    /// The byte at `offset`, the field `field`.
    public func uint8(at offset: Int, _ field: String) throws(BlockIOError) -> UInt8 {
        try check(offset, 1, field)
        return bytes[offset]
    }

    /// The 16-bit field `field` at `offset`.
    public func uint16(at offset: Int, _ field: String) throws(BlockIOError) -> UInt16 {
        try check(offset, 2, field)
        return byteOrder.load(UInt16.self, from: bytes, at: offset)
    }

    /// The 32-bit field `field` at `offset`.
    public func uint32(at offset: Int, _ field: String) throws(BlockIOError) -> UInt32 {
        try check(offset, 4, field)
        return byteOrder.load(UInt32.self, from: bytes, at: offset)
    }

    /// The 64-bit field `field` at `offset`.
    public func uint64(at offset: Int, _ field: String) throws(BlockIOError) -> UInt64 {
        try check(offset, 8, field)
        return byteOrder.load(UInt64.self, from: bytes, at: offset)
    }

    /// The `count` bytes of the field `field` at `offset`.
    public func bytes(at offset: Int, count: Int, _ field: String) throws(BlockIOError) -> [UInt8] {
        try check(offset, count, field)
        return Array(bytes[offset..<offset + count])
    }

    /// The file or disk offset of `offset` in this buffer.
    public func absoluteOffset(of offset: Int) -> UInt64 { baseOffset + UInt64(offset) }
}
