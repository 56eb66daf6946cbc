/// The 1024-byte dynamic disk header (`cxsparse`) of dynamic and differencing VHDs, at the footer's
/// `data_offset`. All integers big-endian.
///
/// | offset | size | field | notes |
/// |---:|---:|---|---|
/// | 0 | 8 | cookie | `cxsparse` |
/// | 8 | 8 | data_offset | unused, all ones |
/// | 16 | 8 | table_offset | absolute offset of the BAT |
/// | 24 | 4 | header_version | `0x00010000` |
/// | 28 | 4 | max_table_entries | BAT entries, ≥ ceil(current_size / block_size) |
/// | 32 | 4 | block_size | data bytes per block, a power of two (default 2 MiB) |
/// | 36 | 4 | checksum | one's complement byte sum, this field as zero |
/// | 40 | 16 | parent_unique_id | parent footer's unique id (differencing) |
/// | 56 | 4 | parent_timestamp | parent's modification time, seconds since 2000 |
/// | 60 | 4 | reserved | 0 |
/// | 64 | 512 | parent_unicode_name | UTF-16BE, NUL padded |
/// | 576 | 8×24 | parent_locators | see ``ParentLocator`` |
/// | 768 | 256 | reserved | zeros |
public struct DynamicHeader: Hashable, Sendable {
    /// The header's size in bytes.
    public static let size = 1024
    /// `cxsparse`.
    public static let cookieValue: [UInt8] = Array("cxsparse".utf8)
    /// The default (and qemu's only) block size, 2 MiB.
    public static let defaultBlockSize: UInt32 = 0x20_0000
    /// The largest block size vhdedit accepts, 256 MiB (the format requires a power of two; blktap caps at 2 MiB).
    public static let maximumBlockSize: UInt32 = 0x1000_0000
    static let checksumOffset = 36

    /// `cookie` (bytes 0–7): `cxsparse` in a valid header.
    public var cookie: [UInt8]
    /// `data_offset` (bytes 8–15): unused, all ones.
    public var dataOffset: UInt64
    /// `table_offset` (bytes 16–23): the absolute file offset of the Block Allocation Table.
    public var tableOffset: UInt64
    /// `header_version` (bytes 24–27): `0x00010000`.
    public var headerVersion: UInt32
    /// `max_table_entries` (bytes 28–31): the number of BAT entries.
    public var maxTableEntries: UInt32
    /// `block_size` (bytes 32–35): data bytes per block, a power of two.
    public var blockSize: UInt32
    /// `checksum` (bytes 36–39): the stored checksum (see ``computedChecksum``).
    public var checksum: UInt32
    /// `parent_unique_id` (bytes 40–55): the parent footer's unique id (differencing disks).
    public var parentUniqueID: VHDUniqueID
    /// `parent_timestamp` (bytes 56–59): the parent's modification time.
    public var parentTimestamp: VHDTimestamp
    /// Bytes 60–63, reserved (0), kept as read.
    public var reserved1: UInt32
    /// The 512 raw bytes of the parent's name (UTF-16BE).
    public var parentUnicodeNameBytes: [UInt8]
    /// The eight parent locator entries (bytes 576–767).
    public var parentLocators: [ParentLocator]
    /// Bytes 768–1023, reserved (zeros), kept as read.
    public var reserved2: [UInt8]

    /// A new header; `checksum` is computed.
    public init(
        tableOffset: UInt64, maxTableEntries: UInt32, blockSize: UInt32 = DynamicHeader.defaultBlockSize,
        parentUniqueID: VHDUniqueID = .zero, parentTimestamp: VHDTimestamp = VHDTimestamp(secondsSince2000: 0),
        parentName: String = "", parentLocators: [ParentLocator] = []
    ) {
        cookie = Self.cookieValue
        dataOffset = UInt64.max
        self.tableOffset = tableOffset
        headerVersion = 0x0001_0000
        self.maxTableEntries = maxTableEntries
        self.blockSize = blockSize
        checksum = 0
        self.parentUniqueID = parentUniqueID
        self.parentTimestamp = parentTimestamp
        reserved1 = 0
        var nameBytes = Array(parentName.utf16.prefix(255)).flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        nameBytes += [UInt8](repeating: 0, count: 512 - nameBytes.count)
        parentUnicodeNameBytes = nameBytes
        self.parentLocators = Array((parentLocators + Array(repeating: .empty, count: 8)).prefix(8))
        reserved2 = [UInt8](repeating: 0, count: 256)
        checksum = computedChecksum
    }

