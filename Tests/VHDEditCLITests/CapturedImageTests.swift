import Foundation
import Testing
import _TestSupport

/// Images captured the way image farms get them: an ext3/ext4 loop-mounted, files created, renamed, deleted and
/// written, one of them fsync'ed (its transaction committed to the journal, not yet written home), the backing
/// file copied while still mounted. Oracle: `e2fsck -E journal_only -y` on the same copy, `e2fsck -fn`, and the
/// bytes the kernel wrote. Needs root and loop devices; where mounting is refused the test says so and stops
/// (the debugfs-written journals of `JournalReplayTests` cover the replay everywhere).
@Suite(.serialized) struct CapturedImageTests {
    struct Variant: Sendable, CustomStringConvertible {
        var name: String
        var mkfs: [String]
        var mountOptions: String
        /// Whether data reaches the disk before the commit of its metadata (ordered or journalled data): then
        /// every written file reads back, not only the fsync'ed one.
        var dataBeforeCommit = true
        var description: String { name }
    }

    static let variants: [Variant] = [
        Variant(name: "ext4-4k-metadata_csum-64bit", mkfs: ["mkfs.ext4", "-b", "4096"], mountOptions: "loop"),
        Variant(
            name: "ext4-1k-nocsum-32bit", mkfs: ["mkfs.ext4", "-b", "1024", "-O", "^metadata_csum,^64bit"],
            mountOptions: "loop"),
        Variant(name: "ext3-1k-data=journal", mkfs: ["mkfs.ext3", "-b", "1024"], mountOptions: "loop,data=journal"),
        Variant(
            name: "ext4-1k-journal_async_commit", mkfs: ["mkfs.ext4", "-b", "1024"],
            mountOptions: "loop,data=writeback,journal_async_commit", dataBeforeCommit: false),
        // Quota files kept by the kernel while mounted; the writing command recounts them.
        Variant(name: "ext4-4k-quota", mkfs: ["mkfs.ext4", "-b", "4096", "-O", "quota"], mountOptions: "loop"),
    ]

    /// A snapshot of a mounted filesystem and the bytes the kernel was given for `/new.bin`.
    struct Capture {
        var directory: TemporaryDirectory
        var snapshot: String
        var written: [UInt8]
    }

