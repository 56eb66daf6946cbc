import BlockIO
import Foundation
import Testing
import _TestSupport

/// A redo-log location beside a real image whose first folder fsync fails: the commit stops right after the
/// log is sealed and durable, before the image is touched, as if the machine had stopped there.
final class StopAfterSeal: RedoLogLocation {
    let host: HostRedoLogLocation
    var path: String { host.path }
    init(imagePath: String) { host = HostRedoLogLocation(imagePath: imagePath) }
    func openExisting() throws(BlockIOError) -> (any ByteStore)? { try host.openExisting() }
    func create() throws(BlockIOError) -> any ByteStore { try host.create() }
    func remove() throws(BlockIOError) { try host.remove() }
    func syncFolder() throws(BlockIOError) { throw BlockIOError(.io, "stopped after the seal") }
}

@Suite struct ImageLockTests {
    /// An ext4 image made by mke2fs, as raw.
    func makeImage(_ dir: TemporaryDirectory) throws -> String {
        let path = dir.file("disk.img")
        try Fixtures.makeFilesystem(at: path, sizeMiB: 4)
        return path
    }

    @Test func writesReachTheImageOnlyAtCommit() throws {
        let dir = try TemporaryDirectory()
        let path = try makeImage(dir)
        let before = try FileDigest.sha256(path)
        let image = try DiskImage.open(path: path, writable: true)
        try image.device.write(at: 1 << 20, bytes: [UInt8](repeating: 0xA5, count: 10_000))
        try image.device.flush()
        #expect(try FileDigest.sha256(path) == before, "flush is not commit")
        #expect(image.hasUncommittedChanges)
        try image.commit()
        #expect(try FileDigest.sha256(path) != before)
        #expect(!FileManager.default.fileExists(atPath: path + HostRedoLogLocation.suffix))
        let dd = try ExternalTool.check(["dd", "if=\(path)", "bs=1", "skip=\(1 << 20)", "count=4", "status=none"])
        #expect(dd.stdout == Data([0xA5, 0xA5, 0xA5, 0xA5]))
    }

    @Test func aSecondWriterAndAReaderAreRefusedWhileAWriterHoldsTheImage() throws {
        let dir = try TemporaryDirectory()
        let path = try makeImage(dir)
        let journalPath = path + HostRedoLogLocation.suffix
        let writer = try EditJournal(over: HostFile(path: path, access: .readWrite), memoryLimit: 4096)
        // Spill into the journal, so there is a log on disk the refused opens must not touch.
        for page in 0..<8 { try writer.write(at: UInt64(page) * 4096, bytes: [UInt8](repeating: 7, count: 4096)) }
        #expect(FileManager.default.fileExists(atPath: journalPath))
        let journalBefore = try FileDigest.sha256(journalPath)
        for writable in [true, false] {
            do {
                _ = try DiskImage.open(path: path, writable: writable)
                Issue.record("open (writable: \(writable)) succeeded while a writer holds the image")
            } catch {
                #expect(error.code == .inUse)
                #expect(error.description.contains("image is in use"))
            }
        }
        #expect(try FileDigest.sha256(journalPath) == journalBefore, "a refused open never touches the journal")
        try writer.commit()
        #expect(!FileManager.default.fileExists(atPath: journalPath))
    }

    @Test func aWriterIsRefusedWhileAReaderHoldsTheImage() throws {
        let dir = try TemporaryDirectory()
        let path = try makeImage(dir)
        let reader = try DiskImage.open(path: path)
        let second = try DiskImage.open(path: path)  // readers share
        do {
            _ = try DiskImage.open(path: path, writable: true)
            Issue.record("a writer got in beside readers")
        } catch {
            #expect(error.code == .inUse)
            #expect(error.description.contains("image is in use"))
        }
        withExtendedLifetime((reader, second)) {}
    }

