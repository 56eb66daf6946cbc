import BlockIO
import Foundation
import Testing
import _TestSupport

/// Differencing disks as Windows writes them, crafted by patching children made by our own create (VHD) or by
/// qemu-img (VHDX; see ``VHDXDifferencingTests``): `Wi2r`/`Wi2k` locators in single-byte text, `MacX` URLs
/// with `localhost`, and parent names whose case differs from the file's (Windows matches them ignoring case).
@Suite struct WindowsParentTests {
    /// A 3 MiB parent (qemu-img, 64 KiB of 0x5C written by qemu-io) and a child made by `ImageCreator`.
    static func chain(_ dir: TemporaryDirectory) throws -> (parent: String, child: String) {
        let parent = dir.file("base.vhd")
        try VHDFixture.qemuCreate(parent, size: "3M")
        try VHDFixture.qemuWrite(parent, pattern: 0x5C, offset: 0, length: 65536)
        try VHDParentTests.makeChild(dir, parent: "base.vhd", child: "child.vhd")
        return (parent, dir.file("child.vhd"))
    }

    static func put32BE(_ value: UInt32, at offset: Int, in bytes: inout [UInt8]) {
        for index in 0..<4 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (24 - 8 * index)) }
    }

    static func get32BE(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 << 8 | UInt32(bytes[offset + $1]) }
    }

    /// The VHD checksum (one's complement of the byte sum, the field itself as zero) of `range`, stored.
    static func fixVHDChecksum(_ bytes: inout [UInt8], structure range: Range<Int>, field: Int) {
        put32BE(0, at: range.lowerBound + field, in: &bytes)
        put32BE(~bytes[range].reduce(UInt32(0)) { $0 &+ UInt32($1) }, at: range.lowerBound + field, in: &bytes)
    }

    /// The file offset of a dynamic disk's header (the footer copy's data_offset).
    static func headerOffset(_ path: String) throws -> UInt64 {
        try VHDFixture.bytes(path, at: 16, count: 8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Rewrites locator entry `index` of `path` as `code` with `payload` in its reserved space (the other
    /// fields kept), and reseals the header's checksum.
    static func setLocator(_ path: String, index: Int, code: String, payload: [UInt8]) throws {
        let header = try headerOffset(path)
        var bytes = try VHDFixture.bytes(path, at: header, count: 1024)
        let entry = 576 + 24 * index
        let dataOffset = bytes[(entry + 16)..<(entry + 24)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        Self.put32BE(Self.get32BE(Array(code.utf8), at: 0), at: entry, in: &bytes)
        Self.put32BE(UInt32(payload.count), at: entry + 8, in: &bytes)
        Self.fixVHDChecksum(&bytes, structure: 0..<1024, field: 36)
        try VHDFixture.patch(path, at: header, bytes)
        try VHDFixture.patch(path, at: dataOffset, payload + [UInt8](repeating: 0, count: 512 - payload.count))
    }

    /// The index of the entry with platform `code` in the header of `path`.
    static func locatorIndex(_ path: String, code: String) throws -> Int {
        let header = try VHDFixture.bytes(path, at: try headerOffset(path), count: 1024)
        let wanted = Self.get32BE(Array(code.utf8), at: 0)
        return try #require((0..<8).first { Self.get32BE(header, at: 576 + 24 * $0) == wanted })
    }

    @Test func wi2rAndWi2kLocatorsHoldSingleByteText() throws {
        let dir = try TemporaryDirectory()
        let (parent, child) = try Self.chain(dir)
        // The parent moves to a name only the Wi2r locator knows (the header's name and the others go stale).
        let moved = dir.file("parent-xy.vhd")
        try FileManager.default.moveItem(atPath: parent, toPath: moved)
        let relative = Array(".\\parent-xy.vhd".utf8)  // 15 bytes: odd, as Windows writes them
        let absolute = Array("C:\\vm\\R".utf8) + [0xE9] + Array("\\parent-xy.vhd".utf8)  // Latin-1 é
        try Self.setLocator(child, index: try Self.locatorIndex(child, code: "W2ru"), code: "Wi2r", payload: relative)
        try Self.setLocator(child, index: try Self.locatorIndex(child, code: "W2ku"), code: "Wi2k", payload: absolute)
        // libvhdi still reads the patched child (checksums resealed right).
        #expect(try ExternalTool.run(["vhdiinfo", child]).status == 0)

        let image = try VHDFixture.open(path: child)
        let paths = try #require(image.vhd?.structure.parentLocatorPaths).map { "\($0.platform.name)=\($0.path)" }
        #expect(paths.contains("Wi2r=.\\parent-xy.vhd"), "\(paths)")
        #expect(paths.contains("Wi2k=C:\\vm\\Ré\\parent-xy.vhd"), "\(paths)")
        #expect(image.vhd?.parent?.structure.path == moved)
        #expect(try image.device.read(at: 0, count: 2) == [0x5C, 0x5C])

        // A Wi2k payload in UTF-16LE (an even run of ASCII with NULs) is still read as UTF-16.
        let utf16 = Array("C:\\x\\parent-xy.vhd".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        try Self.setLocator(child, index: try Self.locatorIndex(child, code: "Wi2k"), code: "Wi2k", payload: utf16)
        let again = try VHDFixture.open(path: child)
        #expect(again.vhd?.structure.parentLocatorPaths.contains { $0.path == "C:\\x\\parent-xy.vhd" } == true)
    }

    @Test func macXLocatorWithLocalhostIsALocalPath() throws {
        let dir = try TemporaryDirectory()
        let (parent, child) = try Self.chain(dir)
        let elsewhere = try TemporaryDirectory()
        let moved = elsewhere.file("far parent.vhd")
        try FileManager.default.moveItem(atPath: parent, toPath: moved)
        let url = "file://localhost" + elsewhere.path + "/far%20parent.vhd"
        try Self.setLocator(
            child, index: try Self.locatorIndex(child, code: "MacX"), code: "MacX", payload: Array(url.utf8))
        let image = try VHDFixture.open(path: child)
        #expect(image.vhd?.structure.parentLocatorPaths.contains { $0.path == moved } == true)
        #expect(image.vhd?.parent?.structure.path == moved)
        #expect(try image.device.read(at: 0, count: 2) == [0x5C, 0x5C])
    }

    @Test func vhdParentNamesMatchIgnoringCaseWhenTheExactNameIsAbsent() throws {
        let dir = try TemporaryDirectory()
        let (parent, child) = try Self.chain(dir)
        let upper = dir.file("BASE.VHD")
        try FileManager.default.moveItem(atPath: parent, toPath: upper)
        let image = try VHDFixture.open(path: child)
        #expect(image.vhd?.parent?.structure.path == upper)
        #expect(try image.device.read(at: 0, count: 2) == [0x5C, 0x5C])

        // A second file that differs only in case: which one is the parent is not guessed.
        try ExternalTool.check(["cp", "--sparse=always", upper, dir.file("Base.vhd")])
        do {
            _ = try VHDFixture.open(path: child)
            Issue.record("opened with two candidates that differ only in case")
        } catch {
            #expect(error.code == .parent)
            #expect(error.field == "parent_unicode_name")
            #expect(
                error.message.contains(dir.file("BASE.VHD")) && error.message.contains(dir.file("Base.vhd")), "\(error)"
            )
            #expect(error.message.contains("ignoring case"), "\(error)")
        }
        // The exact name, when present, wins without a case-insensitive search.
        try ExternalTool.check(["cp", "--sparse=always", upper, dir.file("base.vhd")])
        #expect(try VHDFixture.open(path: child).vhd?.parent?.structure.path == dir.file("base.vhd"))
    }

    @Test func vhdxParentNamesMatchIgnoringCase() throws {
        let chain = try VHDXDifferencingTests.makeChain { linkage in
            [
                ("parent_linkage", "{\(linkage)}"), ("relative_path", ".\\PARENT.VHDX"),
                ("absolute_win32_path", "C:\\vm\\Parent.Vhdx"),
            ]
        }
        let image = try VHDFixture.open(path: chain.child)
        #expect(image.vhdx?.parent?.structure.path == chain.parent)
        #expect(try VHDFixture.readAll(image.device) == chain.expected)

        try ExternalTool.check(["cp", "--sparse=always", chain.parent, chain.dir.file("Parent.VHDX")])
        do {
            _ = try VHDFixture.open(path: chain.child)
            Issue.record("opened with two candidates that differ only in case")
        } catch {
            #expect(error.code == .parent)
            #expect(error.structure == "VHDX parent locator")
            #expect(
                error.message.contains(chain.parent) && error.message.contains(chain.dir.file("Parent.VHDX")),
                "\(error)")
        }
    }
}