    static func capture(_ variant: Variant) throws -> Capture? {
        let directory = try TemporaryDirectory(prefix: "captured")
        let image = directory.file("fs.img")
        let tree = directory.file("tree")
        try Fixtures.writeTree(
            [
                "/etc/hostname": "captured-vm\n", "/etc/hosts": "127.0.0.1 localhost\n",
                "/etc/ssh/ssh_host_rsa_key": "KEY\n", "/etc/ssh/ssh_host_rsa_key.pub": "PUB\n",
                "/var/lib/dhclient/dhclient-eth0.leases": "lease {}\n", "/root/.bash_history": "ls\n",
            ],
            under: tree)
        try ExternalTool.check(variant.mkfs + ["-q", "-F", "-d", tree, image, "32M"])
        let mountPoint = directory.file("mnt")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mount = try ExternalTool.run(["mount", "-o", variant.mountOptions, image, mountPoint])
        guard mount.status == 0 else {
            print(
                "CapturedImageTests: cannot loop-mount (\(mount.stderr.trimmingCharacters(in: .whitespacesAndNewlines))); skipped"
            )
            return nil
        }
        defer { _ = try? ExternalTool.run(["umount", mountPoint]) }
        var generator = SeededGenerator(seed: 42)
        let written = (0..<20_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try Data(written).write(to: URL(fileURLWithPath: mountPoint + "/new.bin"))
        try FileManager.default.createDirectory(atPath: mountPoint + "/dir", withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: mountPoint + "/etc/hosts", toPath: mountPoint + "/dir/hosts")
        try FileManager.default.removeItem(atPath: mountPoint + "/etc/ssh/ssh_host_rsa_key.pub")
        try Data("changed-vm\n".utf8).write(to: URL(fileURLWithPath: mountPoint + "/etc/hostname"))
        try ExternalTool.check(["sync", mountPoint + "/new.bin"])  // fsync: committed to the journal only
        let snapshot = directory.file("snapshot.img")
        try ExternalTool.check(["cp", "--sparse=always", image, snapshot])
        return Capture(directory: directory, snapshot: snapshot, written: written)
    }

    /// Loop-mounts `image` on a folder of `directory` and returns its path; nil, saying so, where mounting is
    /// refused (no root or no loop devices).
    static func loopMount(_ image: String, in directory: TemporaryDirectory) throws -> String? {
        let mountPoint = directory.file("mnt")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mount = try ExternalTool.run(["mount", "-o", "loop", image, mountPoint])
        guard mount.status == 0 else {
            print("CapturedImageTests: cannot loop-mount (\(mount.stderr)); skipped")
            return nil
        }
        return mountPoint
    }

    /// The image's bytes with the superblock fields recovery tools stamp differently (write time, lifetime
    /// writes, the checksum over them) zeroed.
    static func comparableBytes(_ path: String) throws -> [UInt8] {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        for (offset, length) in [(0x30, 4), (0x178, 8), (0x274, 1), (0x3FC, 4)] {
            for index in 0..<length { bytes[1024 + offset + index] = 0 }
        }
        return bytes
    }

    func vhdedit(_ arguments: [String]) throws -> ExternalTool.Result {
        try ExternalTool.run([CLI.binary] + arguments)
    }

    @Test(arguments: variants)
    func aCapturedImageReplaysAsTheKernelWouldMountIt(variant: Variant) throws {
        guard let capture = try Self.capture(variant) else { return }
        let snapshot = capture.snapshot
        let header = try ExternalTool.check(["dumpe2fs", "-h", snapshot]).output
        #expect(header.contains("needs_recovery"))
        if variant.mountOptions.contains("journal_async_commit") { #expect(header.contains("journal_async_commit")) }
        let before = try FileDigest.sha256(snapshot)

        // Read-only commands see the replayed filesystem and change no byte.
        let cat = try vhdedit(["cat", snapshot, "/new.bin"])
        #expect(cat.status == 0, "\(cat.stderr)")
        #expect([UInt8](cat.stdout) == capture.written, "the kernel's bytes")
        #expect(cat.stderr.contains("journal was replayed in memory ("), "\(cat.stderr)")
        if variant.dataBeforeCommit {
            #expect(try vhdedit(["cat", snapshot, "/etc/hostname"]).output == "changed-vm\n")
        }
        #expect(try vhdedit(["cat", snapshot, "/dir/hosts"]).output == "127.0.0.1 localhost\n")
        #expect(try vhdedit(["stat", snapshot, "/etc/ssh/ssh_host_rsa_key.pub"]).status != 0, "deleted")
        #expect(try FileDigest.sha256(snapshot) == before, "read-only commands write nothing")

        // recover = e2fsck -E journal_only, block for block.
        let reference = capture.directory.file("e2fsck.img")
        let recovered = capture.directory.file("recovered.img")
        try ExternalTool.check(["cp", "--sparse=always", snapshot, reference])
        try ExternalTool.check(["cp", "--sparse=always", snapshot, recovered])
        let e2fsck = try ExternalTool.run(["e2fsck", "-E", "journal_only", "-y", reference])
        #expect(e2fsck.status <= 1, "\(e2fsck.output)")
        let recover = try vhdedit(["recover", recovered])
        #expect(recover.status == 0, "\(recover.stderr)")
        #expect(recover.output.contains("replayed the journal: "), "\(recover.output)")
        #expect(!recover.output.contains("replayed the journal: 0 transactions"), "\(recover.output)")
        #expect(try Self.comparableBytes(recovered) == Self.comparableBytes(reference), "block for block")
        if variant.dataBeforeCommit {
            #expect(try Fixtures.debugfs(recovered, "cat /etc/hostname") == "changed-vm\n")
        }
        let json = try vhdedit(["recover", recovered, "--json"])
        #expect(json.status == 0 && json.output.contains("\"editJournal\" : \"none\""), "\(json.output)")
        #expect(!json.output.contains("filesystemJournal"), "nothing left to replay: \(json.output)")

        // A writing command replays and edits in one commit; e2fsck -fn is clean afterwards.
        let generalized = capture.directory.file("generalized.img")
        try ExternalTool.check(["cp", "--sparse=always", snapshot, generalized])
        let generalize = try vhdedit(["generalize", generalized])
        #expect(generalize.status == 0, "\(generalize.output)\(generalize.stderr)")
        let fsck = try Fixtures.fsck(generalized)
        #expect(fsck.status == 0, "\(fsck.output)")
        #expect(!(try ExternalTool.check(["dumpe2fs", "-h", generalized]).output.contains("needs_recovery")))
        #expect(try Fixtures.debugfs(generalized, "dump /new.bin \(capture.directory.file("new.bin"))").isEmpty)
        #expect(
            [UInt8](try Data(contentsOf: URL(fileURLWithPath: capture.directory.file("new.bin")))) == capture.written)
    }

    /// A file deleted while a process still held it open (journald, package managers): after the replay it is on
    /// the orphan list. recover leaves it there, as `e2fsck -E journal_only` does; a writing command releases it
    /// as the kernel does at mount: the free counts are then those `e2fsck -fy` reaches.
    /// With the orphan_file feature the kernel lists the file in the orphan file instead of the superblock's
    /// chain.
    @Test(arguments: [[], ["-O", "orphan_file"]])
    func aFileDeletedWhileHeldOpenIsReleasedByTheWritingCommand(features: [String]) throws {
        let directory = try TemporaryDirectory(prefix: "captured-orphan")
        let image = directory.file("fs.img")
        try ExternalTool.check(["mkfs.ext4", "-q", "-F"] + features + [image, "32M"])
        guard let mountPoint = try Self.loopMount(image, in: directory) else { return }
        let snapshot = directory.file("snapshot.img")
        do {
            defer { _ = try? ExternalTool.run(["umount", mountPoint]) }
            try Data(repeating: 0x33, count: 200_000).write(to: URL(fileURLWithPath: mountPoint + "/held.log"))
            try Data("other\n".utf8).write(to: URL(fileURLWithPath: mountPoint + "/other"))
            try ExternalTool.check(["sync", "-f", mountPoint + "/other"])
            let held = try #require(FileHandle(forReadingAtPath: mountPoint + "/held.log"))
            try FileManager.default.removeItem(atPath: mountPoint + "/held.log")
            try Data("other, again\n".utf8).write(to: URL(fileURLWithPath: mountPoint + "/other"))
            try ExternalTool.check(["sync", mountPoint + "/other"])
            try ExternalTool.check(["cp", "--sparse=always", image, snapshot])
            try held.close()
        }
        let reference = directory.file("e2fsck.img")
        try ExternalTool.check(["cp", "--sparse=always", snapshot, reference])
        #expect(try ExternalTool.run(["e2fsck", "-fy", reference]).output.contains("Clearing orphaned inode"))

        let recovered = directory.file("recovered.img")
        try ExternalTool.check(["cp", "--sparse=always", snapshot, recovered])
        #expect(try vhdedit(["recover", recovered]).status == 0)
        let recoveredHeader = try ExternalTool.check(["dumpe2fs", "-h", recovered]).output
        #expect(
            recoveredHeader.contains(features.isEmpty ? "First orphan inode" : "orphan_present"),
            "recover does only the replay")

        let edited = directory.file("edited.img")
        try ExternalTool.check(["cp", "--sparse=always", snapshot, edited])
        let chmod = try vhdedit(["chmod", edited, "600", "/other"])
        #expect(chmod.status == 0, "\(chmod.stderr)")
        let fsck = try Fixtures.fsck(edited)
        #expect(fsck.status == 0, "\(fsck.output)")
        func counts(_ path: String) throws -> [Substring] {
            try ExternalTool.check(["dumpe2fs", "-h", path]).output.split(separator: "\n")
                .filter {
                    $0.hasPrefix("Free blocks:") || $0.hasPrefix("Free inodes:") || $0.hasPrefix("First orphan")
                        || $0.hasPrefix("Filesystem features:")
                }
        }
        #expect(try counts(edited) == counts(reference))
        #expect(try Fixtures.debugfs(edited, "cat /other") == "other, again\n")
    }

