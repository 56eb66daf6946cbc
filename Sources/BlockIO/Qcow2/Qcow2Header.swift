/// The header of a qcow2 image (qemu `docs/interop/qcow2.txt`), at offset 0. All integers big-endian.
///
/// | offset | size | field | notes |
/// |---:|---:|---|---|
/// | 0 | 4 | magic | `QFI\xfb` |
/// | 4 | 4 | version | 2 or 3 |
/// | 8 | 8 | backing_file_offset | 0: no backing file |
/// | 16 | 4 | backing_file_size | bytes of the name, ≤ 1023 |
/// | 20 | 4 | cluster_bits | 9 (512 B) … 21 (2 MiB) |
/// | 24 | 8 | size | virtual disk size in bytes |
/// | 32 | 4 | crypt_method | 0 none, 1 AES, 2 LUKS |
/// | 36 | 4 | l1_size | entries of the active L1 table |
/// | 40 | 8 | l1_table_offset | cluster aligned |
/// | 48 | 8 | refcount_table_offset | cluster aligned |
/// | 56 | 4 | refcount_table_clusters | |
/// | 60 | 4 | nb_snapshots | |
/// | 64 | 8 | snapshots_offset | |
/// | 72 | 8 | incompatible_features | v3: bit 0 dirty, 1 corrupt, 2 external data file, 3 compression type, 4 extended L2 |
/// | 80 | 8 | compatible_features | v3: bit 0 lazy refcounts |
/// | 88 | 8 | autoclear_features | v3 |
/// | 96 | 4 | refcount_order | v3 (v2: 4) |
/// | 100 | 4 | header_length | v3: ≥ 104 (v2: 72) |
/// | 104 | 1 | compression_type | when header_length > 104: 0 zlib, 1 zstd |
///
/// Header extensions (``Qcow2HeaderExtensions``) follow at `header_length`.
public struct Qcow2Header: Sendable, Equatable {
    /// `QFI\xfb`.
    public static let magic: [UInt8] = [0x51, 0x46, 0x49, 0xFB]
    /// The largest L1 table qemu accepts, in bytes (`QCOW_MAX_L1_SIZE`).
    public static let maximumL1Bytes: UInt64 = 32 << 20

    /// An incompatible feature bit.
    public enum IncompatibleFeature: Int, Sendable, CaseIterable {
        case dirty = 0, corrupt = 1, externalDataFile = 2, compressionType = 3, extendedL2 = 4
    }

    /// The cluster compression algorithm.
    public enum CompressionType: UInt8, Sendable, Codable {
        case zlib = 0, zstd = 1
    }

    /// `version`, 2 or 3 (offset 4).
    public var version: UInt32
    /// `backing_file_offset` (offset 8).
    public var backingFileOffset: UInt64
    /// `backing_file_size` (offset 16).
    public var backingFileSize: UInt32
    /// `cluster_bits` (offset 20).
    public var clusterBits: UInt32
    /// `size`: the virtual disk's size in bytes (offset 24).
    public var size: UInt64
    /// `crypt_method`: 0, or the refused encryption (offset 32).
    public var cryptMethod: UInt32
    /// `l1_size` (offset 36).
    public var l1Size: UInt32
    /// `l1_table_offset` (offset 40).
    public var l1TableOffset: UInt64
    /// `refcount_table_offset` (offset 48).
    public var refcountTableOffset: UInt64
    /// `refcount_table_clusters` (offset 56).
    public var refcountTableClusters: UInt32
    /// `nb_snapshots` (offset 60).
    public var snapshotCount: UInt32
    /// `snapshots_offset` (offset 64).
    public var snapshotsOffset: UInt64
    /// `incompatible_features` (version 3, offset 72).
    public var incompatibleFeatures: UInt64
    /// `compatible_features` (version 3, offset 80).
    public var compatibleFeatures: UInt64
    /// `autoclear_features` (version 3, offset 88).
    public var autoclearFeatures: UInt64
    /// `refcount_order` (version 3, offset 96).
    public var refcountOrder: UInt32
    /// `header_length` (version 3, offset 100).
    public var headerLength: UInt32
    /// `compression_type` (offset 104 when the header is that long; zlib otherwise).
    public var compressionType: CompressionType

    /// Bytes per cluster.
    public var clusterSize: UInt64 { 1 << UInt64(clusterBits) }
    /// Whether L2 entries are 128 bits with a subcluster bitmap (32 subclusters per cluster).
    public var hasExtendedL2: Bool { has(.extendedL2) }
    /// Whether the image was not closed cleanly (lazy refcounts: counts may be stale; data reads are fine).
    public var isDirty: Bool { has(.dirty) }
    /// Whether qemu found corruption and marked the image.
    public var isCorrupt: Bool { has(.corrupt) }

