import BlockIO
import Foundation
import Testing
import _TestSupport

/// Crafted broken files: each gives a typed error naming the file, structure, field and offset (or a warning
/// where the image can still be read), never a crash or an allocation in proportion to a lying size field.
@Suite struct VHDHostileInputTests {
    /// A fresh qemu dynamic image (8 MiB, BAT at 0x600, header at 0x200) with data in blocks 0 and 2.
    static func dynamicImage(_ dir: TemporaryDirectory, name: String = "bad.vhd") throws -> String {
        let path = dir.file(name)
        try VHDFixture.qemuCreate(path, size: "8M")
        try VHDFixture.qemuWrite(path, pattern: 0x42, offset: 0, length: 4096)
        try VHDFixture.qemuWrite(path, pattern: 0x43, offset: 4 << 20, length: 4096)
        return path
    }

    /// Flips bytes with `dd conv=notrunc`.
    static func ddPatch(_ path: String, at offset: UInt64, _ bytes: [UInt8]) throws {
        try ExternalTool.check(
            ["dd", "of=\(path)", "bs=1", "seek=\(offset)", "conv=notrunc", "status=none"], stdin: Data(bytes))
    }

    /// Recomputes a structure's checksum (one's complement of the byte sum, field as zero), independently of
    /// the library, so that a crafted field is seen past the checksum check.
    static func fixChecksum(_ path: String, structureAt offset: UInt64, length: Int, fieldAt field: Int) throws {
        var bytes = try VHDFixture.bytes(path, at: offset, count: length)
        for i in field..<field + 4 { bytes[i] = 0 }
        let sum = bytes.reduce(UInt32(0)) { $0 &+ UInt32($1) }
        let value = ~sum
        try ddPatch(path, at: offset + UInt64(field), [24, 16, 8, 0].map { UInt8((value >> $0) & 0xFF) })
    }

    static func footerOffsets(_ path: String) throws -> [UInt64] { [0, try VHDFixture.length(path) - 512] }

    /// Sets a footer field in both footers and fixes their checksums.
    static func patchFooters(_ path: String, field: UInt64, _ bytes: [UInt8]) throws {
        for base in try footerOffsets(path) {
            try ddPatch(path, at: base + field, bytes)
            try fixChecksum(path, structureAt: base, length: 512, fieldAt: 64)
        }
    }

    /// Sets a header field and fixes its checksum.
    static func patchHeader(_ path: String, field: UInt64, _ bytes: [UInt8]) throws {
        try ddPatch(path, at: 512 + field, bytes)
        try fixChecksum(path, structureAt: 512, length: 1024, fieldAt: 36)
    }

    static func openError(_ path: String) -> BlockIOError? {
        do {
            _ = try VHDFixture.open(path: path)
            return nil
        } catch {
            return error
        }
    }