    /// A read-only open never changes a byte, even with a committed-but-unapplied journal pending: it reads
    /// through the journal. The next writable open finishes the commit; e2fsck agrees with the result.
    @Test func readOnlyOpensNeverWriteEvenWithAPendingJournal() throws {
        let dir = try TemporaryDirectory()
        let path = try makeImage(dir)
        let journalPath = path + HostRedoLogLocation.suffix
        let original = try FileDigest.sha256(path)
        // Make the edit with debugfs on a copy, then replay the copy's bytes through a session that stops
        // after its seal: the journal then holds a real, fsck-clean filesystem edit.
        let edited = dir.file("edited.img")
        try FileManager.default.copyItem(atPath: path, toPath: edited)
        let payload = dir.file("payload")
        try Data("hello from the journal\n".utf8).write(to: URL(fileURLWithPath: payload))
        try ExternalTool.check(["debugfs", "-w", "-R", "write \(payload) hello.txt", edited])
        let editedBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: edited)))
        let current = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        do {
            let file = try HostFile(path: path, access: .readWrite)
            let journal = try EditJournal(over: file, log: StopAfterSeal(imagePath: path), identity: file.identity())
            for page in stride(from: 0, to: editedBytes.count, by: 4096)
            where editedBytes[page..<(page + 4096)] != current[page..<(page + 4096)] {
                try journal.write(at: UInt64(page), bytes: Array(editedBytes[page..<(page + 4096)]))
            }
            #expect(throws: BlockIOError.self) { try journal.commit() }
        }
        #expect(try FileDigest.sha256(path) == original, "the stopped commit did not touch the image")
        #expect(FileManager.default.fileExists(atPath: journalPath))
        let journalDigest = try FileDigest.sha256(journalPath)

        do {
            let image = try DiskImage.open(path: path)
            guard case .readThrough = image.journalRecovery else {
                Issue.record("expected a pending journal, got \(image.journalRecovery)")
                return
            }
            #expect(try image.device.read(at: 0, count: Int(image.device.size)) == editedBytes)
        }
        #expect(try FileDigest.sha256(path) == original, "read-only open changed the image")
        #expect(try FileDigest.sha256(journalPath) == journalDigest, "read-only open changed the journal")

        do {
            let image = try DiskImage.open(path: path, writable: true)
            guard case .replayed = image.journalRecovery else {
                Issue.record("expected a replay, got \(image.journalRecovery)")
                return
            }
        }
        #expect(try FileDigest.sha256(path) == FileDigest.sha256(edited))
        #expect(!FileManager.default.fileExists(atPath: journalPath))
        let fsck = try Fixtures.fsck(path)
        #expect(fsck.status == 0, "\(fsck.output)")
        #expect(try Fixtures.debugfs(path, "cat hello.txt") == "hello from the journal\n")
    }

    @Test func aTornJournalIsIgnoredReadOnlyAndDeletedOnAWritableOpen() throws {
        let dir = try TemporaryDirectory()
        let path = try makeImage(dir)
        let journalPath = path + HostRedoLogLocation.suffix
        let original = try FileDigest.sha256(path)
        do {
            let writer = try EditJournal(over: HostFile(path: path, access: .readWrite), memoryLimit: 4096)
            for page in 0..<8 { try writer.write(at: UInt64(page) * 4096, bytes: [UInt8](repeating: 1, count: 4096)) }
            // Keep the unsealed log as a killed process would leave it.
            try FileManager.default.copyItem(atPath: journalPath, toPath: journalPath + ".keep")
        }
        try FileManager.default.moveItem(atPath: journalPath + ".keep", toPath: journalPath)
        let journalDigest = try FileDigest.sha256(journalPath)
        do {
            let image = try DiskImage.open(path: path)
            guard case .ignored = image.journalRecovery else {
                Issue.record("expected an ignored torn journal, got \(image.journalRecovery)")
                return
            }
        }
        #expect(try FileDigest.sha256(journalPath) == journalDigest)
        do {
            let image = try DiskImage.open(path: path, writable: true)
            guard case .discarded = image.journalRecovery else {
                Issue.record("expected a discarded torn journal, got \(image.journalRecovery)")
                return
            }
        }
        #expect(!FileManager.default.fileExists(atPath: journalPath))
        #expect(try FileDigest.sha256(path) == original)
    }

    @Test func aJournalThatIsNotARegularFileIsRefused() throws {
        let dir = try TemporaryDirectory()
        let path = try makeImage(dir)
        let secret = dir.file("secret")
        try Data("not yours".utf8).write(to: URL(fileURLWithPath: secret))
        try FileManager.default.createSymbolicLink(
            atPath: path + HostRedoLogLocation.suffix, withDestinationPath: secret)
        for writable in [false, true] {
            #expect { _ = try DiskImage.open(path: path, writable: writable) } throws: {
                ($0 as? BlockIOError)?.code == .journal
            }
        }
        #expect(try String(contentsOfFile: secret, encoding: .utf8) == "not yours")
    }
}
