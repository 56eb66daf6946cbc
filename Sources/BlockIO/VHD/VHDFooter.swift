/// The 512-byte VHD hard disk footer: at the end of every VHD, and copied at offset 0 of dynamic and
/// differencing disks. All integers big-endian.
///
/// | offset | size | field | notes |
/// |---:|---:|---|---|
/// | 0 | 8 | cookie | `conectix` |
/// | 8 | 4 | features | bit 0 temporary, bit 1 reserved (always set) |
/// | 12 | 4 | file_format_version | `0x00010000` |
/// | 16 | 8 | data_offset | dynamic header offset; all ones for fixed disks |
/// | 24 | 4 | timestamp | seconds since 2000-01-01 UTC |
/// | 28 | 4 | creator_application | four bytes, e.g. `qemu`, `win `, `vhde` |
/// | 32 | 4 | creator_version | major << 16 \| minor |
/// | 36 | 4 | creator_host_os | `Wi2k` or `Mac ` |
/// | 40 | 8 | original_size | bytes at creation |
/// | 48 | 8 | current_size | the virtual disk size |
/// | 56 | 2 | cylinders | |
/// | 58 | 1 | heads | |
/// | 59 | 1 | sectors_per_track | |
/// | 60 | 4 | disk_type | 2 fixed, 3 dynamic, 4 differencing |
/// | 64 | 4 | checksum | one's complement byte sum, this field as zero |
/// | 68 | 16 | unique_id | UUID, RFC 4122 byte order |
/// | 84 | 1 | saved_state | 1 when the VM was saved |
/// | 85 | 427 | reserved | zeros (blktap keeps a private flag at 85; kept as read) |
public struct VHDFooter: Hashable, Sendable {
    /// The footer's size in bytes.
    public static let size = 512
    /// `conectix`.
    public static let cookieValue: [UInt8] = Array("conectix".utf8)
    /// The only file format version there is.
    public static let version1: UInt32 = 0x0001_0000
    /// The largest virtual size any reader accepts: 0xff000000 sectors (2040 GiB, qemu `VHD_MAX_SECTORS`).
    public static let maximumSize: UInt64 = 0xFF00_0000 * 512
    /// Offset of the checksum field.
    static let checksumOffset = 64

    /// The footer's disk type field.
    public enum DiskType: UInt32, Sendable, Codable {
        case fixed = 2
        case dynamic = 3
        case differencing = 4
    }

    /// `cookie` (bytes 0–7): `conectix` in a valid footer.
    public var cookie: [UInt8]
    /// `features` (bytes 8–11): bit 0 temporary, bit 1 reserved (always set).
    public var features: UInt32
    /// `file_format_version` (bytes 12–15): ``version1``.
    public var fileFormatVersion: UInt32
    /// `data_offset` (bytes 16–23): the dynamic header's offset; all ones for fixed disks.
    public var dataOffset: UInt64
    /// `timestamp` (bytes 24–27): the creation time.
    public var timestamp: VHDTimestamp
    /// Four raw bytes naming the program that created the image.
    public var creatorApplication: [UInt8]
    /// `creator_version` (bytes 32–35): major << 16 | minor.
    public var creatorVersion: UInt32
    /// Four raw bytes naming the host OS of the creator.
    public var creatorHostOS: [UInt8]
    /// `original_size` (bytes 40–47): the size at creation, in bytes.
    public var originalSize: UInt64
    /// The virtual size: what Hyper-V, Azure, VirtualBox and vhdedit use.
    public var currentSize: UInt64
    /// `cylinders`, `heads`, `sectors_per_track` (bytes 56–59).
    public var geometry: DiskGeometry
    /// The raw disk type field (see ``type``).
    public var diskTypeValue: UInt32
    /// The stored checksum.
    public var checksum: UInt32
    /// `unique_id` (bytes 68–83): the disk's identity, which a differencing child records.
    public var uniqueID: VHDUniqueID
    /// `saved_state` (byte 84): 1 when the VM was saved.
    public var savedState: UInt8
    /// Bytes 85..<512, kept so that a rewrite preserves them.
    public var reserved: [UInt8]

