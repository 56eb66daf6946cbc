import Foundation
import Testing
import _TestSupport

/// Crafted images that lie: VHD BAT entries into the footer, header, BAT or each other, absurd table sizes and
/// block sizes, parent chains that loop or point at the child, MBR/EBR loops, GPT size lies. Each must give a
/// typed error (non-zero exit, a message naming the structure) or a reported warning, in bounded time, and
/// never change a byte of any file involved.
@Suite struct HostileImageTests {
    /// Byte surgery on crafted files.
    enum Patch {
        static func read(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }
        static func write(_ bytes: [UInt8], to path: String) throws {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
        static func put32BE(_ value: UInt32, at offset: Int, in bytes: inout [UInt8]) {
            for index in 0..<4 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (24 - 8 * index)) }
        }
        static func put32LE(_ value: UInt32, at offset: Int, in bytes: inout [UInt8]) {
            for index in 0..<4 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
        }
        static func get32BE(_ bytes: [UInt8], at offset: Int) -> UInt32 {
            (0..<4).reduce(0) { $0 << 8 | UInt32(bytes[offset + $1]) }
        }
        static func get64BE(_ bytes: [UInt8], at offset: Int) -> UInt64 {
            (0..<8).reduce(0) { $0 << 8 | UInt64(bytes[offset + $1]) }
        }
        /// The VHD checksum (one's complement of the byte sum, the field itself as zero) of `range`.
        static func fixVHDChecksum(_ bytes: inout [UInt8], structure range: Range<Int>, field: Int) {
            put32BE(0, at: range.lowerBound + field, in: &bytes)
            let sum = bytes[range].reduce(UInt32(0)) { $0 &+ UInt32($1) }
            put32BE(~sum, at: range.lowerBound + field, in: &bytes)
        }
        /// CRC-32 (IEEE, as GPT uses).
        static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            }
            return ~crc
        }
    }

    /// Runs `arguments` on the CLI; checks it fails (or warns, when `warningAllowed`), quickly, and that no
    /// file in `dir` changed.
    @discardableResult
    func expectRefusal(
        _ arguments: [String], in dir: TemporaryDirectory, mentions words: [String],
        warningAllowed: Bool = false, _ what: String
    ) throws -> ExternalTool.Result {
        let before = try digests(dir)
        let start = Date()
        let result = try CLI.run(arguments)
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed < 10, "\(what): took \(elapsed) s")
        let text = (result.stderr + result.output).lowercased()
        if result.status == 0 {
            #expect(warningAllowed && text.contains("warning"), "\(what): exit 0 without a warning: \(result.output)")
        } else {
            #expect(result.status == 1, "\(what): exit \(result.status) (a crash?): \(result.stderr)")
            #expect(result.stderr.hasPrefix("vhdedit: "), "\(what): \(result.stderr)")
        }
        #expect(words.contains { text.contains($0.lowercased()) }, "\(what): message names none of \(words): \(text)")
        #expect(try digests(dir) == before, "\(what): a file changed")
        return result
    }

    func digests(_ dir: TemporaryDirectory) throws -> [String: String] {
        var result: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
            result[name] = try FileDigest.sha256(dir.file(name))
        }
        return result
    }

    /// A qemu-img dynamic VHD of 8 MiB (2 MiB blocks) with blocks 0 and 1 allocated by qemu-io.
    func dynamicVHD(_ dir: TemporaryDirectory, name: String = "disk.vhd") throws -> String {
        let path = dir.file(name)
        try ExternalTool.check(["qemu-img", "create", "-q", "-f", "vpc", "-o", "subformat=dynamic", path, "8M"])
        try ExternalTool.check([
            "qemu-io", "-f", "vpc", "-c", "write -P 0x11 0 4096", "-c", "write -P 0x22 2M 4096", path,
        ])
        return path
    }

    enum BATLie: String, CaseIterable {
        case intoFooterCopy, intoHeader, intoTable, intoEachOther, pastTheEnd, intoTrailingFooter
    }

    /// A dynamic VHD in `dir` whose BAT entry for block 1 points where `lie` says.
    func dynamicVHDWithLyingBAT(_ lie: BATLie, in dir: TemporaryDirectory) throws -> String {
        let path = try dynamicVHD(dir)
        var bytes = try Patch.read(path)
        let header = Int(Patch.get64BE(bytes, at: 16))
        let table = Int(Patch.get64BE(bytes, at: header + 16))
        let sector: UInt32
        switch lie {
        case .intoFooterCopy: sector = 0
        case .intoHeader: sector = UInt32(header / 512)
        case .intoTable: sector = UInt32(table / 512)
        case .intoEachOther: sector = Patch.get32BE(bytes, at: table)
        case .pastTheEnd: sector = 0x00FF_FFF0
        case .intoTrailingFooter: sector = UInt32(bytes.count / 512 - 1)
        }
        Patch.put32BE(sector, at: table + 4, in: &bytes)  // block 1
        try Patch.write(bytes, to: path)
        return path
    }

    @Test(arguments: BATLie.allCases)
    func batEntriesThatPointAtMetadataOrEachOtherAreRefused(lie: BATLie) throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-hostile")
        let path = try dynamicVHDWithLyingBAT(lie, in: dir)
        try expectRefusal(["info", path], in: dir, mentions: ["BAT", "block"], "info, BAT \(lie)")
        try expectRefusal(
            ["convert", path, dir.file("out.raw"), "--to", "raw"], in: dir, mentions: ["BAT", "block"],
            "convert, BAT \(lie)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("out.raw")))
    }

    @Test(arguments: [
        ("maxTableEntries", 28, UInt32.max), ("maxTableEntries", 28, 0x0100_0000), ("blockSize", 32, 0x8000_0000),
        ("blockSize", 32, 0), ("blockSize", 32, 3 << 20), ("blockSize", 32, 256),
    ])
    func absurdTableAndBlockSizesAreRefused(field: String, offset: Int, value: UInt32) throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-hostile")
        let path = try dynamicVHD(dir)
        var bytes = try Patch.read(path)
        let header = Int(Patch.get64BE(bytes, at: 16))
        Patch.put32BE(value, at: header + offset, in: &bytes)
        Patch.fixVHDChecksum(&bytes, structure: header..<(header + 1024), field: 36)
        try Patch.write(bytes, to: path)
        try expectRefusal(
            ["info", path], in: dir, mentions: [field, "max_table_entries", "block_size", "BAT", "block size"],
            "\(field) = \(value)")
    }

    @Test func aDifferencingDiskThatIsItsOwnParentIsRefused() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-hostile")
        let parent = try dynamicVHD(dir, name: "parent.vhd")
        let child = dir.file("child.vhd")
        try ExternalTool.check([CLI.binary, "create", child, "--parent", parent])
        // The child takes the parent's name: its locators now name itself.
        try FileManager.default.removeItem(atPath: parent)
        try FileManager.default.moveItem(atPath: child, toPath: parent)
        try expectRefusal(["info", parent], in: dir, mentions: ["parent"], "self-parent")
    }

    @Test func aParentChainThatLoopsIsRefused() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-hostile")
        let base = try dynamicVHD(dir, name: "a.vhd")
        let b = dir.file("b.vhd")
        let c = dir.file("c.vhd")
        try ExternalTool.check([CLI.binary, "create", b, "--parent", base])
        try ExternalTool.check([CLI.binary, "create", c, "--parent", b])
        // a.vhd becomes c (whose parent is b, whose parent is a): a → b → a.
        try FileManager.default.removeItem(atPath: base)
        try FileManager.default.moveItem(atPath: c, toPath: base)
        try expectRefusal(["info", base], in: dir, mentions: ["parent", "loop"], "a → b → a")
        try expectRefusal(["info", b], in: dir, mentions: ["parent", "loop"], "b → a → b")
    }

    @Test func anEBRChainThatLoopsIsCutWithAWarningOrRefused() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-hostile")
        let path = dir.file("mbr.raw")
        try ExternalTool.check(["truncate", "-s", "8M", path])
        try ExternalTool.check(
            ["sfdisk", "-q", "--no-reread", "--no-tell-kernel", path],
            stdin: Data("label: dos\n,1M,L\n,,E\n,1M,L\n,1M,L\n".utf8))
        var bytes = try Patch.read(path)
        // The extended partition (entry 2) and its second EBR; point the second EBR's link back at the first.
        let extendedStart = Int(bytes[446 + 16 + 8]) | Int(bytes[446 + 16 + 9]) << 8 | Int(bytes[446 + 16 + 10]) << 16
        let firstEBR = extendedStart * 512
        let nextRelative =
            Int(bytes[firstEBR + 446 + 16 + 8]) | Int(bytes[firstEBR + 446 + 16 + 9]) << 8
            | Int(bytes[firstEBR + 446 + 16 + 10]) << 16
        let secondEBR = (extendedStart + nextRelative) * 512
        for index in 0..<16 { bytes[secondEBR + 446 + 16 + index] = bytes[firstEBR + 446 + 16 + index] }
        Patch.put32LE(0, at: secondEBR + 446 + 16 + 8, in: &bytes)  // link → the first EBR (relative 0)
        try Patch.write(bytes, to: path)
        try expectRefusal(
            ["partitions", path], in: dir, mentions: ["loop", "EBR", "cycle"], warningAllowed: true,
            "EBR loop")
    }

    enum GPTLie: String, CaseIterable { case headerSize, entrySize, entryCount, entryArrayOverflow }

    @Test(arguments: GPTLie.allCases)
    func gptHeadersThatLieAboutSizesAreRefusedOrWarned(lie: GPTLie) throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-hostile")
        let path = dir.file("gpt.raw")
        try ExternalTool.check(["truncate", "-s", "8M", path])
        try ExternalTool.check(["sgdisk", "-o", "-n1:2048:+1M", "-t1:8300", path])
        var bytes = try Patch.read(path)
        let sectors = bytes.count / 512
        for headerLBA in [1, sectors - 1] {  // primary and backup: no good copy to fall back to
            let h = headerLBA * 512
            switch lie {
            case .headerSize: Patch.put32LE(4096, at: h + 12, in: &bytes)
            case .entrySize: Patch.put32LE(0x8000_0000, at: h + 84, in: &bytes)
            case .entryCount: Patch.put32LE(UInt32.max, at: h + 80, in: &bytes)
            case .entryArrayOverflow:
                Patch.put32LE(0x0100_0000, at: h + 80, in: &bytes)
                Patch.put32LE(0x1000, at: h + 84, in: &bytes)
            }
            // A consistent CRC, so the size checks themselves are what stops it (92-byte header).
            Patch.put32LE(0, at: h + 16, in: &bytes)
            Patch.put32LE(Patch.crc32(bytes[h..<(h + 92)]), at: h + 16, in: &bytes)
        }
        try Patch.write(bytes, to: path)
        try expectRefusal(
            ["partitions", path], in: dir,
            mentions: ["GPT", "header", "entr"], warningAllowed: true, "GPT \(lie)")
    }
}
