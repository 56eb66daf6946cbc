import CLzma
import CZlib
import CZstd

/// A compressed stream format an initramfs (or any blob) may use, told by its magic bytes.
public enum CompressionFormat: String, Sendable, CaseIterable {
    case gzip, xz, zstd, lz4, bzip2, lzma

    /// The format whose magic starts `bytes` at `offset`, or `nil`.
    public static func detect(_ bytes: [UInt8], at offset: Int = 0) -> CompressionFormat? {
        func starts(_ magic: [UInt8]) -> Bool {
            offset + magic.count <= bytes.count && Array(bytes[offset..<offset + magic.count]) == magic
        }
        if starts([0x1F, 0x8B]) { return .gzip }
        if starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return .xz }
        if starts([0x28, 0xB5, 0x2F, 0xFD]) { return .zstd }
        if starts([0x02, 0x21, 0x4C, 0x18]) || starts([0x04, 0x22, 0x4D, 0x18]) { return .lz4 }
        if starts([0x42, 0x5A, 0x68]) { return .bzip2 }
        if starts([0x5D, 0x00, 0x00]) { return .lzma }
        return nil
    }

    /// Whether ``Decompressor`` decodes this format (through the system library).
    public var isSupported: Bool { self == .gzip || self == .xz || self == .zstd }
}

/// Why a stream could not be decoded.
public struct DecompressionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why: `unsupported` (a format or a library not available), `corrupt` (the decoder refused the
    /// data), `tooLarge` (the output cap was reached), `truncated` (the stream ends early).
    public enum Code: String, Sendable { case unsupported, corrupt, tooLarge, truncated }
    /// The kind of failure.
    public var code: Code
    /// The stream's format.
    public var format: CompressionFormat
    /// The offset of the stream in the input.
    public var offset: Int
    /// A sentence for a person (the library's own message where it gave one).
    public var message: String

    /// An error of kind `code` for the `format` stream at `offset` of the input.
    public init(_ code: Code, _ format: CompressionFormat, offset: Int, _ message: String) {
        self.code = code
        self.format = format
        self.offset = offset
        self.message = message
    }

    /// `FORMAT stream at offset N: message`.
    public var description: String { "\(format.rawValue) stream at offset \(offset): \(message)" }
}

/// Decodes one gzip, xz or zstd stream with zlib, liblzma or libzstd, never producing more than a cap.
public enum Decompressor {
    /// Loads zlib, liblzma and libzstd now (they are otherwise opened on first use), for a process that will
    /// not be able to open files later (a sandbox). Missing libraries are reported when a stream needs them.
    public static func loadLibraries() {
        _ = czlib_available()
        _ = clzma_available()
        _ = czstd_available()
    }

    /// The decoded bytes of the stream starting at `offset` of `input`, and how many input bytes it used (so
    /// that a caller can go on with what follows: concatenated archives, padding).
    ///
    /// - Throws: ``DecompressionError`` when the format is not supported, the data is corrupt or truncated,
    ///   or the output would pass `limit` bytes.
    public static func decompress(
        _ input: [UInt8], at offset: Int = 0, format: CompressionFormat, limit: Int
    ) throws(DecompressionError) -> (output: [UInt8], consumed: Int) {
        switch format {
        case .gzip: return try gunzip(input, offset, limit)
        case .xz: return try unxz(input, offset, limit)
        case .zstd: return try unzstd(input, offset, limit)
        default:
            throw DecompressionError(
                .unsupported, format, offset: offset, "\(format.rawValue) is not supported (gzip, xz, zstd are)")
        }
    }

    static let chunk = 1 << 16

    /// The library for `format` could not be opened (it is loaded on first use, not at process start).
    static func unavailable(
        _ format: CompressionFormat, _ offset: Int, _ why: UnsafePointer<CChar>
    ) -> DecompressionError {
        DecompressionError(
            .unsupported, format, offset: offset,
            "the \(format.rawValue) library cannot be loaded: \(String(cString: why))")
    }

