/// One entry of the VHDX metadata log: a header, descriptors, then one 4 KiB data sector per data descriptor.
/// Entries lie on 4 KiB boundaries of the circular log and may wrap from its end to its start. All integers
/// little-endian.
///
/// Entry header (the first 64 bytes):
///
/// | offset | size | field | notes |
/// |---:|---:|---|---|
/// | 0 | 4 | signature | `loge` |
/// | 4 | 4 | checksum | CRC-32C of the whole entry (entry_length bytes), this field as zero |
/// | 8 | 4 | entry_length | multiple of 4 KiB |
/// | 12 | 4 | tail | log offset of the first entry of the sequence this entry ends |
/// | 16 | 8 | sequence_number | consecutive entries count up by one; never 0 |
/// | 24 | 4 | descriptor_count | |
/// | 28 | 4 | reserved | |
/// | 32 | 16 | log_guid | the header's log_guid |
/// | 48 | 8 | flushed_file_offset | the file was at least this long when the entry was written |
/// | 56 | 8 | last_file_offset | the file's length after the entry is applied |
///
/// Descriptors (32 bytes each, from byte 64; header and descriptors fill whole 4 KiB sectors):
///
/// | offset | size | zero descriptor | data descriptor |
/// |---:|---:|---|---|
/// | 0 | 4 | `zero` | `desc` |
/// | 4 | 4 | reserved | trailing_bytes: the sector's last 4 bytes |
/// | 8 | 8 | zero_length (multiple of 4 KiB) | leading_bytes: the sector's first 8 bytes |
/// | 16 | 8 | file_offset (4 KiB aligned) | file_offset (4 KiB aligned) |
/// | 24 | 8 | sequence_number | sequence_number |
///
/// Data sector (4 KiB, one per data descriptor in order): `data`, u32 sequence_high, 4084 bytes of the
/// sector's middle, u32 sequence_low.
public struct VHDXLogEntry: Sendable {
    /// One change the entry makes to the file.
    public enum Write: Sendable, Equatable {
        /// 4 KiB of data at a 4 KiB aligned file offset.
        case data(fileOffset: UInt64, bytes: [UInt8])
        /// `length` zero bytes at a 4 KiB aligned file offset.
        case zero(fileOffset: UInt64, length: UInt64)

        /// The file bytes written.
        public var range: Range<UInt64> {
            switch self {
            case .data(let offset, _): offset..<offset + VHDXLogEntry.sectorSize
            case .zero(let offset, let length): offset..<offset + length
            }
        }
    }

    /// The log's unit: entries, descriptor blocks and data sectors are 4 KiB.
    public static let sectorSize: UInt64 = 4096
    static let headerSize = 64
    /// `loge`, `zero`, `desc`, `data`.
    static let signatureValue: [UInt8] = Array("loge".utf8)
    static let zeroSignature: [UInt8] = Array("zero".utf8)
    static let dataSignature: [UInt8] = Array("desc".utf8)
    static let sectorSignature: [UInt8] = Array("data".utf8)
    /// Writes must end below this (no replay allocates past it): 1 PiB, far above the 64 TiB a disk holds.
    static let maximumFileOffset: UInt64 = 1 << 50

    /// The entry's length in bytes, a multiple of 4 KiB.
    public var entryLength: UInt32
    /// Where the oldest entry of the sequence starts in the log.
    public var tail: UInt32
    /// The entry's sequence number.
    public var sequenceNumber: UInt64
    /// The file length the image had when the entry was written (`FlushedFileOffset`).
    public var flushedFileOffset: UInt64
    /// The file length needed to apply the entry (`LastFileOffset`).
    public var lastFileOffset: UInt64
    /// The changes, in order.
    public var writes: [Write]

    /// The fields of the header that decide whether an entry starts at a log position, without reading the
    /// rest: signature, log GUID, a length that fits the log, a 4 KiB aligned tail, a non-zero sequence
    /// number, descriptors that fit the entry.
    static func plausibleLength(header bytes: [UInt8], logGUID: VHDXGUID, logLength: UInt64) -> UInt64? {
        guard Array(bytes[0..<4]) == signatureValue, Array(bytes[32..<48]) == logGUID.bytes else { return nil }
        let length = UInt64(bytes.littleEndianUInt32(at: 8))
        let tail = UInt64(bytes.littleEndianUInt32(at: 12))
        let descriptors = UInt64(bytes.littleEndianUInt32(at: 24))
        guard length >= sectorSize, length % sectorSize == 0, length <= logLength, tail % sectorSize == 0,
            tail < logLength, bytes.littleEndianUInt64(at: 16) != 0,
            descriptorSectors(descriptors) * sectorSize <= length
        else { return nil }
        return length
    }

