import BlockIO
import Ext4
import Foundation
import Testing
import _TestSupport

/// Images whose journal needs recovery (taken from a running VM): reads see the journal replayed in memory and
/// change no byte; writes replay it in their own commit. Recorded errors, orphans and MMP still refuse writes.
@Suite struct JournalTests {
    /// An ext4 image with a committed, unreplayed journal transaction (debugfs jo / jw / jc, as §E describes).
    static func needsRecoveryImage() throws -> Ext4Fixture {
        let fixture = try Ext4Fixture()
        let block = try fixture.debugfs("bmap /etc 0").trimmingCharacters(in: .whitespacesAndNewlines)
        let copy = fixture.directory.file("etc-block.bin")
        try ExternalTool.check([
            "dd", "if=\(fixture.image)", "of=\(copy)", "bs=1024", "skip=\(block)", "count=1", "status=none",
        ])
        let script = fixture.directory.file("journal.cmds")
        try "jo\njw -b \(block) \(copy)\njc\n".write(toFile: script, atomically: true, encoding: .utf8)
        try ExternalTool.check(["debugfs", "-w", "-f", script, fixture.image])
        let header = try ExternalTool.check(["dumpe2fs", "-h", fixture.image]).output
        #expect(header.contains("needs_recovery"), "the fixture must need recovery")
        return fixture
    }

    @Test func readsReplayInMemoryAndWritesReplayInTheirCommit() throws {
        let fixture = try Self.needsRecoveryImage()
        let before = try fixture.sha256()
        do {
            let fs = try fixture.open(writable: false)
            #expect(fs.warnings.map(\.code) == [.needsRecovery])
            #expect(fs.warnings.first?.message.contains("replayed in memory (1 transaction, 1 block)") == true)
            #expect(fs.journalReplay?.isCommitted == false)
            #expect(try fs.readFile("/etc/passwd") == Array(sampleTree["/etc/passwd"]!.utf8))
            expectExt4Error(.readOnly) { try fs.writeFile("/etc/motd", contents: [1]) }
            try fs.close()
        }
        #expect(try fixture.sha256() == before, "byte-identical after a read-only session")
        try fixture.edit { fs in
            #expect(fs.journalReplay?.transactions == 1 && fs.journalReplay?.isCommitted == true)
            try fs.writeFile("/etc/motd", contents: Array("after replay\n".utf8))
        }
        try fixture.expectClean()
        #expect(try fixture.debugfsCat("/etc/motd") == Array("after replay\n".utf8))
        let header = try ExternalTool.check(["dumpe2fs", "-h", fixture.image]).output
        #expect(!header.contains("needs_recovery"))
        #expect(header.contains("Journal start:            0"))
    }