    static func be32(_ value: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8((value >> $0) & 0xFF) } }
    static func be64(_ value: UInt64) -> [UInt8] { [56, 48, 40, 32, 24, 16, 8, 0].map { UInt8((value >> $0) & 0xFF) } }

    @Test func badChecksumInBothFootersNamesBothValues() throws {
        let dir = try TemporaryDirectory()
        let path = try Self.dynamicImage(dir)
        let end = try VHDFixture.length(path) - 512
        let stored = try VHDFixture.bytes(path, at: end + 64, count: 4)
        try Self.ddPatch(path, at: end + 64, [stored[0] ^ 0xFF])
        try Self.ddPatch(path, at: 64, [stored[0] ^ 0xFF])
        let error = try #require(Self.openError(path))
        #expect(error.code == .checksumMismatch)
        #expect(error.path == path)
        #expect(error.field == "checksum")
        #expect(error.offset == end + 64)
        let storedHex = String(format: "0x%02x%02x%02x%02x", stored[0] ^ 0xFF, stored[1], stored[2], stored[3])
        let computedHex = String(format: "0x%02x%02x%02x%02x", stored[0], stored[1], stored[2], stored[3])
        #expect(error.message.contains("stored \(storedHex)"))
        #expect(error.message.contains("computed \(computedHex)"))
        #expect(error.description.contains("VHD footer field checksum"))
    }

    @Test func damagedTrailingFooterIsReadFromTheCopyWithAWarning() throws {
        let dir = try TemporaryDirectory()
        let path = try Self.dynamicImage(dir)
        let expected = try VHDFixture.qemuRaw(path, in: dir)
        let end = try VHDFixture.length(path) - 512
        try Self.ddPatch(path, at: end + 70, [0x99])  // unique id byte: checksum now wrong
        let image = try VHDFixture.open(path: path)
        #expect(image.vhd?.structure.footerSource == .copy)
        #expect(image.vhd?.structure.trailingFooterState == .badChecksum)
        #expect(image.warnings.contains { $0.contains("bad checksum") && $0.contains("copy at offset 0") })
        #expect(try VHDFixture.readAll(image.device) == expected)
    }

    @Test func missingTrailingFooterIsReadFromTheCopyAndRepairedOnWrite() throws {
        let dir = try TemporaryDirectory()
        let path = try Self.dynamicImage(dir)
        let expected = try VHDFixture.qemuRaw(path, in: dir)
        let length = try VHDFixture.length(path)
        try ExternalTool.check(["truncate", "-s", "\(length - 512)", path])
        do {
            let image = try VHDFixture.open(path: path)
            #expect(image.vhd?.structure.trailingFooterState == .missing)
            #expect(image.warnings.contains { $0.contains("missing") })
            #expect(try VHDFixture.readAll(image.device) == expected)
        }
        do { try VHDFixture.open(path: path, writable: true).commit() }  // repairs
        #expect(try VHDFixture.length(path) == length)
        #expect(try VHDFixture.open(path: path).warnings.isEmpty)
        // libvhdi, which reads only the trailing footer, opens it again.
        #expect(try VHDFixture.vhdiinfoSize(path) != nil)
    }

    @Test func badCookieEverywhereIsRaw() throws {
        let dir = try TemporaryDirectory()
        let path = try Self.dynamicImage(dir)
        let end = try VHDFixture.length(path) - 512
        try Self.ddPatch(path, at: 0, Array("xonectix".utf8))
        try Self.ddPatch(path, at: end, Array("xonectix".utf8))
        #expect(try VHDFixture.open(path: path).format == .raw)
    }

    @Test func badHeaderCookieAndChecksum() throws {
        let dir = try TemporaryDirectory()
        let path = try Self.dynamicImage(dir)
        try Self.ddPatch(path, at: 512, Array("xxsparse".utf8))
        var error = try #require(Self.openError(path))
        #expect(error.code == .badCookie)
        #expect(error.structure == "dynamic disk header")
        #expect(error.offset == 512)
        try Self.ddPatch(path, at: 512, Array("cxsparse".utf8))
        try Self.ddPatch(path, at: 512 + 100, [0x55])
        error = try #require(Self.openError(path))
        #expect(error.code == .checksumMismatch)
        #expect(error.field == "checksum")
        #expect(error.offset == 512 + 36)
        #expect(error.message.contains("stored") && error.message.contains("computed"))
    }

    @Test func unsupportedVersionAndDiskType() throws {
        let dir = try TemporaryDirectory()
        var path = try Self.dynamicImage(dir, name: "version.vhd")
        try Self.patchFooters(path, field: 12, Self.be32(0x0002_0000))
        var error = try #require(Self.openError(path))
        #expect(error.code == .unsupported)
        #expect(error.field == "file_format_version")
        path = try Self.dynamicImage(dir, name: "type.vhd")
        try Self.patchFooters(path, field: 60, Self.be32(5))
        error = try #require(Self.openError(path))
        #expect(error.code == .unsupported)
        #expect(error.field == "disk_type")
        #expect(error.offset == (try VHDFixture.length(path)) - 512 + 60)
        path = try Self.dynamicImage(dir, name: "hversion.vhd")
        try Self.patchHeader(path, field: 24, Self.be32(0x0003_0000))
        error = try #require(Self.openError(path))
        #expect(error.code == .unsupported)
        #expect(error.field == "header_version")
    }

    @Test func sizeTooLarge() throws {
        let dir = try TemporaryDirectory()
        let path = try Self.dynamicImage(dir)
        try Self.patchFooters(path, field: 48, Self.be64(3 << 40))
        let error = try #require(Self.openError(path))
        #expect(error.code == .tooLarge)
        #expect(error.field == "current_size")
    }

    @Test func truncatedFixedDisk() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("fixed.vhd")
        try VHDFixture.qemuCreate(path, size: "4M", options: "subformat=fixed,force_size=on")
        let length = try VHDFixture.length(path)
        let footer = try VHDFixture.bytes(path, at: length - 512, count: 512)
        try ExternalTool.check(["truncate", "-s", "\(2 << 20)", path])
        try VHDFixture.patch(path, at: 2 << 20, footer)
        let error = try #require(Self.openError(path))
        #expect(error.code == .truncated)
        #expect(error.field == "current_size")
        #expect(error.path == path)
    }

    @Test func absurdMaxTableEntriesFailsWithoutAllocating() throws {
        let dir = try TemporaryDirectory()
        let path = try Self.dynamicImage(dir)
        try Self.patchHeader(path, field: 28, Self.be32(0xFFFF_FFF0))
        let error = try #require(Self.openError(path))
        #expect(error.code == .invalidField)
        #expect(error.structure == "dynamic disk header")
        #expect(error.field == "table_offset")
        #expect(error.message.contains("4294967280 entries"))
        // Too few entries for the disk size.
        try Self.patchHeader(path, field: 28, Self.be32(1))
        let small = try #require(Self.openError(path))
        #expect(small.field == "max_table_entries")
        #expect(small.offset == 512 + 28)
    }

    @Test func absurdBlockSize() throws {
        let dir = try TemporaryDirectory()
        let path = try Self.dynamicImage(dir)
        for value: UInt32 in [0, 3 << 20, 0x8000_0000] {
            try Self.patchHeader(path, field: 32, Self.be32(value))
            let error = try #require(Self.openError(path))
            #expect(error.code == .invalidField)
            #expect(error.field == "block_size")
            #expect(error.offset == 512 + 32)
        }
    }

    /// BAT entries of the 8 MiB image: entry i at 0x600 + 4·i; qemu allocated block 0 at sector 4 and block 2 after it.
    @Test(arguments: [
        (0x7FFF_FFF0 as UInt32, BlockIOError.Code.invalidField, "past"),  // past the end of the file
        (0, .overlap, "footer copy"),
        (1, .overlap, "dynamic header"),
        (3, .overlap, "BAT"),
    ])
    func batEntryPointingAtMetadataOrPastEnd(entry: UInt32, code: BlockIOError.Code, words: String) throws {
        let dir = try TemporaryDirectory()
        let path = try Self.dynamicImage(dir)
        try Self.ddPatch(path, at: 0x600 + 4 * 3, Self.be32(entry))
        let error = try #require(Self.openError(path))
        #expect(error.code == code)
        #expect(error.structure == "BAT")
        #expect(error.field == "entry 3")
        #expect(error.offset == 0x600 + 12)
        #expect(error.message.contains(words))
    }

    @Test func batEntriesOverlappingEachOther() throws {
        let dir = try TemporaryDirectory()
        let path = try Self.dynamicImage(dir)
        let first = try VHDFixture.bytes(path, at: 0x600, count: 4)
        let sector = UInt32(first[0]) << 24 | UInt32(first[1]) << 16 | UInt32(first[2]) << 8 | UInt32(first[3])
        try Self.ddPatch(path, at: 0x600 + 4 * 2, Self.be32(sector + 8))
        let error = try #require(Self.openError(path))
        #expect(error.code == .overlap)
        #expect(error.structure == "BAT")
        #expect(error.message.contains("overlaps block 0"))
    }

    @Test func headerOffsetOutsideTheFile() throws {
        let dir = try TemporaryDirectory()
        let path = try Self.dynamicImage(dir)
        try Self.patchFooters(path, field: 16, Self.be64(1 << 40))
        let error = try #require(Self.openError(path))
        #expect(error.code == .invalidField)
        #expect(error.structure == "VHD footer")
        #expect(error.field == "data_offset")
    }

    @Test func tinyAndEmptyFiles() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("tiny.vhd")
        try Data("conectix".utf8).write(to: URL(fileURLWithPath: path))
        // Too short to be a VHD: raw.
        #expect(try VHDFixture.open(path: path).format == .raw)
        // Exactly one footer-sized block of garbage with the cookie: a footer with a bad checksum.
        try Data(Array("conectix".utf8) + [UInt8](repeating: 7, count: 504)).write(to: URL(fileURLWithPath: path))
        let error = try #require(Self.openError(path))
        #expect(error.code == .checksumMismatch)
    }

    @Test func garbageAfterCookieNeverCrashes() throws {
        // Random footers and headers with valid checksums: every open ends in a typed error or a readable disk.
        let dir = try TemporaryDirectory()
        var generator = SeededGenerator(seed: 99)
        for round in 0..<40 {
            let path = try Self.dynamicImage(dir, name: "fuzz\(round).vhd")
            let structureIsHeader = round % 2 == 0
            let base: UInt64 = structureIsHeader ? 512 : (try VHDFixture.length(path)) - 512
            for _ in 0..<4 {
                let offset = UInt64.random(in: 8..<(structureIsHeader ? 1024 : 85), using: &generator)
                try Self.ddPatch(path, at: base + offset, [UInt8.random(in: 0...255, using: &generator)])
            }
            if structureIsHeader {
                try Self.fixChecksum(path, structureAt: 512, length: 1024, fieldAt: 36)
            } else {
                try Self.fixChecksum(path, structureAt: base, length: 512, fieldAt: 64)
            }
            do {
                let image = try VHDFixture.open(path: path)
                _ = try image.device.read(at: 0, count: Int(min(image.device.size, 1 << 16)))
            } catch {
                #expect(!error.message.isEmpty)
                #expect(error.path != nil)
            }
        }
    }
}
