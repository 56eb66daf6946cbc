import Foundation
import Testing
import _TestSupport

/// End-to-end tests of the file commands on a partitioned image, checked with debugfs and e2fsck on the
/// partition.
@Suite struct FileCommandTests {
    static let offset: UInt64 = 1 << 20

    /// A 24 MiB raw disk with an MBR and an ext4 at 1 MiB (sfdisk + mkfs.ext4 -E offset=), optionally
    /// wrapped as a dynamic VHD by qemu-img.
    final class Disk: @unchecked Sendable {
        let directory: TemporaryDirectory
        let raw: String
        var image: String

        init(vhd: Bool = false) throws {
            directory = try TemporaryDirectory(prefix: "cli-files")
            raw = directory.file("disk.raw")
            try ExternalTool.check(["truncate", "-s", "24M", raw])
            try ExternalTool.check(["sfdisk", "-q", raw], stdin: Data("start=2048, type=83\n".utf8))
            let tree = directory.file("tree")
            try Fixtures.writeTree(
                [
                    "/etc/hostname": "guest\n", "/etc/ssh/ssh_host_rsa_key": "KEY\n",
                    "/etc/sudoers": "Defaults targetpw\n",
                ],
                under: tree)
            try Data("odd\n".utf8).write(to: URL(fileURLWithPath: tree + "/etc/bad\nname"))
            try ExternalTool.check(
                ["mkfs.ext4", "-q", "-F", "-E", "offset=\(FileCommandTests.offset)", "-d", tree, raw, "22M"],
                environment: ["E2FSPROGS_FAKE_TIME": "1700000000"])
            image = raw
            if vhd {
                image = directory.file("disk.vhd")
                try ExternalTool.check(["qemu-img", "convert", "-O", "vpc", "-o", "subformat=dynamic", raw, image])
            }
        }

        /// The partition as a standalone file (flattened by qemu-img for a VHD).
        func partition() throws -> String {
            var flat = raw
            if image != raw {
                flat = directory.file("flat.raw")
                try ExternalTool.check(["qemu-img", "convert", "-O", "raw", image, flat])
            }
            let part = directory.file("part.img")
            try ExternalTool.check(["dd", "if=\(flat)", "of=\(part)", "bs=1M", "skip=1", "status=none"])
            return part
        }

        func vhdedit(_ arguments: [String], environment: [String: String] = [:]) throws -> ExternalTool.Result {
            try ExternalTool.run([CLI.binary] + arguments, environment: environment)
        }