    static func gunzip(_ input: [UInt8], _ offset: Int, _ limit: Int) throws(DecompressionError) -> ([UInt8], Int) {
        guard czlib_available() != 0 else { throw unavailable(.gzip, offset, czlib_load_error()) }
        var stream = z_stream()
        guard czlib_inflate_init2(&stream, 15 + 16) == Z_OK else {
            throw DecompressionError(.corrupt, .gzip, offset: offset, "inflateInit2 failed")
        }
        defer { czlib_inflateEnd(&stream) }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: chunk)
        let status: Int32 = input.withUnsafeBufferPointer { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress! + offset)
            stream.avail_in = UInt32(source.count - offset)
            var result: Int32 = Z_OK
            while result == Z_OK {
                result = buffer.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    return czlib_inflate(&stream, Z_NO_FLUSH)
                }
                output += buffer[0..<(chunk - Int(stream.avail_out))]
                if output.count > limit { return -100 }
                if result == Z_BUF_ERROR && stream.avail_in == 0 { return Z_BUF_ERROR }
                if result == Z_BUF_ERROR { result = Z_OK }
            }
            return result
        }
        switch status {
        case Z_STREAM_END: return (output, input.count - offset - Int(stream.avail_in))
        case -100: throw DecompressionError(.tooLarge, .gzip, offset: offset, "decoded data passes \(limit) bytes")
        case Z_BUF_ERROR: throw DecompressionError(.truncated, .gzip, offset: offset, "the stream ends early")
        default: throw DecompressionError(.corrupt, .gzip, offset: offset, "inflate error \(status)")
        }
    }

    static func unxz(_ input: [UInt8], _ offset: Int, _ limit: Int) throws(DecompressionError) -> ([UInt8], Int) {
        guard clzma_available() != 0 else { throw unavailable(.xz, offset, clzma_load_error()) }
        var stream = clzma_stream_init()
        guard clzma_lzma_stream_decoder(&stream, UInt64.max, 0) == LZMA_OK else {
            throw DecompressionError(.corrupt, .xz, offset: offset, "lzma_stream_decoder failed")
        }
        defer { clzma_lzma_end(&stream) }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: chunk)
        let status: lzma_ret = input.withUnsafeBufferPointer { source in
            stream.next_in = source.baseAddress! + offset
            stream.avail_in = source.count - offset
            var result = LZMA_OK
            while result == LZMA_OK {
                result = buffer.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = out.count
                    return clzma_lzma_code(&stream, stream.avail_in == 0 ? LZMA_FINISH : LZMA_RUN)
                }
                output += buffer[0..<(chunk - stream.avail_out)]
                if output.count > limit { return LZMA_MEMLIMIT_ERROR }
            }
            return result
        }
        switch status {
        case LZMA_STREAM_END: return (output, input.count - offset - stream.avail_in)
        case LZMA_MEMLIMIT_ERROR:
            throw DecompressionError(.tooLarge, .xz, offset: offset, "decoded data passes \(limit) bytes")
        case LZMA_BUF_ERROR: throw DecompressionError(.truncated, .xz, offset: offset, "the stream ends early")
        default: throw DecompressionError(.corrupt, .xz, offset: offset, "lzma_code error \(status.rawValue)")
        }
    }

    static func unzstd(_ input: [UInt8], _ offset: Int, _ limit: Int) throws(DecompressionError) -> ([UInt8], Int) {
        guard czstd_available() != 0 else { throw unavailable(.zstd, offset, czstd_load_error()) }
        guard let context = czstd_ZSTD_createDStream() else {
            throw DecompressionError(.corrupt, .zstd, offset: offset, "ZSTD_createDStream failed")
        }
        defer { czstd_ZSTD_freeDStream(context) }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: chunk)
        var consumed = 0
        var failure: DecompressionError?
        input.withUnsafeBufferPointer { source in
            var inBuffer = ZSTD_inBuffer(src: source.baseAddress! + offset, size: source.count - offset, pos: 0)
            while true {
                var hint = 0
                var filled = false
                buffer.withUnsafeMutableBufferPointer { out in
                    var outBuffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                    hint = czstd_ZSTD_decompressStream(context, &outBuffer, &inBuffer)
                    output += out[0..<outBuffer.pos]
                    filled = outBuffer.pos == outBuffer.size
                }
                if czstd_ZSTD_isError(hint) != 0 {
                    failure = DecompressionError(
                        .corrupt, .zstd, offset: offset, String(cString: czstd_ZSTD_getErrorName(hint)))
                    return
                }
                if output.count > limit {
                    failure = DecompressionError(.tooLarge, .zstd, offset: offset, "decoded data passes \(limit) bytes")
                    return
                }
                if hint == 0 { consumed = inBuffer.pos; return }  // the frame is complete
                if inBuffer.pos == inBuffer.size && !filled {
                    failure = DecompressionError(.truncated, .zstd, offset: offset, "the stream ends early")
                    return
                }
            }
        }
        if let failure { throw failure }
        return (output, consumed)
    }
}

/// How a fixed-size block (a qcow2 compressed cluster) is compressed.
public enum BlockCodec: String, Sendable {
    /// Raw deflate (no zlib or gzip wrapper), a 4 KiB window: qcow2's `zlib` compression type.
    case deflate
    /// One zstd frame: qcow2's `zstd` compression type.
    case zstd