    /// Decodes the 1024 bytes of a header. Only the length is checked here; see ``validate(path:offset:)``.
    public init(parsing bytes: [UInt8]) {
        precondition(bytes.count == Self.size, "a dynamic disk header is 1024 bytes")
        cookie = bytes.bytes(at: 0, count: 8)
        dataOffset = bytes.bigEndianUInt64(at: 8)
        tableOffset = bytes.bigEndianUInt64(at: 16)
        headerVersion = bytes.bigEndianUInt32(at: 24)
        maxTableEntries = bytes.bigEndianUInt32(at: 28)
        blockSize = bytes.bigEndianUInt32(at: 32)
        checksum = bytes.bigEndianUInt32(at: 36)
        parentUniqueID = VHDUniqueID(bytes: bytes.bytes(at: 40, count: 16))
        parentTimestamp = VHDTimestamp(secondsSince2000: bytes.bigEndianUInt32(at: 56))
        reserved1 = bytes.bigEndianUInt32(at: 60)
        parentUnicodeNameBytes = bytes.bytes(at: 64, count: 512)
        parentLocators = (0..<8).map { ParentLocator(parsing: bytes.bytes(at: 576 + 24 * $0, count: 24)) }
        reserved2 = bytes.bytes(at: 768, count: 256)
    }

    /// The 1024 bytes of the header, with the stored ``checksum``.
    public func serialized() -> [UInt8] {
        VHDChecksum.storing(checksum, in: serializedFields(), at: Self.checksumOffset)
    }

    private func serializedFields() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Self.size)
        bytes.store(cookie, at: 0)
        bytes.storeBigEndian(dataOffset, at: 8)
        bytes.storeBigEndian(tableOffset, at: 16)
        bytes.storeBigEndian(headerVersion, at: 24)
        bytes.storeBigEndian(maxTableEntries, at: 28)
        bytes.storeBigEndian(blockSize, at: 32)
        bytes.store(parentUniqueID.bytes, at: 40)
        bytes.storeBigEndian(parentTimestamp.secondsSince2000, at: 56)
        bytes.storeBigEndian(reserved1, at: 60)
        bytes.store(parentUnicodeNameBytes, at: 64)
        for (index, locator) in parentLocators.prefix(8).enumerated() {
            bytes.store(locator.serialized(), at: 576 + 24 * index)
        }
        bytes.store(reserved2, at: 768)
        return bytes
    }

    /// The checksum the header's bytes call for.
    public var computedChecksum: UInt32 { VHDChecksum.compute(serializedFields(), skipping: Self.checksumOffset) }

    /// Whether ``checksum`` is right.
    public var checksumIsValid: Bool { checksum == computedChecksum }

    /// The parent's name, decoded from UTF-16BE up to the first NUL (unpaired surrogates become U+FFFD).
    public var parentName: String {
        var units: [UInt16] = []
        for i in stride(from: 0, to: 512, by: 2) {
            let unit = UInt16(parentUnicodeNameBytes[i]) << 8 | UInt16(parentUnicodeNameBytes[i + 1])
            if unit == 0 { break }
            units.append(unit)
        }
        return String(decoding: units, as: UTF16.self)
    }

    /// Bytes of the sector bitmap in front of each block: one bit per sector, rounded up to 512 bytes.
    public var bitmapSize: UInt64 { (UInt64(blockSize) / 512 / 8 + 511) / 512 * 512 }

    /// Checks cookie, checksum, version and block size; errors name `path`, the field and its byte offset.
    public func validate(path: String, offset: UInt64) throws(BlockIOError) {
        let structure = "dynamic disk header"
        guard cookie == Self.cookieValue else {
            throw BlockIOError(
                .badCookie, "expected \"cxsparse\", found \(VHDUniqueID.hex(cookie))", path: path, offset: offset,
                structure: structure, field: "cookie")
        }
        try VHDChecksum.verify(
            stored: checksum, computed: computedChecksum, path: path,
            fieldOffset: offset + UInt64(Self.checksumOffset), structure: structure)
        guard headerVersion == 0x0001_0000 else {
            throw BlockIOError(
                .unsupported, "header version \(VHDChecksum.hex(headerVersion)) is not 0x00010000", path: path,
                offset: offset + 24, structure: structure, field: "header_version")
        }
        guard blockSize >= 512, blockSize <= Self.maximumBlockSize, blockSize & (blockSize - 1) == 0 else {
            throw BlockIOError(
                .invalidField, "block size \(blockSize) is not a power of two between 512 and \(Self.maximumBlockSize)",
                path: path, offset: offset + 32, structure: structure, field: "block_size")
        }
    }
}