    /// Sectors taken by the header and `count` descriptors.
    static func descriptorSectors(_ count: UInt64) -> UInt64 {
        (UInt64(headerSize) + 32 * count + sectorSize - 1) / sectorSize
    }

    /// Decodes a whole entry whose header passed ``plausibleLength(header:logGUID:logLength:)``.
    ///
    /// - Parameters:
    ///   - bytes: the entry's `entry_length` bytes, unwrapped.
    ///   - fileOffset: the file offset of byte `i` of the entry (the log is circular), for error messages.
    /// - Returns: `nil` when the checksum is wrong: the valid log ends before this entry.
    /// - Throws: ``BlockIOError`` naming the descriptor or data sector at fault when an entry whose checksum is
    ///   right is malformed: an unknown descriptor, a sequence number that is not the entry's, an unaligned or
    ///   out-of-range file offset, more data descriptors than data sectors.
    static func decode(_ bytes: [UInt8], path: String, fileOffset: (Int) -> UInt64) throws(BlockIOError) -> Self? {
        let stored = bytes.littleEndianUInt32(at: 4)
        guard stored == bytes.vhdxChecksum(skipping: 4) else { return nil }
        let structure = "VHDX log entry"
        let sequence = bytes.littleEndianUInt64(at: 16)
        let count = Int(bytes.littleEndianUInt32(at: 24))
        var dataSector = Int(descriptorSectors(UInt64(count)) * sectorSize)
        var writes: [Write] = []
        for index in 0..<count {
            let at = headerSize + 32 * index
            let signature = Array(bytes[at..<at + 4])
            let target = bytes.littleEndianUInt64(at: at + 16)
            func fail(_ code: BlockIOError.Code, _ message: String, field: Int = 0) -> BlockIOError {
                BlockIOError(
                    code, message, path: path, offset: fileOffset(at + field), structure: structure,
                    field: "descriptor \(index)")
            }
            guard signature == zeroSignature || signature == dataSignature else {
                throw fail(.invalidField, "signature is neither \"zero\" nor \"desc\"")
            }
            guard bytes.littleEndianUInt64(at: at + 24) == sequence else {
                throw fail(
                    .invalidField,
                    "sequence number \(bytes.littleEndianUInt64(at: at + 24)) is not the entry's \(sequence)", field: 24
                )
            }
            guard target % sectorSize == 0 else {
                throw fail(.invalidField, "file offset \(target) is not 4 KiB aligned", field: 16)
            }
            if signature == zeroSignature {
                let length = bytes.littleEndianUInt64(at: at + 8)
                guard length > 0, length % sectorSize == 0, target < maximumFileOffset,
                    length <= maximumFileOffset - target
                else {
                    throw fail(
                        .invalidField, "zero length \(length) at \(target) is not whole 4 KiB sectors below 1 PiB",
                        field: 8)
                }
                writes.append(.zero(fileOffset: target, length: length))
                continue
            }
            guard target < maximumFileOffset else {
                throw fail(.invalidField, "file offset \(target) is past 1 PiB", field: 16)
            }
            guard dataSector + Int(sectorSize) <= bytes.count else {
                throw fail(.truncated, "the entry holds no data sector for this descriptor")
            }
            let sector = Array(bytes[dataSector..<dataSector + Int(sectorSize)])
            guard Array(sector[0..<4]) == sectorSignature else {
                throw BlockIOError(
                    .badCookie, "expected \"data\"", path: path, offset: fileOffset(dataSector), structure: structure,
                    field: "data sector of descriptor \(index)")
            }
            let sectorSequence =
                UInt64(sector.littleEndianUInt32(at: 4)) << 32 | UInt64(sector.littleEndianUInt32(at: 4092))
            guard sectorSequence == sequence else {
                throw BlockIOError(
                    .invalidField, "sequence number \(sectorSequence) is not the entry's \(sequence)", path: path,
                    offset: fileOffset(dataSector + 4), structure: structure,
                    field: "data sector of descriptor \(index)")
            }
            var data = Array(bytes[at + 8..<at + 16])  // leading_bytes
            data += sector[8..<4092]
            data += bytes[at + 4..<at + 8]  // trailing_bytes
            writes.append(.data(fileOffset: target, bytes: data))
            dataSector += Int(sectorSize)
        }
        return VHDXLogEntry(
            entryLength: bytes.littleEndianUInt32(at: 8), tail: bytes.littleEndianUInt32(at: 12),
            sequenceNumber: sequence, flushedFileOffset: bytes.littleEndianUInt64(at: 48),
            lastFileOffset: bytes.littleEndianUInt64(at: 56), writes: writes)
    }
}