    /// An fsync storm: an append to one file, fsync'ed, 1,500 times (one small transaction each, the densest log
    /// a running system leaves). The kernel checkpoints as its 4 MiB journal fills, so the log the copy holds
    /// starts past the journal's first block and may wrap round its end. A read-only `cat` shows every line the
    /// kernel was given and writes nothing; `recover` equals `e2fsck -E journal_only` block for block.
    @Test func anFsyncStormCapturedWhileMountedReadsAsTheKernelWroteIt() throws {
        let directory = try TemporaryDirectory(prefix: "captured-storm")
        let image = directory.file("fs.img")
        try ExternalTool.check(["mkfs.ext4", "-q", "-F", "-b", "4096", image, "32M"])
        guard let mountPoint = try Self.loopMount(image, in: directory) else { return }
        let snapshot = directory.file("snapshot.img")
        var written: [UInt8] = []
        do {
            defer { _ = try? ExternalTool.run(["umount", mountPoint]) }
            let path = mountPoint + "/appended.log"
            #expect(FileManager.default.createFile(atPath: path, contents: nil))
            let file = try #require(FileHandle(forWritingAtPath: path))
            for line in 0..<1_500 {
                let bytes = Array(String(format: "%08d\n", line).utf8)
                try file.write(contentsOf: bytes)
                try file.synchronize()  // fsync: a transaction committed to the journal
                written += bytes
            }
            try ExternalTool.check(["cp", "--sparse=always", image, snapshot])
            try file.close()
        }
        let header = try ExternalTool.check(["dumpe2fs", "-h", snapshot]).output
        #expect(header.contains("needs_recovery"))
        let before = try FileDigest.sha256(snapshot)
        let cat = try vhdedit(["cat", snapshot, "/appended.log"])
        #expect(cat.status == 0, "\(cat.stderr)")
        #expect([UInt8](cat.stdout) == written, "the kernel's bytes")
        #expect(cat.stderr.contains("journal was replayed in memory ("), "\(cat.stderr)")
        #expect(try FileDigest.sha256(snapshot) == before, "a read-only command writes nothing")

        let reference = directory.file("e2fsck.img")
        let recovered = directory.file("recovered.img")
        try ExternalTool.check(["cp", "--sparse=always", snapshot, reference])
        try ExternalTool.check(["cp", "--sparse=always", snapshot, recovered])
        #expect(try ExternalTool.run(["e2fsck", "-E", "journal_only", "-y", reference]).status <= 1)
        let recover = try vhdedit(["recover", recovered])
        #expect(recover.status == 0, "\(recover.stderr)")
        #expect(!recover.output.contains("replayed the journal: 0 transactions"), "\(recover.output)")
        #expect(try Self.comparableBytes(recovered) == Self.comparableBytes(reference), "block for block")
        #expect(try Fixtures.fsck(recovered).status == 0)
    }
}
