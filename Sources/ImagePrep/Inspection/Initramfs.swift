internal import Decompression

/// Why an initramfs could not be read: the guest file and the byte offset where reading stopped.
public struct InitramfsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong: a cpio header that is not one, an archive cut short, more than the caps allow, a
    /// compression with no decoder here, or a stream the decoder refused.
    public enum Code: String, Sendable { case badHeader, truncated, tooLarge, unsupportedCompression, corrupt }
    /// The kind of failure.
    public var code: Code
    /// The guest path of the initramfs.
    public var path: String
    /// Offset in the (decompressed) segment where the problem is.
    public var offset: Int
    /// A sentence for a person.
    public var message: String

    /// An error of kind `code` in the initramfs at `path`, at `offset` of its (decompressed) segment.
    public init(_ code: Code, path: String, offset: Int, _ message: String) {
        self.code = code
        self.path = path
        self.offset = offset
        self.message = message
    }

    /// `PATH at offset N: message`.
    public var description: String { "\(path) at offset \(offset): \(message)" }
}

/// One member of a newc cpio archive.
public struct CpioEntry: Sendable, Equatable {
    /// The name as stored (`usr/lib/modules/5.4.0/kernel/drivers/hv/hv_vmbus.ko.xz`, no leading `/`).
    public var name: String
    /// `c_mode`: the file type and permission bits.
    public var mode: UInt32
    /// `c_filesize`: the member's data bytes.
    public var size: Int
    /// The file data, kept only for the names ``CpioReader`` was asked to keep.
    public var data: [UInt8]?
}

/// The header of one member of a "newc" (`070701`) or "crc" (`070702`) cpio archive: ASCII, 13 fields of 8
/// hexadecimal digits after the magic (the kernel's `init/initramfs.c`, cpio(5) "New ASCII Format"). The name
/// (with its NUL) follows at byte 110, the data after it, each padded to a multiple of 4 bytes.
///
/// | Offset | Size | Field |
/// |-------:|-----:|-------|
/// | 0      | 6    | magic `070701` (newc) or `070702` (crc) |
/// | 6      | 8    | `c_ino` |
/// | 14     | 8    | `c_mode` (file type and permission bits) |
/// | 22     | 8    | `c_uid` |
/// | 30     | 8    | `c_gid` |
/// | 38     | 8    | `c_nlink` |
/// | 46     | 8    | `c_mtime` |
/// | 54     | 8    | `c_filesize` (data bytes) |
/// | 62     | 8    | `c_devmajor` |
/// | 70     | 8    | `c_devminor` |
/// | 78     | 8    | `c_rdevmajor` |
/// | 86     | 8    | `c_rdevminor` |
/// | 94     | 8    | `c_namesize` (with the NUL) |
/// | 102    | 8    | `c_check` (crc format: sum of the data bytes) |
///
/// Only the fields the reader needs are decoded (a damaged field it ignores stays ignored).
struct CpioNewcHeader {
    /// The 13 fields, in order: field `n` is the 8 digits at byte `6 + 8n`.
    enum Field: Int {
        case inode, mode, uid, gid, linkCount, modificationTime, fileSize, deviceMajor, deviceMinor
        case specialDeviceMajor, specialDeviceMinor, nameSize, check

        /// The field's byte offset in the header.
        var offset: Int { 6 + rawValue * 8 }
    }

    /// The header length (magic plus 13 fields of 8 hex digits).
    static let size = 110

    /// `c_mode`.
    var mode: Int
    /// `c_filesize`.
    var fileSize: Int
    /// `c_namesize`.
    var nameSize: Int

    /// Decodes the header at `start` of `bytes` (the caller checked that ``size`` bytes and a magic are there).
    ///
    /// - Throws: ``InitramfsError/Code/badHeader`` naming the field that is not hexadecimal and its offset.
    init(parsing bytes: [UInt8], at start: Int, path: String) throws(InitramfsError) {
        func value(_ field: Field) throws(InitramfsError) -> Int {
            let from = start + field.offset
            var value = 0
            for byte in bytes[from..<from + 8] {
                guard let digit = Int(String(UnicodeScalar(byte)), radix: 16) else {
                    throw InitramfsError(
                        .badHeader, path: path, offset: from, "cpio header field \(field.rawValue) is not hexadecimal")
                }
                value = value << 4 | digit
            }
            return value
        }
        mode = try value(.mode)
        fileSize = try value(.fileSize)
        nameSize = try value(.nameSize)
    }
}

/// A pure, bounded reader of "newc" (`070701`) and "crc" (`070702`) cpio archives, as the kernel unpacks them.
public enum CpioReader {
    /// The header length (magic plus 13 fields of 8 hex digits).
    static let headerSize = CpioNewcHeader.size
    /// The most members one archive may have.
    public static let maxEntries = 200_000

    /// Whether a cpio header starts at `offset`.
    static func isHeader(_ bytes: [UInt8], at offset: Int) -> Bool {
        offset + 6 <= bytes.count && bytes[offset..<offset + 5].elementsEqual("07070".utf8)
            && (bytes[offset + 5] == 0x31 || bytes[offset + 5] == 0x32)
    }

