/// The header extensions of a qcow2 image and its backing file name: what a reader needs of them.
///
/// Extensions follow the header (at `header_length`; 72 in version 2) up to the end of the first cluster or the
/// backing file name, each one:
///
/// | offset | size | field |
/// |---:|---:|---|
/// | 0 | 4 | type (`0`: end; `0xe2792aca` backing file format; `0x6803f857` feature names; `0x23852875` bitmaps; `0x0537be77` encryption header; `0x44415441` external data file) |
/// | 4 | 4 | length of the data |
/// | 8 | length | data, padded to a multiple of 8 |
public struct Qcow2HeaderExtensions: Sendable, Equatable {
    static let endType: UInt32 = 0
    static let backingFormatType: UInt32 = 0xE279_2ACA

    /// The backing file name as stored (relative to the image's folder unless absolute), if any.
    public var backingFile: String?
    /// The backing file format (`backing_fmt`: `raw`, `qcow2`, `vpc` …), if the image names one.
    public var backingFormat: String?

    /// Reads the extensions and the backing file name of the image `header` describes.
    ///
    /// - Throws: ``BlockIOError`` naming `qcow2 header extension` and the byte offset: an extension that runs
    ///   past the end of the first cluster or of the file, a backing name that is not UTF-8.
    public init(reading store: any ByteStore, header: Qcow2Header, length: UInt64) throws(BlockIOError) {
        let path = store.path
        var end = min(header.clusterSize, length)
        if header.backingFileOffset != 0 { end = min(end, header.backingFileOffset) }
        var offset = UInt64(header.headerLength)
        while offset + 8 <= end {
            let head = try store.readExactly(at: offset, count: 8, structure: "qcow2 header extension")
            let type = head.bigEndianUInt32(at: 0)
            let size = UInt64(head.bigEndianUInt32(at: 4))
            if type == Self.endType { break }
            guard size <= end - offset - 8 else {
                throw BlockIOError(
                    .invalidField,
                    "extension 0x\(String(type, radix: 16)) of \(size) bytes runs past the first cluster",
                    path: path, offset: offset + 4, structure: "qcow2 header extension", field: "length")
            }
            if type == Self.backingFormatType {
                let name = try store.readExactly(at: offset + 8, count: Int(size), structure: "backing format name")
                backingFormat = String(decoding: name.prefix { $0 != 0 }, as: UTF8.self)
            }
            offset += 8 + (size + 7) / 8 * 8
        }
        if header.backingFileOffset != 0 && header.backingFileSize > 0 {
            let bytes = try store.readExactly(
                at: header.backingFileOffset, count: Int(header.backingFileSize), structure: "backing file name")
            guard let name = String(validating: bytes, as: UTF8.self), !name.contains("\0") else {
                throw BlockIOError(
                    .invalidField, "the backing file name is not UTF-8 text", path: path,
                    offset: header.backingFileOffset, structure: "qcow2 header", field: "backing_file_offset")
            }
            backingFile = name
        }
    }
}