    /// The disk type, when it is one of fixed/dynamic/differencing.
    public var type: DiskType? { DiskType(rawValue: diskTypeValue) }

    /// The checksum the footer's bytes call for.
    public var computedChecksum: UInt32 { VHDChecksum.compute(serializedFields(), skipping: Self.checksumOffset) }

    /// Whether ``checksum`` is right.
    public var checksumIsValid: Bool { checksum == computedChecksum }

    /// The creator application as text (`"qemu"`, `"win "`, `"wa"` …), NUL bytes dropped.
    public var creatorApplicationName: String {
        String(decoding: creatorApplication.filter { $0 != 0 }, as: UTF8.self)
    }

    /// The creator host OS as text (`"Wi2k"`, `"Mac "`).
    public var creatorHostOSName: String { String(decoding: creatorHostOS.filter { $0 != 0 }, as: UTF8.self) }

    /// `major.minor` of the creator version.
    public var creatorVersionText: String { "\(creatorVersion >> 16).\(creatorVersion & 0xFFFF)" }

    /// A new footer with the given fields; `checksum` is computed.
    public init(
        type: DiskType, size: UInt64, geometry: DiskGeometry, uniqueID: VHDUniqueID, timestamp: VHDTimestamp,
        creatorApplication: [UInt8] = VHDFooter.vhdeditCreator, creatorVersion: UInt32 = VHDFooter.vhdeditVersion,
        creatorHostOS: [UInt8] = Array("Wi2k".utf8)
    ) {
        cookie = Self.cookieValue
        features = 2
        fileFormatVersion = Self.version1
        dataOffset = type == .fixed ? UInt64.max : 512
        self.timestamp = timestamp
        self.creatorApplication = creatorApplication
        self.creatorVersion = creatorVersion
        self.creatorHostOS = creatorHostOS
        originalSize = size
        currentSize = size
        self.geometry = geometry
        diskTypeValue = type.rawValue
        checksum = 0
        self.uniqueID = uniqueID
        savedState = 0
        reserved = [UInt8](repeating: 0, count: 427)
        checksum = computedChecksum
    }

    /// The creator application vhdedit writes: `vhde`.
    public static let vhdeditCreator: [UInt8] = Array("vhde".utf8)
    /// The creator version vhdedit writes (0.1).
    public static let vhdeditVersion: UInt32 = 0x0000_0001

    /// Decodes the 512 bytes of a footer. Only the length is checked here; see ``validate(path:offset:)``.
    public init(parsing bytes: [UInt8]) {
        precondition(bytes.count == Self.size, "a VHD footer is 512 bytes")
        cookie = bytes.bytes(at: 0, count: 8)
        features = bytes.bigEndianUInt32(at: 8)
        fileFormatVersion = bytes.bigEndianUInt32(at: 12)
        dataOffset = bytes.bigEndianUInt64(at: 16)
        timestamp = VHDTimestamp(secondsSince2000: bytes.bigEndianUInt32(at: 24))
        creatorApplication = bytes.bytes(at: 28, count: 4)
        creatorVersion = bytes.bigEndianUInt32(at: 32)
        creatorHostOS = bytes.bytes(at: 36, count: 4)
        originalSize = bytes.bigEndianUInt64(at: 40)
        currentSize = bytes.bigEndianUInt64(at: 48)
        geometry = DiskGeometry(
            cylinders: bytes.bigEndianUInt16(at: 56), heads: bytes[58], sectorsPerTrack: bytes[59])
        diskTypeValue = bytes.bigEndianUInt32(at: 60)
        checksum = bytes.bigEndianUInt32(at: 64)
        uniqueID = VHDUniqueID(bytes: bytes.bytes(at: 68, count: 16))
        savedState = bytes[84]
        reserved = bytes.bytes(at: 85, count: 427)
    }