    /// Loads now the library that decodes this codec (zlib or libzstd; it is otherwise opened on first use),
    /// for a process that will not be able to open files later (a sandbox). A missing library is reported when
    /// a block needs it.
    public func loadLibrary() {
        switch self {
        case .deflate: _ = czlib_available()
        case .zstd: _ = czstd_available()
        }
    }
}

/// Why a compressed block could not be decoded.
public struct BlockDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The codec whose data was bad.
    public var codec: BlockCodec
    /// What was wrong, as the library said it.
    public var message: String

    /// An error of `codec` saying `message`.
    public init(_ codec: BlockCodec, _ message: String) {
        self.codec = codec
        self.message = message
    }

    /// `CODEC data: MESSAGE`.
    public var description: String { "\(codec.rawValue) data: \(message)" }
}

/// Decodes fixed-size compressed blocks one after another (a qcow2 image's compressed clusters), as qemu
/// does: the input may hold trailing bytes (its stored size is rounded up to sectors), the decoded data must
/// fill the block. One decoder keeps its zstd context between blocks (creating one per 64 KiB cluster cost 5 %
/// of a convert). Not thread-safe: one per image.
public final class BlockDecoder {
    /// The codec of every block.
    public let codec: BlockCodec
    /// The zstd context, made on first use and reset for each block.
    private var zstdContext: OpaquePointer?

    /// A decoder for blocks of `codec`.
    public init(codec: BlockCodec) { self.codec = codec }

    deinit { if let zstdContext { czstd_ZSTD_freeDStream(zstdContext) } }

    /// Decodes `input` into exactly `output.count` bytes (all of `output`).
    ///
    /// - Throws: ``BlockDecodingError`` when the library cannot be loaded, the data is corrupt, or it decodes to
    ///   fewer bytes than the block.
    public func decode(_ input: [UInt8], into output: inout [UInt8]) throws(BlockDecodingError) {
        guard !input.isEmpty, !output.isEmpty else { throw BlockDecodingError(codec, "empty input or output") }
        switch codec {
        case .deflate:
            guard czlib_available() != 0 else {
                throw BlockDecodingError(codec, "zlib cannot be loaded: \(String(cString: czlib_load_error()))")
            }
            var stream = z_stream()
            guard czlib_inflate_init2(&stream, -12) == Z_OK else {
                throw BlockDecodingError(codec, "inflateInit2 failed")
            }
            defer { czlib_inflateEnd(&stream) }
            let status: Int32 = input.withUnsafeBufferPointer { source in
                output.withUnsafeMutableBufferPointer { out in
                    stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress!)
                    stream.avail_in = UInt32(source.count)
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    return czlib_inflate(&stream, Z_FINISH)
                }
            }
            guard (status == Z_STREAM_END || status == Z_BUF_ERROR) && stream.avail_out == 0 else {
                throw BlockDecodingError(
                    codec,
                    stream.avail_out != 0 && (status == Z_STREAM_END || status == Z_BUF_ERROR)
                        ? "decodes to \(output.count - Int(stream.avail_out)) bytes, not \(output.count)"
                        : "inflate error \(status)")
            }
        case .zstd:
            guard czstd_available() != 0 else {
                throw BlockDecodingError(codec, "libzstd cannot be loaded: \(String(cString: czstd_load_error()))")
            }
            if zstdContext == nil { zstdContext = czstd_ZSTD_createDStream() }
            guard let context = zstdContext else { throw BlockDecodingError(codec, "ZSTD_createDStream failed") }
            guard czstd_ZSTD_isError(czstd_ZSTD_initDStream(context)) == 0 else {
                throw BlockDecodingError(codec, "ZSTD_initDStream failed")
            }
            var failure: String?
            var produced = 0
            input.withUnsafeBufferPointer { source in
                output.withUnsafeMutableBufferPointer { out in
                    var inBuffer = ZSTD_inBuffer(src: source.baseAddress!, size: source.count, pos: 0)
                    var outBuffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                    while outBuffer.pos < outBuffer.size {
                        let before = (inBuffer.pos, outBuffer.pos)
                        let hint = czstd_ZSTD_decompressStream(context, &outBuffer, &inBuffer)
                        if czstd_ZSTD_isError(hint) != 0 {
                            failure = String(cString: czstd_ZSTD_getErrorName(hint))
                            break
                        }
                        if before == (inBuffer.pos, outBuffer.pos) || (hint == 0 && outBuffer.pos < outBuffer.size) {
                            break  // no progress, or the frame ended early
                        }
                    }
                    produced = outBuffer.pos
                }
            }
            if let failure { throw BlockDecodingError(codec, failure) }
            guard produced == output.count else {
                throw BlockDecodingError(codec, "decodes to \(produced) bytes, not \(output.count)")
            }
        }
    }
}
