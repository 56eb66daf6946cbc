import BlockIO
import Ext4
import Foundation
import Testing
import _TestSupport

/// The jbd2 replay against e2fsprogs: logs written by debugfs (`jo`/`jw`/`jc`, with and without checksums,
/// revokes, several transactions) replay to the very bytes `e2fsck -E journal_only` makes of the same image;
/// damaged logs give typed errors and change no byte.
@Suite struct JournalReplayTests {
    /// A filesystem with a log written by debugfs from `script` (`FILE` and `TWO` substituted: a one-block file
    /// of random bytes, a two-block one; `@A`, `@B`, `@C`: three free blocks past the data).
    static func journaled(_ variant: FilesystemVariant, _ script: String) throws -> Ext4Fixture {
        let fixture = try Ext4Fixture(variant)
        let blockSize = try Self.header(fixture.image, "Block size") ?? 1024
        var generator = SeededGenerator(seed: UInt64(script.utf8.count))
        let one = fixture.directory.file("one.bin")
        let two = fixture.directory.file("two.bin")
        try Data((0..<blockSize).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(
            to: URL(fileURLWithPath: one))
        try Data((0..<(2 * blockSize)).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(
            to: URL(fileURLWithPath: two))
        // A block that starts with the journal's magic number: the journal holds it escaped (first word zeroed,
        // the tag's escape flag set) and the replay must put the magic back.
        let magic = fixture.directory.file("magic.bin")
        try Data([0xC0, 0x3B, 0x39, 0x98] + (4..<blockSize).map { _ in UInt8.random(in: 0...255, using: &generator) })
            .write(to: URL(fileURLWithPath: magic))
        let commands = fixture.directory.file("journal.cmds")
        let free = blockSize == 1024 ? 12000 : 3000  // free blocks of a 16 MiB filesystem
        try script.replacingOccurrences(of: "FILE", with: one).replacingOccurrences(of: "TWO", with: two)
            .replacingOccurrences(of: "MAGIC", with: magic)
            .replacingOccurrences(of: "@A", with: "\(free)").replacingOccurrences(of: "@B", with: "\(free + 1)")
            .replacingOccurrences(of: "@C", with: "\(free + 2)")
            .write(toFile: commands, atomically: true, encoding: .utf8)
        try ExternalTool.check(["debugfs", "-w", "-f", commands, fixture.image])
        #expect(try ExternalTool.check(["dumpe2fs", "-h", fixture.image]).output.contains("needs_recovery"))
        return fixture
    }

    /// The image's bytes with the superblock fields recovery tools stamp differently (write time, lifetime
    /// writes, and the checksum over them) zeroed.
    static func comparableBytes(_ path: String) throws -> [UInt8] {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        for (offset, length) in [(0x30, 4), (0x178, 8), (0x274, 1), (0x3FC, 4)] {
            for index in 0..<length { bytes[1024 + offset + index] = 0 }
        }
        return bytes
    }

    /// A number `dumpe2fs -h` prints after `field:` (decimal or 0x hexadecimal).
    static func header(_ image: String, _ field: String) throws -> Int? {
        let output = try ExternalTool.run(["dumpe2fs", "-h", image]).output
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return nil }
        let value = line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces)
        return value.hasPrefix("0x") ? Int(value.dropFirst(2), radix: 16) : Int(value)
    }