    @Test func recordedErrorsRefuseWritesAndAnOrphanFileIsSettled() throws {
        let errors = try Ext4Fixture()
        try ExternalTool.check(["debugfs", "-w", "-R", "ssv state 3", errors.image])  // valid + errors
        let errorsBefore = try errors.sha256()
        expectExt4Error(.corrupt) { _ = try errors.open(writable: true) }
        #expect(try errors.open(writable: false).warnings.map(\.code) == [.corrupt])
        #expect(try errors.sha256() == errorsBefore)

        // An orphan file flagged as holding entries (orphan_present) but empty: a writable open settles it.
        let orphanFile = try Ext4Fixture(
            FilesystemVariant(name: "orphan_file", fsType: "ext4", options: ["-O", "orphan_file"]))
        try ExternalTool.check(["debugfs", "-w", "-R", "feature orphan_present", orphanFile.image])
        #expect(try orphanFile.open(writable: false).warnings.first?.message.contains("orphan") == true)
        try orphanFile.edit { fs in #expect(fs.orphans == OrphanCleanup(released: 0, truncated: 0)) }
        try orphanFile.expectClean()
        #expect(!(try ExternalTool.check(["dumpe2fs", "-h", orphanFile.image]).output.contains("orphan_present")))

        let mmp = try Ext4Fixture()
        try ExternalTool.check(["tune2fs", "-O", "mmp", mmp.image])
        let mmpBefore = try mmp.sha256()
        expectExt4Error(.unsupportedFeature) { _ = try mmp.open(writable: true) }
        #expect(try mmp.open(writable: false).readFile("/etc/hostname") == Array("guest-vm\n".utf8))
        #expect(try mmp.sha256() == mmpBefore)
    }

    /// User and group quota usage is recounted at every commit, so writes leave `e2fsck -fn` clean (it reported
    /// "Usage inconsistent" and exited 4 before), new ids and project quota included.
    @Test func quotaUsageStaysConsistentAcrossWrites() throws {
        // tune2fs counts the usage (mke2fs -d with -O quota leaves it wrong).
        let fixture = try Ext4Fixture()
        try ExternalTool.check(["tune2fs", "-O", "quota", fixture.image])
        try fixture.expectClean()
        try fixture.edit { fs in
            try fs.writeFile("/etc/motd", contents: [UInt8](repeating: 0x41, count: 70_000))
            try fs.makeDirectory("/srv/data", parents: true)
            try fs.writeFile("/srv/data/small", contents: Array("x\n".utf8))
            try fs.remove("/etc/ssh/moduli")
            try fs.writeFile("/etc/hostname", contents: [UInt8](repeating: 0x42, count: 9000))
        }
        let fsck = try Fixtures.fsck(fixture.image)
        #expect(
            fsck.status == 0 && !fsck.output.contains("QUOTA") && !fsck.stderr.contains("QUOTA"),
            "\(fsck.output)\(fsck.stderr)")
        try fixture.edit { fs in try fs.removeDirectory("/srv", recursive: true) }
        try fixture.expectClean()

        // Ids the quota files do not know yet get entries, as the kernel adds them (more than one data block's
        // fourteen, so new tree and data blocks are appended to the files).
        try fixture.edit { fs in
            for index in 0..<20 {
                try fs.writeFile(try GuestPath("/etc/owned-\(index)"), contents: Array("\(index)\n".utf8))
                try fs.chown(
                    try GuestPath("/etc/owned-\(index)"), uid: 4242 + UInt32(index) * 300, gid: 1000 + UInt32(index))
            }
        }
        let users = try fixture.debugfs("lq user").split(separator: "\n").map { $0.split(separator: " ") }
        #expect(users.contains { $0.first == "4242" && $0.count > 4 && $0[4] == "1" }, "debugfs lq: \(users)")
        #expect(users.count >= 22, "root, 20 new users, the heading")
        let owned = try Fixtures.fsck(fixture.image)
        #expect(
            owned.status == 0 && !owned.output.contains("QUOTA") && !owned.stderr.contains("QUOTA"),
            "\(owned.output)\(owned.stderr)")

        // A quota tree pointing outside its file: the commit fails, nothing is written.
        // (1 KiB filesystem blocks: the quota file's block 1 is its root tree block.)
        let rootBlock = try #require(
            Int(try fixture.debugfs("bmap <3> 1").trimmingCharacters(in: .whitespacesAndNewlines)))
        let handle = try #require(FileHandle(forUpdatingAtPath: fixture.image))
        try handle.seek(toOffset: UInt64(rootBlock * 1024))  // slot 0: the path of id 0
        handle.write(Data([0xFF, 0xFF, 0, 0]))
        try handle.close()
        let damaged = try fixture.sha256()
        do {
            try fixture.edit { fs in try fs.writeFile("/etc/motd", contents: Array("x\n".utf8)) }
            Issue.record("a damaged quota file was written over")
        } catch let error as Ext4Error {
            #expect(error.code == .corrupt && error.message.contains("user quota file"), "\(error)")
        }
        #expect(try fixture.sha256() == damaged)

        // Project quota (the project feature): every inode charges its project, 0 unless set.
        let project = try Ext4Fixture(FilesystemVariant(name: "project", fsType: "ext4", options: ["-I", "256"]))
        try ExternalTool.check(["tune2fs", "-O", "quota,project", project.image])
        try project.expectClean()
        try project.edit { fs in
            try fs.writeFile("/etc/motd", contents: [UInt8](repeating: 0x41, count: 30_000))
            try fs.remove("/etc/hostname")
        }
        let projectCheck = try Fixtures.fsck(project.image)
        #expect(
            projectCheck.status == 0 && !projectCheck.output.contains("QUOTA")
                && !projectCheck.stderr.contains("QUOTA"),
            "\(projectCheck.output)\(projectCheck.stderr)")
        #expect(try project.debugfs("lq project").contains("         0 "))
    }

    @Test func unknownIncompatibleFeatureIsAClearError() throws {
        let fixture = try Ext4Fixture()
        // Set an incompat bit libext2fs does not know (bit 31) directly in the superblock (offset 1024 + 0x60).
        let image = try openDisk(fixture.image, writable: true)
        var word = try image.device.read(at: 1024 + 0x60, count: 4)
        word[3] |= 0x80
        try image.device.write(at: 1024 + 0x60, bytes: word)
        try image.commit()
        do {
            _ = try Ext4FileSystem(device: image.device, writable: false)
            Issue.record("an unknown incompat feature was accepted")
        } catch {
            #expect(error.code == .unsupportedFeature || error.code == .corrupt, "\(error)")
        }
    }
}
