import Ext4
import Foundation
import Testing
import _TestSupport

/// A read-only open reads only a log's descriptor, commit and revoke blocks (checksummed v3 logs) and checks a
/// copy against its tag when it reads the copy: against `e2fsck -E journal_only` on the same bytes, a log of
/// large transactions reads as e2fsck replays it, and a copy failing its checksum fails the reads of its block
/// (never its bytes) while every other block reads as e2fsck leaves it.
@Suite struct JournalCopyCheckTests {
    /// `debugfs -R "dump PATH"` of `image`: the file's bytes.
    static func dump(_ image: String, _ path: String, in directory: TemporaryDirectory) throws -> [UInt8] {
        let out = directory.file("dump-\(UUID().uuidString)")
        try ExternalTool.check(["debugfs", "-R", "dump \(path) \(out)", image])
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: out)))
    }

    /// The data blocks of `path` in `fixture`, in file order (`debugfs blocks`).
    static func blocks(_ fixture: Ext4Fixture, _ path: String) throws -> [Int] {
        try fixture.debugfs("blocks \(path)").split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap {
            Int($0)
        }
    }

    /// A fixture with `/big`, a file of `count` blocks of random bytes, and a log written by debugfs from
    /// `script(blocks of /big, block size)`.
    static func journaled(
        _ variant: FilesystemVariant, blocks count: Int, script: ([Int], Int, Ext4Fixture) throws -> String
    ) throws -> Ext4Fixture {
        let blockSize = variant.options.contains("1024") ? 1024 : 4096
        let fixture = try Ext4Fixture(variant) { tree in
            var generator = SeededGenerator(seed: 21)
            let bytes = (0..<(count * blockSize)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            try Data(bytes).write(to: URL(fileURLWithPath: tree + "/big"))
        }
        #expect(try JournalReplayTests.header(fixture.image, "Block size") == blockSize)
        let homes = try Self.blocks(fixture, "/big")
        try #require(homes.count == count)
        let commands = fixture.directory.file("journal.cmds")
        try script(homes, blockSize, fixture).write(toFile: commands, atomically: true, encoding: .utf8)
        try ExternalTool.check(["debugfs", "-w", "-f", commands, fixture.image])
        #expect(try ExternalTool.check(["dumpe2fs", "-h", fixture.image]).output.contains("journal_checksum_v3"))
        return fixture
    }

    /// A file of `blocks` blocks of random bytes in `directory`.
    static func randomFile(
        _ name: String, blocks: Int, blockSize: Int, seed: UInt64, in directory: TemporaryDirectory
    )
        throws -> String
    {
        var generator = SeededGenerator(seed: seed)
        let path = directory.file(name)
        try Data((0..<(blocks * blockSize)).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(
            to: URL(fileURLWithPath: path))
        return path
    }

    /// Eight transactions of 60 copies each (the walk steps over them: its windows shrink to a few blocks)
    /// then eight of one copy (they grow back), over a 300-block file: a read-only open reads the file as
    /// e2fsck replays it, and the image is unchanged.
    @Test(arguments: [FilesystemVariant.all[3], FilesystemVariant.all[4]])
    func aReaderReadsLargeTransactionsAsE2fsckReplaysThem(variant: FilesystemVariant) throws {
        let fixture = try Self.journaled(variant, blocks: 300) { homes, blockSize, fixture in
            let directory = fixture.directory
            var script = ""
            for transaction in 0..<8 {
                let copies = try Self.randomFile(
                    "t\(transaction).bin", blocks: 60, blockSize: blockSize, seed: UInt64(transaction),
                    in: directory)
                let first = transaction * 29 % 240
                let named = homes[first..<(first + 60)].map(String.init).joined(separator: ",")
                script += "jo -c\njw -b \(named) \(copies)\njc\n"
            }
            for transaction in 8..<16 {
                let copy = try Self.randomFile(
                    "t\(transaction).bin", blocks: 1, blockSize: blockSize, seed: UInt64(transaction), in: directory)
                script += "jo -c\njw -b \(homes[transaction * 7]) \(copy)\njc\n"
            }
            return script
        }
        let reference = fixture.directory.file("e2fsck.img")
        try ExternalTool.check(["cp", "--sparse=always", fixture.image, reference])
        _ = try ExternalTool.run(["e2fsck", "-E", "journal_only", "-y", reference])
        let expected = try Self.dump(reference, "/big", in: fixture.directory)
        #expect(expected != (try Self.dump(fixture.image, "/big", in: fixture.directory)), "the log changes /big")
        let before = try fixture.sha256()
        do {
            let fs = try fixture.open(writable: false)
            #expect(fs.journalReplay?.transactions == 16)
            #expect(try fs.readFile("/big") == expected)
        }
        #expect(try fixture.sha256() == before)
    }

    /// Two transactions, the first rewriting /big's block, the second /etc/hostname's; the first copy's bytes
    /// damaged. e2fsck replays the second copy and leaves /big as it was; a read-only open reads /etc/hostname
    /// as e2fsck leaves it and refuses /big (an error naming the copy: neither the copy's bytes nor the stale
    /// ones); a writable open refuses the journal and writes nothing.
    /// In a v3 log and in the same log rewritten as v2 (16-bit tag checksums).
    @Test(arguments: [false, true])
    func aCopyFailingItsChecksumFailsOnlyTheReadsOfItsBlock(v2: Bool) throws {
        let fixture = try Self.journaled(.all[3], blocks: 1) { homes, blockSize, fixture in
            let one = try Self.randomFile("one.bin", blocks: 1, blockSize: blockSize, seed: 1, in: fixture.directory)
            let hostname = fixture.directory.file("hostname.bin")
            try Data(Array("replayed\n".utf8) + [UInt8](repeating: 0, count: blockSize - 9)).write(
                to: URL(fileURLWithPath: hostname))
            let block = try #require(Self.blocks(fixture, "/etc/hostname").first)
            return "jo -c\njw -b \(homes[0]) \(one)\njc\njo -c\njw -b \(block) \(hostname)\njc\n"
        }
        if v2 { try JournalChecksumV2Tests.rewriteAsChecksumV2(fixture) }
        // Journal block 1: the descriptor, 2: the copy of /big's block, 3: the commit.
        let copy = try JournalReplayTests.journalOffset(fixture, block: 2, blockSize: 1024)
        try JournalReplayTests.patch(fixture.image, at: copy + 100, [0x42, 0x24])
        let big = try Self.dump(fixture.image, "/big", in: fixture.directory)

        let reference = Ext4Fixture(copying: fixture, image: fixture.directory.file("e2fsck.img"))
        try ExternalTool.check(["cp", "--sparse=always", fixture.image, reference.image])
        let e2fsck = try ExternalTool.run(["e2fsck", "-E", "journal_only", "-y", reference.image])
        #expect(e2fsck.output.contains("checksum"), "e2fsck reports the copy: \(e2fsck.output)")
        #expect(try Self.dump(reference.image, "/big", in: fixture.directory) == big, "e2fsck leaves /big as it was")
        #expect(try reference.debugfsCat("/etc/hostname") == Array("replayed\n".utf8), "e2fsck replays the other")

        let before = try fixture.sha256()
        do {
            let fs = try fixture.open(writable: false)
            #expect(fs.journalReplay?.transactions == 2)
            #expect(try fs.readFile("/etc/hostname") == Array("replayed\n".utf8))
            let read = Result { () throws(Ext4Error) in try fs.readFile("/big") }
            switch read {
            case .success(let bytes): Issue.record("a copy failing its checksum was read: \(bytes.prefix(8))")
            case .failure(let error): #expect("\(error)".contains("checksum does not match"), "\(error)")
            }
        }
        do {
            _ = try fixture.open(writable: true)
            Issue.record("a writable open replayed a copy failing its checksum")
        } catch let error as Ext4Error {
            #expect(error.code == .journal && error.message.contains("checksum does not match"), "\(error)")
        }
        #expect(try fixture.sha256() == before)
    }
}