    /// The members of the archive at `offset` up to and including `TRAILER!!!`, and the offset after it.
    /// `keep` says for which names the data is copied out.
    public static func read(
        _ bytes: [UInt8], at start: Int, path: String, keep: (String) -> Bool = { _ in false }
    ) throws(InitramfsError) -> (entries: [CpioEntry], end: Int) {
        var offset = start
        var entries: [CpioEntry] = []
        func align4(_ value: Int) -> Int { (value + 3) & ~3 }
        while true {
            guard offset + headerSize <= bytes.count else {
                throw InitramfsError(.truncated, path: path, offset: offset, "cpio archive ends without TRAILER!!!")
            }
            guard isHeader(bytes, at: offset) else {
                throw InitramfsError(.badHeader, path: path, offset: offset, "no cpio newc magic (070701)")
            }
            let header = try CpioNewcHeader(parsing: bytes, at: offset, path: path)
            let (mode, size, nameSize) = (header.mode, header.fileSize, header.nameSize)
            guard nameSize >= 1, nameSize <= 4096 else {
                throw InitramfsError(
                    .badHeader, path: path, offset: offset, "cpio name size \(nameSize) is out of range")
            }
            let nameStart = offset + headerSize
            let dataStart = align4(nameStart + nameSize)
            guard nameStart + nameSize <= bytes.count, size <= bytes.count, dataStart + size <= bytes.count else {
                throw InitramfsError(
                    .truncated, path: path, offset: offset, "cpio member runs past the end (\(size) bytes)")
            }
            let name = String(decoding: bytes[nameStart..<nameStart + nameSize - 1], as: UTF8.self)
            offset = align4(dataStart + size)
            if name == "TRAILER!!!" { return (entries, min(offset, bytes.count)) }
            guard entries.count < maxEntries else {
                throw InitramfsError(.tooLarge, path: path, offset: offset, "more than \(maxEntries) cpio members")
            }
            let data = keep(name) ? Array(bytes[dataStart..<dataStart + size]) : nil
            entries.append(CpioEntry(name: name, mode: UInt32(mode), size: size, data: data))
        }
    }
}

/// An initramfs read offline: one or more cpio archives, each uncompressed (the early microcode archive) or
/// compressed with gzip, xz or zstd (decoded by zlib, liblzma or libzstd), one after the other with zero padding.
public struct Initramfs: Sendable {
    /// The guest path.
    public var path: String
    /// Every member of every archive, in order.
    public var entries: [CpioEntry]
    /// The compressions seen (`none`, `gzip`, `xz`, `zstd`), in order.
    public var segments: [String]

    /// The most decoded bytes one initramfs may produce.
    public static let decodedLimit = 1 << 30

    /// Reads `bytes` (the file at `path`); `keep` names the members whose data is wanted.
    public init(_ bytes: [UInt8], path: String, keep: (String) -> Bool = { _ in false }) throws(InitramfsError) {
        self.path = path
        entries = []
        segments = []
        var offset = 0
        var decoded = 0
        while offset < bytes.count {
            if bytes[offset] == 0 { offset += 1; continue }  // padding between archives
            if CpioReader.isHeader(bytes, at: offset) {
                let (members, end) = try CpioReader.read(bytes, at: offset, path: path, keep: keep)
                entries += members
                segments.append("none")
                offset = end
                continue
            }
            guard let format = CompressionFormat.detect(bytes, at: offset) else {
                throw InitramfsError(
                    .badHeader, path: path, offset: offset, "neither a cpio archive nor a known compression")
            }
            guard format.isSupported else {
                throw InitramfsError(
                    .unsupportedCompression, path: path, offset: offset,
                    "\(format.rawValue) compression is not supported")
            }
            // One compressed segment may be several streams (gzip members, zstd frames) of one cpio stream.
            var plain: [UInt8] = []
            while offset < bytes.count, CompressionFormat.detect(bytes, at: offset) == format {
                do {
                    let (output, consumed) = try Decompressor.decompress(
                        bytes, at: offset, format: format, limit: Self.decodedLimit - decoded - plain.count)
                    plain += output
                    offset += max(consumed, 1)
                } catch {
                    let code: InitramfsError.Code =
                        error.code == .tooLarge ? .tooLarge : error.code == .truncated ? .truncated : .corrupt
                    throw InitramfsError(code, path: path, offset: offset, error.message)
                }
                while offset < bytes.count && bytes[offset] == 0 { offset += 1 }
            }
            decoded += plain.count
            segments.append(format.rawValue)
            var inner = 0
            while inner < plain.count {
                if plain[inner] == 0 { inner += 1; continue }
                let (members, end) = try CpioReader.read(
                    plain, at: inner, path: path + " (\(format.rawValue))", keep: keep)
                entries += members
                inner = end
            }
        }
    }

    /// The kernel modules in the archives by module name (`hv_vmbus` for `…/hv_vmbus.ko.xz`).
    public var moduleNames: Set<String> {
        var names = Set<String>()
        for entry in entries {
            let file = entry.name.split(separator: "/").last.map(String.init) ?? ""
            for suffix in [".ko", ".ko.xz", ".ko.zst", ".ko.gz"] where file.hasSuffix(suffix) {
                names.insert(String(file.dropLast(suffix.count)).replacingDashes)
            }
        }
        return names
    }

    /// Module names listed in any `modules.builtin` member (modules compiled into the kernel).
    public var builtinModules: Set<String> {
        var names = Set<String>()
        for entry in entries where entry.name.hasSuffix("/modules.builtin") {
            names.formUnion(Self.builtinNames(String(decoding: entry.data ?? [], as: UTF8.self)))
        }
        return names
    }

    /// The module names in a `modules.builtin` text (`kernel/drivers/hv/hv_vmbus.ko` per line).
    public static func builtinNames(_ text: String) -> Set<String> {
        Set(
            text.split(separator: "\n").compactMap { line in
                let file = line.split(separator: "/").last.map(String.init) ?? ""
                return file.hasSuffix(".ko") ? String(file.dropLast(3)).replacingDashes : nil
            })
    }
}

extension String {
    /// Module names treat `-` and `_` alike (modprobe does).
    var replacingDashes: String { String(map { $0 == "-" ? "_" : $0 }) }
}
