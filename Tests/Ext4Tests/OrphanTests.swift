import BlockIO
import Ext4
import Foundation
import Testing
import _TestSupport

/// The orphan list (`s_last_orphan`, chained through `i_dtime`): a writable open releases unlinked inodes and
/// truncates linked ones to their size, as the kernel does at mount. Oracle: `e2fsck -fy` on a copy ("Clearing
/// orphaned inode", "Truncating orphaned inode") gives the same free counts, and `e2fsck -fn` is clean after.
@Suite struct OrphanTests {
    /// A filesystem with two orphans made by debugfs: `/gone` (12 KiB, unlinked, links 0) and `/cut` (12 KiB of
    /// blocks, its size set to 1000 bytes, still linked), chained gone → cut.
    static func orphans(_ variant: FilesystemVariant) throws -> Ext4Fixture {
        let fixture = try Ext4Fixture(variant)
        let data = fixture.directory.file("data.bin")
        try Data((0..<12_288).map { UInt8(truncatingIfNeeded: $0 &* 7) }).write(to: URL(fileURLWithPath: data))
        let script = fixture.directory.file("cmds")
        try "write \(data) gone\nwrite \(data) cut\n".write(toFile: script, atomically: true, encoding: .utf8)
        try ExternalTool.check(["debugfs", "-w", "-f", script, fixture.image])
        let gone = try #require(
            UInt32(
                try fixture.debugfs("ls -l /").split(separator: "\n")
                    .first { $0.hasSuffix(" gone") }?.split(separator: " ").first ?? ""))
        let cut = try #require(
            UInt32(
                try fixture.debugfs("ls -l /").split(separator: "\n")
                    .first { $0.hasSuffix(" cut") }?.split(separator: " ").first ?? ""))
        let orphaning = """
            unlink /gone
            sif <\(gone)> links_count 0
            sif <\(gone)> dtime \(cut)
            sif /cut size 1000
            sif /cut dtime 0
            ssv last_orphan \(gone)

            """
        try orphaning.write(toFile: script, atomically: true, encoding: .utf8)
        try ExternalTool.check(["debugfs", "-w", "-f", script, fixture.image])
        return fixture
    }

    static func counts(_ image: String) throws -> [String] {
        try ExternalTool.check(["dumpe2fs", "-h", image]).output.split(separator: "\n")
            .filter { $0.hasPrefix("Free blocks:") || $0.hasPrefix("Free inodes:") || $0.hasPrefix("First orphan") }
            .map(String.init)
    }

    @Test(arguments: [FilesystemVariant.ext4, FilesystemVariant.all[2], FilesystemVariant.all[6]])
    func aWritableOpenReleasesAndTruncatesOrphansAsE2fsckWould(variant: FilesystemVariant) throws {
        let fixture = try Self.orphans(variant)
        let reference = fixture.directory.file("e2fsck.img")
        try ExternalTool.check(["cp", "--sparse=always", fixture.image, reference])
        let repaired = try ExternalTool.run(["e2fsck", "-fy", reference])
        #expect(
            repaired.output.contains("Clearing orphaned inode")
                && repaired.output.contains("Truncating orphaned inode"),
            "\(repaired.output)")
        let before = try fixture.sha256()
        do {
            let fs = try fixture.open(writable: false)
            #expect(fs.warnings.contains { $0.message.contains("orphan list") })
            #expect(fs.orphans == nil)
        }
        #expect(try fixture.sha256() == before, "a read-only open writes nothing")
        try fixture.edit { fs in
            #expect(fs.orphans == OrphanCleanup(released: 1, truncated: 1))
            try fs.chmod("/cut", mode: 0o600)
        }
        try fixture.expectClean()
        #expect(try Self.counts(fixture.image) == Self.counts(reference))
        #expect(try !Self.counts(fixture.image).contains { $0.hasPrefix("First orphan") })
        #expect(try fixture.debugfsCat("/cut") == (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
    }

    @Test func aLoopingOrphanListIsATypedErrorAndWritesNothing() throws {
        let fixture = try Self.orphans(.ext4)
        let cut =
            try fixture.debugfs("ls -l /").split(separator: "\n").first { $0.hasSuffix(" cut") }?
            .split(separator: " ").first ?? ""
        // cut points back at the head of the list.
        let head =
            try fixture.debugfs("stats").split(separator: "\n").first { $0.hasPrefix("First orphan inode:") }?
            .split(separator: " ").last ?? ""
        try ExternalTool.check(["debugfs", "-w", "-R", "sif <\(cut)> dtime \(head)", fixture.image])
        let before = try fixture.sha256()
        expectExt4Error(.corrupt) { _ = try fixture.open(writable: true) }
        #expect(try fixture.sha256() == before)
    }

    /// Found by FuzzExt4: a linked orphan whose size is 2^64 - 1 overflowed rounding the size up to whole blocks.
    /// Its size keeps every block, so the truncation frees nothing and the orphan list is still emptied.
    @Test func aLinkedOrphanWithTheLargestSizeKeepsItsBlocks() throws {
        let fixture = try Self.orphans(.ext4)
        try ExternalTool.check(["debugfs", "-w", "-R", "sif /cut size 18446744073709551615", fixture.image])
        let blockCount = { () throws -> String? in
            try fixture.debugfs("stat /cut").split(separator: "\n").first { $0.contains("Blockcount:") }
                .map(String.init)
        }
        let before = try blockCount()
        #expect(before != nil)
        try fixture.edit { fs in #expect(fs.orphans == OrphanCleanup(released: 1, truncated: 1)) }
        #expect(try blockCount() == before, "nothing past the size is freed")
        #expect(try !Self.counts(fixture.image).contains { $0.hasPrefix("First orphan") })
    }
}
