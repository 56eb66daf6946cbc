import BlockIO
import Foundation
import Testing
import _TestSupport

/// `ByteReader` reads fields as coreutils' `od --endian=big|little` reads the same bytes, and a field past the
/// end is a typed error naming the structure, the field and its offset, never a crash.
@Suite struct ByteReaderTests {
    @Test func fieldsMatchOd() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("bytes")
        var generator = SeededGenerator(seed: 0x5eed)
        let bytes = (0..<64).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        for (order, name) in [(ByteOrder.big, "big"), (.little, "little")] {
            let reader = ByteReader(bytes, byteOrder: order, baseOffset: 1000, structure: "test record", path: path)
            for offset in [0, 1, 7, 13, 40, 56] {
                func od(_ size: Int) throws -> UInt64 {
                    let text = try ExternalTool.check([
                        "od", "-An", "-tu\(size)", "--endian=\(name)", "-j", "\(offset)", "-N", "\(size)", path,
                    ]).output
                    return try #require(UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines)))
                }
                #expect(UInt64(try reader.uint16(at: offset, "f")) == (try od(2)), "\(name) u16 at \(offset)")
                #expect(UInt64(try reader.uint32(at: offset, "f")) == (try od(4)), "\(name) u32 at \(offset)")
                #expect(try reader.uint64(at: offset, "f") == (try od(8)), "\(name) u64 at \(offset)")
            }
        }
    }

    @Test func aFieldPastTheEndIsATypedError() {
        let reader = ByteReader(
            [UInt8](repeating: 1, count: 10), byteOrder: .big, baseOffset: 512, structure: "VHD footer", path: "d.vhd")
        for (offset, size) in [(8, 4), (10, 1), (-1, 2), (3, 8), (Int.max - 2, 8)] {
            do {
                switch size {
                case 1: _ = try reader.uint8(at: offset, "cookie")
                case 2: _ = try reader.uint16(at: offset, "cookie")
                case 4: _ = try reader.uint32(at: offset, "cookie")
                default: _ = try reader.uint64(at: offset, "cookie")
                }
                Issue.record("read \(size) bytes at \(offset) of 10")
            } catch {
                #expect(error.code == .truncated && error.structure == "VHD footer" && error.field == "cookie")
                #expect(error.path == "d.vhd" && error.offset == 512 + UInt64(max(offset, 0)))
            }
        }
        #expect(throws: Never.self) { try reader.bytes(at: 2, count: 8, "all") }
    }
}