    /// Whether `feature` is set.
    public func has(_ feature: IncompatibleFeature) -> Bool {
        incompatibleFeatures >> UInt64(feature.rawValue) & 1 != 0
    }

    /// Parses and checks the header at the start of `store`, against the file's `length`.
    ///
    /// - Throws: ``BlockIOError`` naming the file, `qcow2 header`, the field and its byte offset: a wrong
    ///   magic, a version other than 2 or 3, a cluster size outside 512 B–2 MiB, an encrypted image or one with
    ///   an external data file (refused by name), unknown incompatible features, an unknown compression type,
    ///   an L1 table too small for the disk, too large, unaligned or past the end of the file, a backing file
    ///   name outside the first cluster.
    public init(reading store: any ByteStore, length: UInt64) throws(BlockIOError) {
        let path = store.path
        func fail(_ code: BlockIOError.Code, _ field: String, _ offset: UInt64, _ message: String) -> BlockIOError {
            BlockIOError(code, message, path: path, offset: offset, structure: "qcow2 header", field: field)
        }
        guard length >= 72 else {
            throw fail(.truncated, "magic", 0, "file of \(length) bytes is too small for a qcow2 header (72 bytes)")
        }
        let bytes = try store.readExactly(at: 0, count: Int(min(length, 112)), structure: "qcow2 header")
        guard bytes.starts(with: Self.magic) else { throw fail(.badCookie, "magic", 0, "not QFI\\xfb") }
        version = bytes.bigEndianUInt32(at: 4)
        guard version == 2 || version == 3 else {
            throw fail(.unsupported, "version", 4, "qcow2 version \(version) is not supported (2 and 3 are)")
        }
        backingFileOffset = bytes.bigEndianUInt64(at: 8)
        backingFileSize = bytes.bigEndianUInt32(at: 16)
        clusterBits = bytes.bigEndianUInt32(at: 20)
        size = bytes.bigEndianUInt64(at: 24)
        cryptMethod = bytes.bigEndianUInt32(at: 32)
        l1Size = bytes.bigEndianUInt32(at: 36)
        l1TableOffset = bytes.bigEndianUInt64(at: 40)
        refcountTableOffset = bytes.bigEndianUInt64(at: 48)
        refcountTableClusters = bytes.bigEndianUInt32(at: 56)
        snapshotCount = bytes.bigEndianUInt32(at: 60)
        snapshotsOffset = bytes.bigEndianUInt64(at: 64)
        if version == 2 {
            incompatibleFeatures = 0
            compatibleFeatures = 0
            autoclearFeatures = 0
            refcountOrder = 4
            headerLength = 72
            compressionType = .zlib
        } else {
            guard bytes.count >= 104 else {
                throw fail(.truncated, "header_length", 100, "file of \(length) bytes ends inside the version 3 header")
            }
            incompatibleFeatures = bytes.bigEndianUInt64(at: 72)
            compatibleFeatures = bytes.bigEndianUInt64(at: 80)
            autoclearFeatures = bytes.bigEndianUInt64(at: 88)
            refcountOrder = bytes.bigEndianUInt32(at: 96)
            headerLength = bytes.bigEndianUInt32(at: 100)
            guard headerLength >= 104, headerLength % 8 == 0 else {
                throw fail(
                    .invalidField, "header_length", 100, "\(headerLength): must be a multiple of 8, at least 104")
            }
            if headerLength > 104 {
                guard bytes.count > 104 else {
                    throw fail(.truncated, "compression_type", 104, "file ends inside the header")
                }
                guard let type = CompressionType(rawValue: bytes[104]) else {
                    throw fail(
                        .unsupported, "compression_type", 104,
                        "compression type \(bytes[104]) is unknown (0 zlib, 1 zstd)")
                }
                compressionType = type
            } else {
                compressionType = .zlib
            }
        }
        guard (9...21).contains(clusterBits) else {
            throw fail(
                .invalidField, "cluster_bits", 20, "\(clusterBits): the cluster size must be 512 B (9) to 2 MiB (21)")
        }
        if version == 3 && UInt64(headerLength) > clusterSize {
            throw fail(.invalidField, "header_length", 100, "\(headerLength) is larger than a cluster (\(clusterSize))")
        }
        if cryptMethod != 0 {
            let kind = cryptMethod == 1 ? "AES" : cryptMethod == 2 ? "LUKS" : "method \(cryptMethod)"
            throw fail(
                .unsupported, "crypt_method", 32,
                "the image is encrypted (\(kind)), which vhdedit does not read; decrypt it first: qemu-img convert "
                    + "--object secret,id=sec0,file=KEYFILE --image-opts driver=qcow2,file.filename=\(shellQuoted(path)),"
                    + "encrypt.key-secret=sec0 -O raw disk.raw")
        }
        if has(.externalDataFile) {
            throw fail(
                .unsupported, "incompatible_features", 72,
                "the image keeps its data in an external data file (bit 2), which vhdedit does not read; make one "
                    + "self-contained file first: qemu-img convert -O qcow2 \(shellQuoted(path)) whole.qcow2")
        }
        let known: UInt64 = IncompatibleFeature.allCases.reduce(0) { $0 | 1 << UInt64($1.rawValue) }
        if incompatibleFeatures & ~known != 0 {
            let bits = (0..<64).filter { incompatibleFeatures & ~known >> UInt64($0) & 1 != 0 }.map(String.init)
            throw fail(
                .unsupported, "incompatible_features", 72,
                "unknown incompatible feature bit(s) \(bits.joined(separator: ", ")): the image needs a newer reader")
        }
        if has(.compressionType) != (compressionType != .zlib) {
            throw fail(
                .invalidField, "compression_type", 104,
                "compression type \(compressionType) disagrees with incompatible feature bit 3")
        }
        if !has(.compressionType), headerLength > 104, bytes.count > 104, bytes[104] != 0 {
            throw fail(.invalidField, "compression_type", 104, "set without incompatible feature bit 3")
        }
        if hasExtendedL2 && clusterBits < 14 {
            throw fail(
                .invalidField, "cluster_bits", 20,
                "\(clusterBits): extended L2 entries need clusters of 16 KiB or more (32 subclusters of 512 B at least)"
            )
        }

        // The L1 table: aligned, inside the file, large enough for the disk, not absurd.
        let entriesPerL2 = clusterSize / (hasExtendedL2 ? 16 : 8)
        let bytesPerL1Entry = entriesPerL2 * clusterSize
        let needed = size / bytesPerL1Entry + (size % bytesPerL1Entry == 0 ? 0 : 1)
        guard size <= 1 << 62 else {
            throw fail(.tooLarge, "size", 24, "virtual size \(size) is larger than 2^62 bytes")
        }
        guard UInt64(l1Size) >= needed else {
            throw fail(
                .invalidField, "l1_size", 36,
                "\(l1Size) entries cover \(UInt64(l1Size) * bytesPerL1Entry) bytes, less than the virtual size \(size) (\(needed) needed)"
            )
        }
        let l1Bytes = UInt64(l1Size) * 8
        guard l1Bytes <= Self.maximumL1Bytes else {
            throw fail(.tooLarge, "l1_size", 36, "\(l1Size) entries (\(l1Bytes) bytes) pass the 32 MiB qemu allows")
        }
        if l1Size > 0 {
            guard l1TableOffset % clusterSize == 0, l1TableOffset >= clusterSize else {
                throw fail(
                    .invalidField, "l1_table_offset", 40,
                    "\(l1TableOffset) is not a cluster boundary after the header (cluster size \(clusterSize))")
            }
            guard l1TableOffset <= length, l1Bytes <= length - l1TableOffset else {
                throw fail(
                    .truncated, "l1_table_offset", 40,
                    "the L1 table (\(l1Bytes) bytes at \(l1TableOffset)) ends past the end of the file (\(length) bytes)"
                )
            }
        }
        guard refcountTableOffset % clusterSize == 0, refcountTableOffset <= length else {
            throw fail(
                .invalidField, "refcount_table_offset", 48,
                "\(refcountTableOffset) is not a cluster boundary inside the file (\(length) bytes)")
        }
        if backingFileOffset != 0 {
            guard backingFileSize <= 1023, backingFileOffset < clusterSize,
                UInt64(backingFileSize) <= clusterSize - backingFileOffset
            else {
                throw fail(
                    .invalidField, "backing_file_size", 16,
                    "a backing file name of \(backingFileSize) bytes at \(backingFileOffset) does not fit the first cluster (at most 1023 bytes)"
                )
            }
            guard backingFileOffset + UInt64(backingFileSize) <= length else {
                throw fail(.truncated, "backing_file_offset", 8, "the backing file name ends past the end of the file")
            }
        }
    }

    /// The byte range of the refcount table in the file.
    var refcountTableRange: Range<UInt64> {
        refcountTableOffset..<refcountTableOffset + UInt64(refcountTableClusters) * clusterSize
    }

    /// The byte range of the active L1 table in the file.
    var l1TableRange: Range<UInt64> { l1TableOffset..<l1TableOffset + UInt64(l1Size) * 8 }
}
