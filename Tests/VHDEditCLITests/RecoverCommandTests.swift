import Foundation
import Testing
import _TestSupport

/// `vhdedit recover`: finishes a sealed vhdedit edit journal, discards a torn one, replays the filesystem's
/// journal, and says which; nothing else is written.
@Suite struct RecoverCommandTests {
    static func image(in directory: TemporaryDirectory) throws -> String {
        let tree = directory.file("tree")
        try Fixtures.writeTree(["/etc/hostname": "vm\n"], under: tree)
        let image = directory.file("fs.img")
        try Fixtures.makeFilesystem(at: image, sizeMiB: 16, tree: tree)
        return image
    }

    func vhdedit(_ arguments: [String]) throws -> ExternalTool.Result {
        try ExternalTool.run([CLI.binary] + arguments)
    }

    @Test func aSealedEditJournalIsFinishedAndATornOneDiscarded() throws {
        let directory = try TemporaryDirectory(prefix: "recover")
        let image = try Self.image(in: directory)
        let local = directory.file("motd")
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: local))
        // Killed at its third fsync (the image's, after the log and its folder): the redo log is sealed.
        let killed = try ExternalTool.run(
            [
                "strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=fsync", "-e", "inject=fsync:signal=KILL:when=3",
                CLI.binary, "put", image, local, "/etc/motd",
            ])
        guard killed.status != 0, FileManager.default.fileExists(atPath: image + ".vhdedit-journal") else {
            print("RecoverCommandTests: strace cannot stop vhdedit here (status \(killed.status)); sealed case skipped")
            return
        }
        let finished = try vhdedit(["recover", image, "--json"])
        #expect(finished.status == 0, "\(finished.stderr)")
        #expect(finished.output.contains("\"editJournal\" : \"finished\""), "\(finished.output)")
        #expect(!FileManager.default.fileExists(atPath: image + ".vhdedit-journal"))
        #expect(try Fixtures.debugfs(image, "cat /etc/motd") == "hello\n")
        #expect(try Fixtures.fsck(image).status == 0)

        // A torn log (no seal): deleted, the image untouched.
        try Data("VHDEDIT-JOURNAL garbage".utf8).write(to: URL(fileURLWithPath: image + ".vhdedit-journal"))
        let before = try FileDigest.sha256(image)
        let discarded = try vhdedit(["recover", image])
        #expect(discarded.status == 0, "\(discarded.stderr)")
        #expect(discarded.output.contains("deleted an uncommitted edit journal"), "\(discarded.output)")
        #expect(discarded.output.contains("the journal does not need recovery; nothing written"))
        #expect(!FileManager.default.fileExists(atPath: image + ".vhdedit-journal"))
        #expect(try FileDigest.sha256(image) == before)
    }

    @Test func aHostileFilesystemJournalFailsAndWritesNothing() throws {
        let directory = try TemporaryDirectory(prefix: "recover-hostile")
        let image = try Self.image(in: directory)
        let script = directory.file("cmds")
        let block = directory.file("block.bin")
        try Data(repeating: 7, count: 1024).write(to: URL(fileURLWithPath: block))
        try "jo\njw -b 12000 \(block)\njc\n".write(toFile: script, atomically: true, encoding: .utf8)
        try ExternalTool.check(["debugfs", "-w", "-f", script, image])
        let journal = try #require(
            Int(try Fixtures.debugfs(image, "bmap <8> 0").trimmingCharacters(in: .whitespacesAndNewlines)))
        let handle = try #require(FileHandle(forUpdatingAtPath: image))
        try handle.seek(toOffset: UInt64(journal * 1024))
        handle.write(Data([0xBA, 0xD0]))  // the journal superblock's magic
        try handle.close()
        let before = try FileDigest.sha256(image)
        let recover = try vhdedit(["recover", image])
        #expect(recover.status == 1)
        #expect(
            recover.stderr.contains("journal superblock") && recover.stderr.contains("h_magic"), "\(recover.stderr)")
        #expect(try FileDigest.sha256(image) == before)
        let cat = try vhdedit(["cat", image, "/etc/hostname"])
        #expect(cat.status == 0 && cat.output == "vm\n")
        #expect(cat.stderr.contains("cannot be replayed"), "\(cat.stderr)")
        #expect(try FileDigest.sha256(image) == before)
    }

    /// A journal copy of /etc/hostname's block whose bytes fail its tag's checksum (CRC-32C v3): `cat` of that
    /// file fails naming the copy (neither the copy's bytes nor the stale ones on standard output), `cat` of
    /// another file reads as e2fsck's replay leaves it, `recover` refuses, and nothing is written.
    @Test func aDamagedCopyFailsTheCatThatReadsIt() throws {
        let directory = try TemporaryDirectory(prefix: "recover-copy")
        let tree = directory.file("tree")
        try Fixtures.writeTree(["/etc/hostname": "vm\n", "/etc/motd": "old\n"], under: tree)
        let image = directory.file("fs.img")
        try Fixtures.makeFilesystem(at: image, sizeMiB: 16, tree: tree, extraOptions: ["-b", "1024"])
        func block(_ path: String) throws -> Int {
            try #require(
                Int(try Fixtures.debugfs(image, "bmap \(path) 0").trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        let host = directory.file("host.bin")
        try Data(Array("new\n".utf8) + [UInt8](repeating: 0, count: 1020)).write(to: URL(fileURLWithPath: host))
        let motd = directory.file("motd.bin")
        try Data(Array("new\n".utf8) + [UInt8](repeating: 0, count: 1020)).write(to: URL(fileURLWithPath: motd))
        let script = directory.file("cmds")
        try
            "jo -c\njw -b \(try block("/etc/hostname")) \(host)\njc\njo -c\njw -b \(try block("/etc/motd")) \(motd)\njc\n"
            .write(toFile: script, atomically: true, encoding: .utf8)
        try ExternalTool.check(["debugfs", "-w", "-f", script, image])
        // Journal block 2: the copy of /etc/hostname's block (after transaction 1's descriptor).
        let journal = try block("<8>")
        let handle = try #require(FileHandle(forUpdatingAtPath: image))
        try handle.seek(toOffset: UInt64((journal + 2) * 1024 + 100))
        handle.write(Data([0x42]))
        try handle.close()
        let reference = directory.file("e2fsck.img")
        try ExternalTool.check(["cp", "--sparse=always", image, reference])
        _ = try ExternalTool.run(["e2fsck", "-E", "journal_only", "-y", reference])
        #expect(try Fixtures.debugfs(reference, "cat /etc/hostname") == "vm\n", "e2fsck keeps the home block")
        #expect(try Fixtures.debugfs(reference, "cat /etc/motd") == "new\n", "e2fsck replays the other copy")

        let before = try FileDigest.sha256(image)
        let hostname = try vhdedit(["cat", image, "/etc/hostname"])
        #expect(hostname.status != 0 && hostname.output.isEmpty, "\(hostname.status) \(hostname.output)")
        #expect(hostname.stderr.contains("checksum does not match"), "\(hostname.stderr)")
        let other = try vhdedit(["cat", image, "/etc/motd"])
        #expect(other.status == 0 && other.output == "new\n", "\(other.stderr)")
        let recover = try vhdedit(["recover", image])
        #expect(recover.status == 1 && recover.stderr.contains("checksum does not match"), "\(recover.stderr)")
        #expect(try FileDigest.sha256(image) == before)
    }
}
