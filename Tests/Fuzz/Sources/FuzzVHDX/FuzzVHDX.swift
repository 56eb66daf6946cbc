import BlockIO
import CFuzzer
import FuzzSupport

/// Fuzzes the VHDX parsers (headers, region table, metadata table and items, parent locator, BAT, log search and
/// replay) and reads through the disk, all in memory.
///
/// A VHDX is at least 4 MiB of mostly zeros, so the input describes one compactly: a flags byte, then chunks
/// `[kind u8][offset u16 LE, ×16 bytes][length u16 LE][bytes]` placed into sections at qemu's layout —
/// 0 header (at 64 KiB, mirrored at 128 KiB), 1 region table (192 KiB, mirrored at 256 KiB), 2 log (1 MiB),
/// 3 BAT (2 MiB), 4 metadata (3 MiB), 5 payload (4 MiB) — in an 8 MiB file that reads as zeros elsewhere.
/// Flags make the checksums right so that the fuzzer gets past them: bit 0 headers, bit 1 region tables,
/// bit 2 log entries (each plausible entry at a 4 KiB step), bit 3 copies the first log entry's GUID into the
/// headers (a pending log).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVHDX(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = fuzzInput(data, size)
    guard let flags = input.first else { return 0 }
    let bases: [Int] = [64 << 10, 192 << 10, 1 << 20, 2 << 20, 3 << 20, 4 << 20]
    let file = PageStore(length: 8 << 20)
    file.put(Array("vhdxfile".utf8), at: 0)
    var at = 1
    while at + 5 <= input.count {
        let kind = Int(input[at]) % bases.count
        let offset = (Int(input[at + 1]) | Int(input[at + 2]) << 8) * 16
        let length = Int(input[at + 3]) | Int(input[at + 4]) << 8
        at += 5
        let bytes = Array(input[at..<min(at + length, input.count)])
        at += bytes.count
        if bases[kind] + offset + bytes.count <= file.byteCount { file.put(bytes, at: bases[kind] + offset) }
    }
    file.copyPages(from: 64 << 10, to: 128 << 10, count: 4096)
    file.copyPages(from: 192 << 10, to: 256 << 10, count: 64 << 10)
    if flags & 8 != 0 { file.put(file.get((1 << 20) + 32, 16), at: (64 << 10) + 48) }
    func reseal(_ start: Int, _ length: Int) {
        file.put([0, 0, 0, 0], at: start + 4)
        let crc = file.crc32c(start, length)
        file.put((0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * $0)) }, at: start + 4)
    }
    if flags & 4 != 0 {
        let signature = UInt32(littleEndian: 0x6567_6F6C)  // "loge"
        for entry in stride(from: 1 << 20, to: 2 << 20, by: 4096) where file.word(at: entry) == signature {
            let header = file.get(entry + 8, 3)
            let length = Int(header[0]) | Int(header[1]) << 8 | Int(header[2]) << 16
            if length >= 4096, length % 4096 == 0, entry + length <= 2 << 20 { reseal(entry, length) }
        }
    }
    if flags & 1 != 0 {
        reseal(64 << 10, 4096)
        var second = file.get(64 << 10, 4096)
        second[8] &+= 1  // header 2: the next sequence number, then its own checksum
        file.put(second, at: 128 << 10)
        reseal(128 << 10, 4096)
    }
    if flags & 2 != 0 {
        reseal(192 << 10, 64 << 10)
        file.copyPages(from: 192 << 10, to: 256 << 10, count: 64 << 10)
    }
    guard let (structure, source) = try? VHDXFileStructure.read(from: file) else { return 0 }
    _ = structure.table.allocatedCount
    let parent: (any BlockDevice)? =
        structure.metadata.hasParent ? ZeroDisk(size: structure.metadata.virtualDiskSize) : nil
    guard let disk = try? VHDXDisk(store: source, structure: structure, parent: parent) else { return 0 }
    let size = disk.size
    for offset in [0, size / 2, size &- 4096, UInt64(structure.metadata.blockSize) &- 1000] where offset < size {
        _ = try? disk.read(at: offset, count: Int(min(8192, size - offset)))
        _ = try? disk.isKnownZero(offset..<min(size, offset + (64 << 20)))
    }
    return 0
}