    /// The 512 bytes of the footer, with the stored ``checksum``.
    public func serialized() -> [UInt8] {
        VHDChecksum.storing(checksum, in: serializedFields(), at: Self.checksumOffset)
    }

    /// The footer with its checksum recomputed.
    public func withValidChecksum() -> VHDFooter {
        var copy = self
        copy.checksum = computedChecksum
        return copy
    }

    private func serializedFields() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Self.size)
        bytes.store(cookie, at: 0)
        bytes.storeBigEndian(features, at: 8)
        bytes.storeBigEndian(fileFormatVersion, at: 12)
        bytes.storeBigEndian(dataOffset, at: 16)
        bytes.storeBigEndian(timestamp.secondsSince2000, at: 24)
        bytes.store(creatorApplication, at: 28)
        bytes.storeBigEndian(creatorVersion, at: 32)
        bytes.store(creatorHostOS, at: 36)
        bytes.storeBigEndian(originalSize, at: 40)
        bytes.storeBigEndian(currentSize, at: 48)
        bytes.storeBigEndian(geometry.cylinders, at: 56)
        bytes[58] = geometry.heads
        bytes[59] = geometry.sectorsPerTrack
        bytes.storeBigEndian(diskTypeValue, at: 60)
        bytes.store(uniqueID.bytes, at: 68)
        bytes[84] = savedState
        bytes.store(reserved, at: 85)
        return bytes
    }

    /// Whether the cookie is `conectix`.
    public var hasCookie: Bool { cookie == Self.cookieValue }

    /// Checks cookie, checksum, version, type and size; the errors name `path`, the field and its byte offset
    /// (`offset` is where this footer sits in the file).
    public func validate(path: String, offset: UInt64) throws(BlockIOError) {
        let structure = offset == 0 ? "VHD footer copy" : "VHD footer"
        guard hasCookie else {
            throw BlockIOError(
                .badCookie, "expected \"conectix\", found \(VHDUniqueID.hex(cookie))", path: path, offset: offset,
                structure: structure, field: "cookie")
        }
        try VHDChecksum.verify(
            stored: checksum, computed: computedChecksum, path: path,
            fieldOffset: offset + UInt64(Self.checksumOffset), structure: structure)
        guard fileFormatVersion == Self.version1 else {
            throw BlockIOError(
                .unsupported, "file format version \(VHDChecksum.hex(fileFormatVersion)) is not 0x00010000",
                path: path, offset: offset + 12, structure: structure, field: "file_format_version")
        }
        guard type != nil else {
            throw BlockIOError(
                .unsupported, "disk type \(diskTypeValue) is not fixed (2), dynamic (3) or differencing (4)",
                path: path, offset: offset + 60, structure: structure, field: "disk_type")
        }
        guard currentSize <= Self.maximumSize else {
            throw BlockIOError(
                .tooLarge, "current size \(currentSize) is larger than the VHD maximum \(Self.maximumSize) (2040 GiB)",
                path: path, offset: offset + 48, structure: structure, field: "current_size")
        }
        guard currentSize % 512 == 0 else {
            throw BlockIOError(
                .invalidField, "current size \(currentSize) is not a multiple of 512", path: path,
                offset: offset + 48, structure: structure, field: "current_size")
        }
    }

    /// The size qemu ≤ 9.x reports for this footer: `current_size` for creators `win `, `qem2`, `d2v `, `CTXS`,
    /// `tap\0` and for the maximum geometry, the geometry's size otherwise (vhd-format.md §5).
    public var qemu7Size: UInt64 {
        let currentSizeCreators: [[UInt8]] =
            ["win ", "qem2", "d2v ", "CTXS"].map { Array($0.utf8) } + [
                [0x74, 0x61, 0x70, 0]
            ]
        if geometry.isMaximum || currentSizeCreators.contains(creatorApplication) { return currentSize }
        return geometry.byteCount
    }
}