    /// Replays with ``Ext4FileSystem/replayJournal(on:)`` and with `e2fsck -E journal_only -y` on a copy: the
    /// same bytes, the same number of transactions (e2fsck's new journal sequence less the old one, less 1).
    @discardableResult
    static func expectSameReplayAsE2fsck(
        _ fixture: Ext4Fixture, sourceLocation: SourceLocation = #_sourceLocation
    )
        throws -> JournalReplaySummary?
    {
        let reference = fixture.directory.file("e2fsck.img")
        try ExternalTool.check(["cp", "--sparse=always", fixture.image, reference])
        let e2fsck = try ExternalTool.run(["e2fsck", "-E", "journal_only", "-y", reference])
        #expect(e2fsck.status <= 1, "\(e2fsck.output)", sourceLocation: sourceLocation)
        let sequence = try #require(try header(fixture.image, "Journal sequence"))
        let replayed = try #require(try header(reference, "Journal sequence")) - sequence - 1
        let disk = try openDisk(fixture.image, writable: true)
        let summary = try Ext4FileSystem.replayJournal(on: disk.device)
        try disk.commit()
        #expect(summary?.transactions == replayed, sourceLocation: sourceLocation)
        #expect(
            try comparableBytes(fixture.image) == comparableBytes(reference), "block for block",
            sourceLocation: sourceLocation)
        if summary?.stoppedAtCorruptCommit == nil { try fixture.expectClean(sourceLocation: sourceLocation) }
        return summary
    }

    /// debugfs journal scripts: one to three transactions, copies of one and two blocks, revokes, an escaped
    /// copy (a block starting with the journal magic); `jo -c` writes
    /// CRC-32C (v3) checksums on a metadata_csum filesystem and CRC-32 (v1) ones elsewhere — where debugfs's v1
    /// sum of a transaction with a revoke block is one e2fsck refuses, which ends the replay there.
    static let scripts: [String] = [
        "jo\njw -b @A FILE\njc\n",
        "jo -c\njw -b @A,@B TWO\njc\n",
        "jo\njw -b @A FILE\njw -b @B -r @A FILE\njc\n",
        "jo -c\njw -b @A FILE\njc\njo -c\njw -b @A,@B TWO\njw -b @C -r @B FILE\njc\n",
        "jo -c\njw -r @A /dev/null\njc\n",
        "jo -c\njw -b @A MAGIC\njw -b @B,@C TWO\njc\n",
    ]

    @Test(arguments: [
        FilesystemVariant.ext4, FilesystemVariant.all[4], FilesystemVariant.all[6], FilesystemVariant.all[2],
    ])
    func replayMatchesE2fsckJournalOnly(variant: FilesystemVariant) throws {
        for script in Self.scripts {
            let fixture = try Self.journaled(variant, script)
            try Self.expectSameReplayAsE2fsck(fixture)
        }
    }

    /// A journaled copy of /etc/hostname's data block with new bytes: a read-only open reads the journal's
    /// bytes and writes nothing; a writable open commits them with its own change.
    @Test func readersSeeTheJournalsCopyAndWritersCommitIt() throws {
        let fixture = try Ext4Fixture(.all[3])
        let block = try fixture.debugfs("bmap /etc/hostname 0").trimmingCharacters(in: .whitespacesAndNewlines)
        let copy = fixture.directory.file("hostname.bin")
        try Data(Array("replayed\n".utf8) + [UInt8](repeating: 0, count: 1015)).write(to: URL(fileURLWithPath: copy))
        let commands = fixture.directory.file("cmds")
        try "jo -c\njw -b \(block) \(copy)\njc\n".write(toFile: commands, atomically: true, encoding: .utf8)
        try ExternalTool.check(["debugfs", "-w", "-f", commands, fixture.image])
        let before = try fixture.sha256()
        #expect(
            try fixture.debugfsCat("/etc/hostname") == Array("guest-vm\n".utf8), "debugfs reads the stale home block")
        do {
            let fs = try fixture.open(writable: false)
            #expect(try fs.readFile("/etc/hostname") == Array("replayed\n".utf8))
            #expect(fs.journalReplay?.transactions == 1 && fs.journalReplay?.blocks == 1)
        }
        #expect(try fixture.sha256() == before)
        try fixture.edit { fs in try fs.writeFile("/etc/motd", contents: Array("hi\n".utf8)) }
        try fixture.expectClean()
        #expect(try fixture.debugfsCat("/etc/hostname") == Array("replayed\n".utf8))
        #expect(try fixture.debugfsCat("/etc/motd") == Array("hi\n".utf8))
    }

    /// The journal block `index` of the fixture's journal inode, as a device byte offset.
    static func journalOffset(_ fixture: Ext4Fixture, block index: Int, blockSize: Int) throws -> Int {
        let text = try fixture.debugfs("bmap <8> \(index)").trimmingCharacters(in: .whitespacesAndNewlines)
        return try #require(Int(text)) * blockSize
    }

    static func patch(_ path: String, at offset: Int, _ bytes: [UInt8]) throws {
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: UInt64(offset))
        handle.write(Data(bytes))
        try handle.close()
    }

    /// Hostile logs: each damage gives the named error on a writable open, a warning on a read-only one (a
    /// damaged copy: an error when the copy is read), and no byte changes.
    @Test func damagedLogsAreTypedErrorsAndWriteNothing() throws {
        // (what, script, journal block, byte in it, new bytes, expected code)
        let cases: [(String, String, Int, Int, [UInt8], Ext4Error.Code)] = [
            ("superblock magic", "jo -c\njw -b 300 FILE\njc\n", 0, 0, [0xDE, 0xAD], .journal),
            ("superblock checksum", "jo -c\njw -b 300 FILE\njc\n", 0, 0x200, [0x55], .journal),
            ("superblock block size", "jo\njw -b 300 FILE\njc\n", 0, 12, [0, 0, 0x08, 0], .journal),
            ("log start past the journal", "jo\njw -b 300 FILE\njc\n", 0, 28, [0, 0x10, 0, 0], .journal),
            ("unknown incompatible feature", "jo\njw -b 300 FILE\njc\n", 0, 40, [0x80], .unsupportedFeature),
            ("copy checksum", "jo -c\njw -b 300 FILE\njc\n", 2, 100, [0x42], .journal),
            ("descriptor checksum", "jo -c\njw -b 300 FILE\njc\n", 1, 900, [0x42], .journal),
            ("block past the end", "jo\njw -b 300 FILE\njc\n", 1, 12, [0x7F, 0, 0, 0], .journal),
            ("revoke count", "jo\njw -r 300 /dev/null\njc\n", 1, 12, [0, 0, 0x7F, 0xFF], .journal),
            ("a log that loops", "jo\njw -b 300 FILE\njc\n", 0, 16, [0, 0, 0, 3], .journal),
        ]
        for (what, script, block, offset, bytes, code) in cases {
            let fixture = try Self.journaled(.all[3], script)
            let at = try Self.journalOffset(fixture, block: block, blockSize: 1024) + offset
            try Self.patch(fixture.image, at: at, bytes)
            let before = try fixture.sha256()
            do {
                _ = try fixture.open(writable: true)
                Issue.record("\(what): a writable open succeeded")
            } catch let error as Ext4Error {
                #expect(error.code == code, "\(what): \(error)")
                #expect(error.message.contains("journal"), "\(what): \(error.message)")
            }
            let fs = try fixture.open(writable: false)
            if what == "copy checksum" {
                // A reader's view checks a copy when it reads it (JournalCopyCheckTests): the open replays.
                #expect(fs.journalReplay?.transactions == 1, "\(what): \(fs.warnings)")
            } else {
                #expect(fs.warnings.contains { $0.message.contains("cannot be replayed") }, "\(what): \(fs.warnings)")
            }
            #expect(try fixture.sha256() == before, "\(what): no byte written")
        }
    }

    @Test func anExternalJournalIsRefusedByName() throws {
        let fixture = try Self.journaled(.all[3], "jo\njw -b 300 FILE\njc\n")
        try ExternalTool.check(["debugfs", "-w", "-R", "ssv journal_inum 0", fixture.image])
        try ExternalTool.check(["debugfs", "-w", "-R", "ssv journal_dev 0x0811", fixture.image])
        let before = try fixture.sha256()
        expectExt4Error(.unsupportedFeature) { _ = try fixture.open(writable: true) }
        do {
            _ = try fixture.open(writable: true)
        } catch let error as Ext4Error {
            #expect(error.message.contains("external journal device"))
        }
        #expect(try fixture.sha256() == before)
    }

    /// A log that runs past the journal's last block and goes on at its first log block: debugfs's log (four
    /// transactions from block 1) rotated so that it starts four blocks before the end, `s_start` moved with
    /// it. The replay still equals e2fsck's.
    @Test func aLogThatWrapsRoundTheJournalsEndReplaysAsE2fsckDoes() throws {
        let fixture = try Self.journaled(
            .all[3], "jo\njw -b @A FILE\njw -b @B,@C TWO\njw -b @C FILE\njw -b @A -r @B FILE\njc\n")
        let blockSize = 1024
        let first = try Self.journalOffset(fixture, block: 0, blockSize: blockSize)
        let length = try #require(try Self.header(fixture.image, "Total journal blocks"))
        #expect(
            try Self.journalOffset(fixture, block: length - 1, blockSize: blockSize) == first + (length - 1)
                * blockSize,
            "one extent")
        var image = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture.image)))
        let logBlocks = length - 1
        let shift = logBlocks - 4
        let log = Array(image[(first + blockSize)..<(first + length * blockSize)])
        for index in 0..<logBlocks {
            let target = first + (1 + (index + shift) % logBlocks) * blockSize
            image.replaceSubrange(
                target..<(target + blockSize), with: log[(index * blockSize)..<((index + 1) * blockSize)])
        }
        let start = UInt32(1 + shift)
        image.replaceSubrange(
            (first + 28)..<(first + 32),
            with: [
                UInt8(start >> 24), UInt8(truncatingIfNeeded: start >> 16), UInt8(truncatingIfNeeded: start >> 8),
                UInt8(truncatingIfNeeded: start),
            ])
        try Data(image).write(to: URL(fileURLWithPath: fixture.image))
        #expect(try Self.header(fixture.image, "Journal start") == Int(start))
        let summary = try Self.expectSameReplayAsE2fsck(fixture)
        #expect(summary?.transactions == 4 && summary?.revokedCopies == 1, "\(String(describing: summary))")
    }

    /// ext4's fast commits live in the last blocks of the journal. An empty fast-commit area replays like any
    /// journal (as e2fsck does); one whose first tag is a head for the next transaction is refused by name.
    @Test func aFastCommitAreaWithEntriesIsRefusedByName() throws {
        let fixture = try Ext4Fixture(
            FilesystemVariant(name: "fast_commit", fsType: "ext4", options: ["-b", "1024", "-O", "fast_commit"]),
            sizeMiB: 32)
        let one = fixture.directory.file("one.bin")
        try Data(repeating: 0x61, count: 1024).write(to: URL(fileURLWithPath: one))
        let commands = fixture.directory.file("cmds")
        try "jo\njw -b 30000 \(one)\njc\n".write(toFile: commands, atomically: true, encoding: .utf8)
        try ExternalTool.check(["debugfs", "-w", "-f", commands, fixture.image])
        let length = try #require(try Self.header(fixture.image, "Total journal blocks"))
        let fastCommits = try #require(try Self.header(fixture.image, "Fast commit length"))
        // The journal's own fast-commit feature (s_feature_incompat 0x20), as the kernel sets it at mount.
        let superblock = try Self.journalOffset(fixture, block: 0, blockSize: 1024)
        try Self.patch(fixture.image, at: superblock + 43, [0x20])
        let empty = fixture.directory.file("empty.img")
        try ExternalTool.check(["cp", "--sparse=always", fixture.image, empty])
        // The first fast-commit block: tag 9 (head), length 8, features 0, transaction 2 (the next one).
        let area = try Self.journalOffset(fixture, block: length - fastCommits + 1, blockSize: 1024)
        try Self.patch(fixture.image, at: area, [9, 0, 8, 0, 0, 0, 0, 0, 2, 0, 0, 0])
        let before = try fixture.sha256()
        do {
            _ = try fixture.open(writable: true)
            Issue.record("a fast-commit area with entries was accepted")
        } catch let error as Ext4Error {
            #expect(error.code == .unsupportedFeature && error.message.contains("fast-commit"), "\(error)")
            #expect(error.message.contains("may be later"))
        }
        #expect(try fixture.open(writable: false).warnings.contains { $0.message.contains("fast-commit") })
        #expect(try fixture.sha256() == before)

        let emptyFixture = Ext4Fixture(copying: fixture, image: empty)
        let summary = try Self.expectSameReplayAsE2fsck(emptyFixture)
        #expect(summary?.transactions == 1)
    }

    /// Transaction 2's commit block fails its checksum: the replay stops before it, as the kernel's does, and the
    /// filesystem is marked as having errors (what e2fsck does, byte for byte); writes are refused with why.
    @Test func aCorruptCommitEndsTheReplayAndRefusesWrites() throws {
        let fixture = try Self.journaled(.ext4, "jo -c\njw -b @A FILE\njw -b @B FILE\njc\n")
        try Self.patch(fixture.image, at: try Self.journalOffset(fixture, block: 6, blockSize: 1024) + 100, [0x42])
        do {
            _ = try fixture.open(writable: true)
            Issue.record("a writable open went past a corrupt commit")
        } catch let error as Ext4Error {
            #expect(error.code == .journal && error.message.contains("commit block fails its checksum"), "\(error)")
        }
        do {
            let fs = try fixture.open(writable: false)
            #expect(fs.journalReplay?.transactions == 1 && fs.journalReplay?.stoppedAtCorruptCommit == 2)
        }
        let summary = try Self.expectSameReplayAsE2fsck(fixture)
        #expect(summary?.stoppedAtCorruptCommit == 2)
        #expect(try ExternalTool.check(["dumpe2fs", "-h", fixture.image]).output.contains("with errors"))
    }
}
