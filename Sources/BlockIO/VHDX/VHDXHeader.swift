/// One of the two 4 KiB VHDX headers (at 64 KiB and 128 KiB). The current header is the valid one with the
/// larger sequence number. All integers little-endian.
///
/// | offset | size | field | notes |
/// |---:|---:|---|---|
/// | 0 | 4 | signature | `head` |
/// | 4 | 4 | checksum | CRC-32C of the 4 KiB, this field as zero |
/// | 8 | 8 | sequence_number | the larger of two valid headers is current |
/// | 16 | 16 | file_write_guid | changes at the first write of each open |
/// | 32 | 16 | data_write_guid | changes at the first change of the disk's data; a child's parent_linkage |
/// | 48 | 16 | log_guid | zero: no log to replay; else the GUID every active log entry carries |
/// | 64 | 2 | log_version | 0 |
/// | 66 | 2 | version | 1 |
/// | 68 | 4 | log_length | multiple of 1 MiB |
/// | 72 | 8 | log_offset | multiple of 1 MiB, ≥ 1 MiB |
/// | 80 | 4016 | reserved | |
public struct VHDXHeader: Hashable, Sendable {
    /// The header's size in bytes.
    public static let size = 4096
    /// The two headers' offsets in the file.
    public static let offsets: [UInt64] = [64 << 10, 128 << 10]
    /// `head`.
    public static let signatureValue: [UInt8] = Array("head".utf8)
    static let checksumOffset = 4

    /// `head` (offset 0).
    public var signature: [UInt8]
    /// CRC-32C of the 4 KiB header with this field zero (offset 4).
    public var checksum: UInt32
    /// The header's sequence number: the higher valid one is current (offset 8).
    public var sequenceNumber: UInt64
    /// `FileWriteGuid` (offset 16).
    public var fileWriteGUID: VHDXGUID
    /// `DataWriteGuid` (offset 32).
    public var dataWriteGUID: VHDXGUID
    /// `LogGuid`: zero when the log is empty (offset 48).
    public var logGUID: VHDXGUID
    /// `LogVersion`, 0 (offset 64).
    public var logVersion: UInt16
    /// `Version`, 1 (offset 66).
    public var version: UInt16
    /// `LogLength` in bytes (offset 68).
    public var logLength: UInt32
    /// `LogOffset` in the file (offset 72).
    public var logOffset: UInt64
    /// The checksum the header's 4 KiB call for.
    public let computedChecksum: UInt32

    /// Decodes the 4096 bytes of a header; see `validate(path:offset:fileLength:)` for the checks.
    public init(parsing bytes: [UInt8]) {
        precondition(bytes.count == Self.size, "a VHDX header is 4096 bytes")
        signature = Array(bytes[0..<4])
        checksum = bytes.littleEndianUInt32(at: 4)
        sequenceNumber = bytes.littleEndianUInt64(at: 8)
        fileWriteGUID = VHDXGUID(bytes: Array(bytes[16..<32]))
        dataWriteGUID = VHDXGUID(bytes: Array(bytes[32..<48]))
        logGUID = VHDXGUID(bytes: Array(bytes[48..<64]))
        logVersion = bytes.littleEndianUInt16(at: 64)
        version = bytes.littleEndianUInt16(at: 66)
        logLength = bytes.littleEndianUInt32(at: 68)
        logOffset = bytes.littleEndianUInt64(at: 72)
        computedChecksum = bytes.vhdxChecksum(skipping: Self.checksumOffset)
    }

    /// Why the header cannot be used (signature, checksum or version), or `nil` when it can.
    func defect(path: String, offset: UInt64) -> BlockIOError? {
        let structure = "VHDX header"
        if signature != Self.signatureValue {
            return BlockIOError(
                .badCookie, "expected \"head\"", path: path, offset: offset, structure: structure, field: "signature")
        }
        if checksum != computedChecksum {
            return BlockIOError(
                .checksumMismatch,
                "stored CRC-32C \(VHDChecksum.hex(checksum)), computed \(VHDChecksum.hex(computedChecksum))",
                path: path, offset: offset + 4, structure: structure, field: "checksum")
        }
        if version != 1 {
            return BlockIOError(
                .unsupported, "version \(version) is not 1", path: path, offset: offset + 66, structure: structure,
                field: "version")
        }
        return nil
    }

    /// Checks the log fields of the current header against the file.
    ///
    /// - Throws: ``BlockIOError/Code/unsupported`` for a log version other than 0, `invalidField` for a log
    ///   region that is not 1 MiB aligned or lies outside the file.
    func validateLog(path: String, offset: UInt64, fileLength: UInt64) throws(BlockIOError) {
        let structure = "VHDX header"
        guard logVersion == 0 else {
            throw BlockIOError(
                .unsupported, "log version \(logVersion) is not 0", path: path, offset: offset + 64,
                structure: structure, field: "log_version")
        }
        guard logLength % (1 << 20) == 0 else {
            throw BlockIOError(
                .invalidField, "log length \(logLength) is not a multiple of 1 MiB", path: path, offset: offset + 68,
                structure: structure, field: "log_length")
        }
        guard logLength == 0 || (logOffset >= 1 << 20 && logOffset % (1 << 20) == 0) else {
            throw BlockIOError(
                .invalidField, "log offset \(logOffset) is not a multiple of 1 MiB at or after 1 MiB", path: path,
                offset: offset + 72, structure: structure, field: "log_offset")
        }
        let (end, overflow) = logOffset.addingReportingOverflow(UInt64(logLength))
        guard !overflow, end <= fileLength else {
            throw BlockIOError(
                .truncated,
                "the log (\(logLength) bytes at \(logOffset)) ends past the end of the file (\(fileLength))",
                path: path, offset: offset + 72, structure: structure, field: "log_offset")
        }
    }

    /// Reads both headers of `store` and picks the current one.
    ///
    /// - Returns: the current header and its offset in the file.
    /// - Throws: the defect of the first header (the second's named in the message) when neither is usable.
    static func current(in store: any ByteStore) throws(BlockIOError) -> (header: VHDXHeader, offset: UInt64) {
        var usable: [(header: VHDXHeader, offset: UInt64)] = []
        var defects: [BlockIOError] = []
        for offset in offsets {
            let header = VHDXHeader(parsing: try store.readExactly(at: offset, count: size, structure: "VHDX header"))
            if let defect = header.defect(path: store.path, offset: offset) {
                defects.append(defect)
            } else {
                usable.append((header, offset))
            }
        }
        if usable.count == 2 {
            return usable[1].header.sequenceNumber > usable[0].header.sequenceNumber ? usable[1] : usable[0]
        }
        if let only = usable.first { return only }
        var error = defects[0]
        let second = defects[1]
        error.message =
            "neither header is usable: header 1: \(defects[0].message); header 2 field "
            + "\(second.field ?? "?"): \(second.message) (at byte offset \(second.offset ?? offsets[1]))"
        throw error
    }
}