        func expectClean(sourceLocation: SourceLocation = #_sourceLocation) throws {
            let result = try ExternalTool.run(["e2fsck", "-fn", try partition()])
            #expect(result.status == 0, "\(result.output)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: [false, true])
    func editingCommands(vhd: Bool) throws {
        let disk = try Disk(vhd: vhd)
        let image = disk.image
        let local = disk.directory.file("local.conf")
        try Data("Provisioning.Enabled=n\n".utf8).write(to: URL(fileURLWithPath: local))
        let env = ["SOURCE_DATE_EPOCH": "1500000000"]
        for arguments in [
            ["put", image, local, "/etc/waagent.conf", "--mode", "600", "--owner", "0:4"],
            ["mkdir", image, "/var/lib/waagent/a/b", "-p"],
            ["symlink", image, "/run/resolv.conf", "/etc/resolv.conf"],
            ["chmod", image, "440", "/etc/sudoers"],
            ["chown", image, "1000:1000", "/etc/hostname"],
            ["rm", image, "/etc/ssh/ssh_host_rsa_key"],
            ["rm", image, "/var/lib/waagent", "-r"],
        ] {
            let result = try disk.vhdedit(arguments, environment: env)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        let rmDir = try disk.vhdedit(["rm", image, "/etc"])
        #expect(rmDir.status != 0 && rmDir.stderr.contains("not empty"), "\(rmDir.stderr)")
        let editor = disk.directory.file("editor.sh")
        try "#!/bin/sh\nsed -i 's/^Defaults targetpw/# Defaults targetpw/' \"$1\"\n".write(
            toFile: editor, atomically: true, encoding: .utf8)
        try ExternalTool.check(["chmod", "+x", editor])
        let edited = try disk.vhdedit(["edit", image, "/etc/sudoers"], environment: ["EDITOR": editor] + env)
        #expect(edited.status == 0, "\(edited.stderr)")
        let unchanged = try disk.vhdedit(["edit", image, "/etc/sudoers"], environment: ["EDITOR": "true"])
        #expect(unchanged.status == 0 && unchanged.stderr.contains("unchanged"))

        try disk.expectClean()
        let part = try disk.partition()
        #expect(try Fixtures.debugfs(part, "cat /etc/waagent.conf") == "Provisioning.Enabled=n\n")
        let waagent = try Fixtures.debugfs(part, "stat /etc/waagent.conf")
        #expect(waagent.contains("Mode:  0600") && waagent.contains("Group:     4"))
        #expect(waagent.contains("mtime: 0x59682f00"), "SOURCE_DATE_EPOCH=1500000000 stamps the change")
        #expect(try Fixtures.debugfs(part, "stat /etc/resolv.conf").contains("Fast link dest: \"/run/resolv.conf\""))
        #expect(try Fixtures.debugfs(part, "stat /etc/sudoers").contains("Mode:  0440"))
        #expect(try Fixtures.debugfs(part, "cat /etc/sudoers") == "# Defaults targetpw\n")
        #expect(try Fixtures.debugfs(part, "stat /etc/hostname").contains("User:  1000"))
        #expect(!(try Fixtures.debugfs(part, "ls -p /etc/ssh")).contains("ssh_host_rsa_key"))
        #expect(!(try Fixtures.debugfs(part, "ls -p /var/lib")).contains("waagent"))
    }

    @Test func readingCommands() throws {
        let disk = try Disk(vhd: true)
        let before = try FileDigest.sha256(disk.image)
        let cat = try disk.vhdedit(["cat", disk.image, "/etc/hostname"])
        #expect(cat.status == 0 && cat.output == "guest\n")
        let ls = try disk.vhdedit(["ls", disk.image, "/etc", "-l"])
        #expect(ls.status == 0)
        #expect(ls.output.contains(" bad\\nname\n"), "control characters are escaped: \(ls.output)")
        let hostnameLine = ls.output.split(separator: "\n").first { $0.hasSuffix(" hostname") } ?? ""
        #expect(hostnameLine.hasPrefix("-rw-r--r-- 1 0 0 6 "), "\(ls.output)")
        // The escaped name can be given back.
        #expect(try disk.vhdedit(["cat", disk.image, "/etc/bad\\nname"]).output == "odd\n")
        let recursive = try disk.vhdedit(["ls", disk.image, "/", "-R"]).output
        #expect(recursive.contains("/etc/ssh/ssh_host_rsa_key\n"))
        let json = try disk.vhdedit(["stat", disk.image, "/etc/hostname", "--json"])
        let object = try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any]
        #expect(object?["size"] as? Int == 6 && object?["type"] as? String == "regular")
        let listJSON = try disk.vhdedit(["ls", disk.image, "/etc", "--json"])
        let entries =
            (try JSONSerialization.jsonObject(with: listJSON.stdout) as? [String: Any])?["entries"] as? [[String: Any]]
        #expect(entries?.contains { $0["name"] as? String == "sudoers" } == true)
        let out = disk.directory.file("out.txt")
        #expect(try disk.vhdedit(["get", disk.image, "/etc/sudoers", out]).status == 0)
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "Defaults targetpw\n")
        let explicit = try disk.vhdedit(["cat", disk.image, "/etc/hostname", "--partition", "1"])
        #expect(explicit.output == "guest\n")
        let missing = try disk.vhdedit(["cat", disk.image, "/etc/nothing"])
        #expect(missing.status != 0 && missing.stderr.contains("/etc/nothing"))
        let noPartition = try disk.vhdedit(["ls", disk.image, "/", "--partition", "3"])
        #expect(noPartition.status != 0)
        #expect(try FileDigest.sha256(disk.image) == before, "reading commands change no byte")
    }
}

extension FileCommandTests {
    @Test func aJournalThatNeedsRecoveryIsReplayedForReadersAndWriters() throws {
        let disk = try Disk()
        // Journal a copy of /etc's directory block on the partition (debugfs jo / jw / jc) and put it back.
        let part = try disk.partition()
        let block = try Fixtures.debugfs(part, "bmap /etc 0").trimmingCharacters(in: .whitespacesAndNewlines)
        let copy = disk.directory.file("block.bin")
        // The filesystem's own block size (22 MiB: mke2fs's "small" type, 1 KiB blocks), so the copy is /etc's block.
        let header = try ExternalTool.check(["dumpe2fs", "-h", part]).output
        let blockSize =
            header.split(separator: "\n").first { $0.hasPrefix("Block size:") }?.split(separator: " ").last ?? "4096"
        try ExternalTool.check([
            "dd", "if=\(part)", "of=\(copy)", "bs=\(blockSize)", "skip=\(block)", "count=1", "status=none",
        ])
        let script = disk.directory.file("cmds")
        try "jo\njw -b \(block) \(copy)\njc\n".write(toFile: script, atomically: true, encoding: .utf8)
        try ExternalTool.check(["debugfs", "-w", "-f", script, part])
        try ExternalTool.check(["dd", "if=\(part)", "of=\(disk.raw)", "bs=1M", "seek=1", "conv=notrunc", "status=none"])
        let before = try FileDigest.sha256(disk.raw)
        let cat = try disk.vhdedit(["cat", disk.raw, "/etc/hostname"])
        #expect(cat.status == 0 && cat.output == "guest\n")
        #expect(cat.stderr.contains("journal was replayed in memory (1 transaction"), "\(cat.stderr)")
        #expect(try FileDigest.sha256(disk.raw) == before, "byte-identical after a read")
        let local = disk.directory.file("x")
        try Data("x".utf8).write(to: URL(fileURLWithPath: local))
        let put = try disk.vhdedit(["put", disk.raw, local, "/etc/x"])
        #expect(put.status == 0, "\(put.stderr)")
        #expect(put.stderr.contains("journal was replayed (1 transaction"), "\(put.stderr)")
        let fsck = try Fixtures.fsck(disk.raw, offset: 1 << 20)
        #expect(fsck.status == 0, "\(fsck.output)")
        #expect(try Fixtures.debugfs(disk.partition(), "cat /etc/x") == "x")
    }
}

extension Dictionary where Key == String, Value == String {
    fileprivate static func + (lhs: Self, rhs: Self) -> Self { lhs.merging(rhs) { $1 } }
}

extension FileCommandTests {
    /// `cat IMAGE PATH` with plain words runs without ArgumentParser (DirectDispatch); the same request spelled
    /// so that ArgumentParser parses it (`--partition 1`, the root's partition here, or `--` before the
    /// positionals) must give the same bytes, messages and exit status, for a file, a directory, a missing path
    /// and a missing image.
    @Test func directCatMatchesTheParsedCommand() throws {
        let disk = try Disk(vhd: true)
        let missingImage = disk.directory.file("absent.vhd")
        for (image, path) in [
            (disk.image, "/etc/hostname"), (disk.image, "/etc"), (disk.image, "/etc/nothing"),
            (missingImage, "/etc/hostname"),
        ] {
            let direct = try disk.vhdedit(["cat", image, path])
            let parsed = try disk.vhdedit(["cat", "--", image, path])
            #expect(direct.status == parsed.status, "\(path): \(direct.stderr) / \(parsed.stderr)")
            #expect(direct.stdout == parsed.stdout && direct.stderr == parsed.stderr, "\(image) \(path)")
            if image == disk.image {
                let explicit = try disk.vhdedit(["cat", image, path, "--partition", "1"])
                #expect(explicit.status == direct.status && explicit.stdout == direct.stdout, "\(path)")
            }
        }
        #expect(try disk.vhdedit(["cat", disk.image, "/etc/hostname"]).output == "guest\n")
        #expect(try disk.vhdedit(["cat", disk.image, "/etc"]).status == 1)
        // `--version` alone is answered directly; after a subcommand ArgumentParser answers: the same line.
        let version = try disk.vhdedit(["--version"])
        let parsedVersion = try disk.vhdedit(["info", "--version"])
        #expect(version.status == 0 && version.output == "0.1.0\n")
        #expect(parsedVersion.status == 0 && parsedVersion.output == version.output)
    }
}
