/// Little-endian integer fields of the redo log, read and written inside a bounded byte array.
struct LogFields {
    var bytes: [UInt8]

    init(count: Int) { bytes = [UInt8](repeating: 0, count: count) }
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func uint32(at offset: Int) -> UInt32 { ByteOrder.little.load(UInt32.self, from: bytes, at: offset) }

    func uint64(at offset: Int) -> UInt64 { ByteOrder.little.load(UInt64.self, from: bytes, at: offset) }

    mutating func set(_ value: UInt32, at offset: Int) {
        for index in 0..<4 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
    }

    mutating func set(_ value: UInt64, at offset: Int) {
        for index in 0..<8 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
    }

    mutating func set(_ text: [UInt8], at offset: Int) {
        for (index, byte) in text.enumerated() { bytes[offset + index] = byte }
    }
}

/// The first 512 bytes of a redo log (`<image>.vhdedit-journal`).
///
/// | Offset | Size | Field |
/// |-------:|-----:|-------|
/// | 0      | 8    | magic `VHDEJRNL` |
/// | 8      | 4    | version (1) |
/// | 12     | 4    | state: 0 open (records may follow, not yet valid), 1 sealed |
/// | 16     | 4    | page size (4096) |
/// | 20     | 4    | reserved (0) |
/// | 24     | 8    | image device (`st_dev`) |
/// | 32     | 8    | image inode (`st_ino`) |
/// | 40     | 8    | image length when the session began |
/// | 48     | 8    | image length after the edit (target length) |
/// | 56     | 8    | record count (page and cut records, not the seal) |
/// | 64     | 8    | byte offset of the seal record |
/// | 72     | 256  | image path, UTF-8, NUL padded (for people; the identity above is what is checked) |
/// | 508    | 4    | CRC-32C of bytes 0..<508 |
///
/// All integers are little-endian.
struct RedoLogHeader: Equatable {
    static let size = 512
    static let magic: [UInt8] = Array("VHDEJRNL".utf8)
    static let version: UInt32 = 1
    static let pathCapacity = 256

    enum State: UInt32 {
        case open = 0
        case sealed = 1
    }

    var state: State
    var pageSize: UInt32
    var image: FileIdentity
    var originalLength: UInt64
    var targetLength: UInt64
    var recordCount: UInt64
    var sealOffset: UInt64
    var imagePath: String

    func serialized() -> [UInt8] {
        var fields = LogFields(count: Self.size)
        fields.set(Self.magic, at: 0)
        fields.set(Self.version, at: 8)
        fields.set(state.rawValue, at: 12)
        fields.set(pageSize, at: 16)
        fields.set(image.device, at: 24)
        fields.set(image.inode, at: 32)
        fields.set(originalLength, at: 40)
        fields.set(targetLength, at: 48)
        fields.set(recordCount, at: 56)
        fields.set(sealOffset, at: 64)
        fields.set(Array(imagePath.utf8.prefix(Self.pathCapacity - 1)), at: 72)
        fields.set(CRC32C.checksum(fields.bytes[0..<508]), at: 508)
        return fields.bytes
    }

    /// Parses a header. A header that is not ours, or whose checksum fails, is a torn log: `nil` with a reason.
    static func parse(_ bytes: [UInt8]) -> Result<RedoLogHeader, TornLog> {
        guard bytes.count == size else { return .failure(TornLog("the log is shorter than its header")) }
        let fields = LogFields(bytes)
        guard Array(bytes[0..<8]) == magic else { return .failure(TornLog("the header has no VHDEJRNL magic")) }
        let stored = fields.uint32(at: 508)
        let computed = CRC32C.checksum(bytes[0..<508])
        guard stored == computed else {
            return .failure(TornLog("header checksum mismatch (stored \(hex(stored)), computed \(hex(computed)))"))
        }
        guard let state = State(rawValue: fields.uint32(at: 12)) else {
            return .failure(TornLog("unknown header state \(fields.uint32(at: 12))"))
        }
        let pathBytes = bytes[72..<(72 + pathCapacity)].prefix { $0 != 0 }
        return .success(
            RedoLogHeader(
                state: state, pageSize: fields.uint32(at: 16),
                image: FileIdentity(device: fields.uint64(at: 24), inode: fields.uint64(at: 32)),
                originalLength: fields.uint64(at: 40), targetLength: fields.uint64(at: 48),
                recordCount: fields.uint64(at: 56), sealOffset: fields.uint64(at: 64),
                imagePath: String(decoding: pathBytes, as: UTF8.self)))
    }

    /// The version field, read without trusting anything else.
    static func version(of bytes: [UInt8]) -> UInt32 { LogFields(bytes).uint32(at: 8) }
}

/// One record of a redo log. Each starts with a 32-byte head:
///
/// | Offset | Size | Field |
/// |-------:|-----:|-------|
/// | 0      | 4    | kind: `PAGE`, `CUT_` or `SEAL` |
/// | 4      | 4    | CRC-32C of bytes 8..<32 and the payload |
/// | 8      | 8    | sequence number (0, 1, 2 …; the seal's is the record count) |
/// | 16     | 8    | argument: page index (`PAGE`), new length (`CUT_`), target length (`SEAL`) |
/// | 24     | 4    | payload length (page size for `PAGE`, 0 otherwise) |
/// | 28     | 4    | `SEAL` only: CRC-32C chained over the checksums of every record before it |
///
/// A `PAGE` record is followed by its page: the image bytes `index * pageSize ..< (index + 1) * pageSize`.
/// A `CUT_` record sets the image length (cutting the end). Replaying the records in order, then setting the
/// length to the target length, gives the image after the edit.
enum RedoLogRecord {
    static let headSize = 32

    enum Kind: String {
        case page = "PAGE"
        case cut = "CUT_"
        case seal = "SEAL"
        var magic: UInt32 { LogFields(Array(rawValue.utf8)).uint32(at: 0) }
        init?(magic: UInt32) {
            guard let kind = [Kind.page, .cut, .seal].first(where: { $0.magic == magic }) else { return nil }
            self = kind
        }
    }

    /// The head and payload of a record, with its checksum filled in.
    static func encode(
        _ kind: Kind, sequence: UInt64, argument: UInt64, payload: [UInt8] = [], chain: UInt32 = 0
    ) -> [UInt8] {
        var head = LogFields(count: headSize)
        head.set(kind.magic, at: 0)
        head.set(sequence, at: 8)
        head.set(argument, at: 16)
        head.set(UInt32(payload.count), at: 24)
        head.set(chain, at: 28)
        let crc = CRC32C.checksum(payload, continuing: CRC32C.checksum(head.bytes[8..<headSize]))
        head.set(crc, at: 4)
        return head.bytes + payload
    }
}

/// Why a redo log is not a complete, sealed log: it was being written when the process or the machine stopped
/// (or it is not ours). The image has not been touched by it, so it is discarded.
struct TornLog: Error, Equatable {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