/// An in-memory file of 4 KiB pages, zeros where nothing was put (a VHDX is megabytes of mostly zeros).
final class PageStore: ByteStore {
    let byteCount: Int
    private var pages: [Int: [UInt8]] = [:]
    private static let zeroPage = [UInt8](repeating: 0, count: 4096)
    var path: String { "fuzz-input.vhdx" }
    var isWritable: Bool { false }

    init(length: Int) { byteCount = length }

    /// Copies go page by page with `memcpy` (through buffer pointers): the target is built without optimisation,
    /// where `replaceSubrange` and `+=` on slices cost more than the parsers they feed.
    func put(_ bytes: [UInt8], at offset: Int) {
        bytes.withUnsafeBytes { source in
            var position = offset
            while position < offset + source.count {
                let index = position / 4096
                let end = min(offset + source.count, (index + 1) * 4096)
                var page = pages.removeValue(forKey: index) ?? Self.zeroPage  // uniquely held: changed in place
                page.withUnsafeMutableBytes { target in
                    (target.baseAddress! + position % 4096).copyMemory(
                        from: source.baseAddress! + (position - offset), byteCount: end - position)
                }
                pages[index] = page
                position = end
            }
        }
    }

    /// Makes the `count` bytes at `target` the same as those at `source` (both page aligned): the pages are
    /// shared, not copied (copy on write).
    func copyPages(from source: Int, to target: Int, count: Int) {
        for page in 0..<count / 4096 { pages[target / 4096 + page] = pages[source / 4096 + page] }
    }

    /// The 4 bytes at `offset` (inside one page), in memory order.
    func word(at offset: Int) -> UInt32 {
        guard let page = pages[offset / 4096] else { return 0 }
        return page.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset % 4096, as: UInt32.self) }
    }

    /// The CRC-32C of the `count` bytes at `offset`, page by page (nothing copied).
    func crc32c(_ offset: Int, _ count: Int) -> UInt32 {
        var crc: UInt32 = 0
        var position = offset
        while position < offset + count {
            let end = min(offset + count, (position / 4096 + 1) * 4096)
            crc = (pages[position / 4096] ?? Self.zeroPage).withUnsafeBytes {
                cfuzzer_crc32c(
                    crc, $0.baseAddress!.assumingMemoryBound(to: UInt8.self) + position % 4096, end - position)
            }
            position = end
        }
        return crc
    }

    func get(_ offset: Int, _ count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { target, initialized in
            copy(offset, into: UnsafeMutableRawBufferPointer(target))
            initialized = count
        }
    }

    /// Copies the `target.count` bytes at `offset` into `target`.
    private func copy(_ offset: Int, into target: UnsafeMutableRawBufferPointer) {
        var position = offset
        while position < offset + target.count {
            let end = min(offset + target.count, (position / 4096 + 1) * 4096)
            let destination = target.baseAddress! + (position - offset)
            // Zeros are copied from the zero page too: an unoptimised `initializeMemory` fills byte by byte.
            (pages[position / 4096] ?? Self.zeroPage).withUnsafeBytes {
                destination.copyMemory(from: $0.baseAddress! + position % 4096, byteCount: end - position)
            }
            position = end
        }
    }

    func length() throws(BlockIOError) -> UInt64 { UInt64(byteCount) }

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) -> Int {
        guard offset < UInt64(byteCount) else { return 0 }
        let count = min(buffer.count, byteCount - Int(offset))
        copy(Int(offset), into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count]))
        return count
    }

    func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockIOError) {
        throw BlockIOError(.readOnly, "read only")
    }

    func setLength(_ length: UInt64) throws(BlockIOError) { throw BlockIOError(.readOnly, "read only") }
    func sync() throws(BlockIOError) {}
}

/// The parent of a fuzzed differencing disk: zeros.
final class ZeroDisk: BlockDevice {
    let size: UInt64
    var isWritable: Bool { false }
    init(size: UInt64) { self.size = size }
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) {
        try checkBounds(offset: offset, count: buffer.count)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
    }
    func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockIOError) {
        throw BlockIOError(.readOnly, "read only")
    }
    func flush() throws(BlockIOError) {}
}

@_cdecl("FuzzVHDX_main")
public func fuzzVHDXMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    runFuzzer(argc, argv) { fuzzVHDX($0, $1) }
}
