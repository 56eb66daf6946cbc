import Foundation
import Testing
import _TestSupport

/// What a user sees when a command is given the wrong thing: every error names the file at fault once, usage
/// errors exit 64 with the command's own usage line, `--json` always prints JSON, and no refused command
/// changes a byte. Run on copies of the shipped `TestImages/centos6-dynamic.vhd`.
@Suite struct UsabilityTests {
    static let shippedImage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("TestImages/centos6-dynamic.vhd").path

    /// A temporary folder holding a copy of the shipped image as `c6.vhd`.
    final class Work: @unchecked Sendable {
        let directory: TemporaryDirectory
        let image: String

        init() throws {
            directory = try TemporaryDirectory(prefix: "cli-usability")
            image = directory.file("c6.vhd")
            try ExternalTool.check(["cp", "--sparse=always", UsabilityTests.shippedImage, image])
        }

        func file(_ name: String) -> String { directory.file(name) }

        /// The names in the folder, sorted (a left-over temporary or journal file shows here).
        func names() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() }

        /// Runs the CLI with the folder as working directory, so that relative names appear in messages as given.
        func run(_ arguments: [String]) throws -> ExternalTool.Result {
            try ExternalTool.run(["sh", "-c", "cd \"$0\" && exec \"$@\"", directory.path, CLI.binary] + arguments)
        }
    }

    // MARK: errors name the image once

    /// A folder given as the image says so, for readers, writers and the image-preparation commands alike.
    @Test func aDirectoryAsTheImageIsNamedAsSuch() throws {
        let work = try Work()
        try FileManager.default.createDirectory(atPath: work.file("adir"), withIntermediateDirectories: false)
        for arguments in [
            ["ls", "adir", "/"], ["put", "adir", "c6.vhd", "/x"], ["info", "adir"], ["partitions", "adir"],
        ] {
            let result = try work.run(arguments)
            #expect(result.status == 1, "\(arguments)")
            #expect(result.stderr == "vhdedit: adir: is a directory, not a disk image file\n", "\(arguments)")
        }
        let inspect = try work.run(["inspect", "adir"])
        #expect(inspect.status == 1)
        #expect(inspect.stderr == "vhdedit: adir: cannot open the image: is a directory, not a disk image file\n")
    }

    /// The image-preparation commands said "X: cannot open the image: X: cannot open the image: ..."; the image
    /// and the reason now come once.
    @Test func aMissingImageIsNamedOnce() throws {
        let work = try Work()
        for command in ["inspect", "check", "generalize", "azure-prepare", "kernel-args"] {
            let result = try work.run([command, "missing.vhd"])
            #expect(result.status == 1, "\(command)")
            #expect(
                result.stderr == "vhdedit: missing.vhd: cannot open the image: No such file or directory\n",
                "\(command)")
        }
    }

    /// A locked image: the reason follows the image name once.
    @Test func aLockedImageIsNamedOnce() throws {
        let work = try Work()
        let hold = try ExternalTool.run([
            "flock", "-x", work.image, "sh", "-c", "cd \"$0\" && exec \"$@\"", work.directory.path,
            CLI.binary, "check", "c6.vhd",
        ])
        #expect(hold.status == 1)
        #expect(
            hold.stderr == "vhdedit: c6.vhd: cannot open the image: image is in use: another process is writing it\n")
    }

    /// The file commands named neither the image nor anything else when the disk has no usable filesystem or
    /// the filesystem refuses writing; they now start with the image, and nothing is written.
    @Test func layoutAndFilesystemErrorsNameTheImage() throws {
        let work = try Work()
        try Data((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }).write(
            to: URL(fileURLWithPath: work.file("junk.bin")))
        for arguments in [
            ["ls", "junk.bin", "/"], ["cat", "junk.bin", "/etc/passwd"], ["put", "junk.bin", "c6.vhd", "/x"],
        ] {
            let result = try work.run(arguments)
            #expect(result.status == 1, "\(arguments)")
            #expect(
                result.stderr
                    == "vhdedit: junk.bin: the disk has no partition table and libblkid finds no filesystem at offset 0\n",
                "\(arguments)")
        }
        // An ext4 whose superblock records errors: readable with a warning, refused for writing.
        let broken = work.file("errors.img")
        try ExternalTool.check(["truncate", "-s", "8M", broken])
        try ExternalTool.check(["mkfs.ext4", "-q", "-F", broken])
        try ExternalTool.check(["debugfs", "-w", "-R", "ssv state 2", broken])
        let before = try FileDigest.sha256(broken)
        let put = try work.run(["put", "errors.img", "c6.vhd", "/x"])
        #expect(put.status == 1)
        #expect(put.stderr.hasPrefix("vhdedit: errors.img: the filesystem has recorded errors"), "\(put.stderr)")
        #expect(try FileDigest.sha256(broken) == before)
        // The preparation commands keep their own wording, still with the image once.
        let check = try work.run(["check", "junk.bin"])
        #expect(
            check.stderr
                == "vhdedit: junk.bin: no Linux root filesystem to work in: the disk has no partition table and libblkid finds no filesystem at offset 0\n"
        )
    }

    /// In a batch, an image's summary is the child's reason without `vhdedit: IMAGE: ` in front (the line
    /// names the image already).
    @Test func batchSummariesDoNotRepeatTheImage() throws {
        let work = try Work()
        try Data(repeating: 0x5A, count: 5000).write(to: URL(fileURLWithPath: work.file("junk.bin")))
        let result = try work.run(["check", "junk.bin", "c6.vhd", "--json"])
        #expect(result.status == 1)
        var summaries: [String: String] = [:]
        for line in result.output.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if let image = object["image"] as? String { summaries[image] = object["summary"] as? String }
        }
        #expect(
            summaries["junk.bin"]
                == "no Linux root filesystem to work in: the disk has no partition table and libblkid finds no filesystem at offset 0"
        )
        let text = try work.run(["check", "junk.bin", "c6.vhd"])
        #expect(text.output.contains("FAIL junk.bin: no Linux root filesystem to work in: "), "\(text.output)")
    }

    // MARK: host files written

    /// `--force` onto a folder used to copy the whole image and then fail to rename the temporary file
    /// (naming it); it is now refused first. A destination in a missing folder names the destination.
    @Test func outputsIntoFoldersAreRefusedBeforeWriting() throws {
        let work = try Work()
        try FileManager.default.createDirectory(atPath: work.file("adir"), withIntermediateDirectories: false)
        let before = try work.names()
        for arguments in [
            ["convert", "c6.vhd", "adir", "--to", "raw", "--force"],
            ["convert", "c6.vhd", "adir", "--to", "fixed"],
            ["create", "adir", "--size", "1M", "--force"],
        ] {
            let result = try work.run(arguments)
            #expect(result.status == 1, "\(arguments)")
            #expect(result.stderr == "vhdedit: adir: is a directory; name the image file to write\n", "\(arguments)")
        }
        let missing = try work.run(["convert", "c6.vhd", "no/such/folder/out.raw", "--to", "raw"])
        #expect(missing.status == 1)
        #expect(
            missing.stderr
                == "vhdedit: no/such/folder/out.raw: cannot write here: the folder no/such/folder does not exist\n")
        #expect(try work.names() == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.file("adir")).isEmpty)
    }

    /// `get` onto a host symlink said only "Too many levels of symbolic links"; it now says what it refused,
    /// and the link's target is not created.
    @Test func getOntoAHostSymlinkSaysSo() throws {
        let work = try Work()
        try FileManager.default.createSymbolicLink(atPath: work.file("link"), withDestinationPath: work.file("target"))
        let result = try work.run(["get", "c6.vhd", "/etc/passwd", "link"])
        #expect(result.status == 1)
        #expect(
            result.stderr == "vhdedit: link: is a symbolic link; not written through (remove it or name another file)\n"
        )
        #expect(!FileManager.default.fileExists(atPath: work.file("target")))
    }

    // MARK: usage errors

    /// Bad values found by the commands themselves exit 64 with the command's usage line (they printed the
    /// top-level `vhdedit <subcommand>` usage, or exited 1 like a failed run), and change nothing.
    @Test func badArgumentsAreUsageErrors() throws {
        let work = try Work()
        let before = try FileDigest.sha256(work.image)
        let cases: [([String], String)] = [
            (
                ["put", "c6.vhd", "c6.vhd", "/etc/x", "--mode", "999"],
                "Error: mode must be octal permission bits up to 7777 (got '999')"
            ),
            (
                ["put", "c6.vhd", "c6.vhd", "/etc/x", "--owner", "abc"],
                "Error: owner must be numeric UID:GID (got 'abc')"
            ),
            (
                ["mkdir", "c6.vhd", "/etc/x", "--mode", "8"],
                "Error: mode must be octal permission bits up to 7777 (got '8')"
            ),
            (
                ["chmod", "c6.vhd", "abc", "/etc/passwd"],
                "Error: mode must be octal permission bits up to 7777 (got 'abc')"
            ),
            (["chown", "c6.vhd", ":", "/etc/passwd"], "Error: owner must name a UID or a GID"),
            (["generalize", "c6.vhd", "--only", "nope"], "Error: unknown operation 'nope' (known: "),
            (["generalize", "c6.vhd", "--shard", "3/2"], "Error: shard 3/2: need 0 <= index < count"),
            (["generalize", "c6.vhd", "--shard", "x"], "Error: shard 'x': expected INDEX/COUNT, for example 0/4"),
            (["generalize", "c6.vhd", "--shard-count", "0"], "Error: --shard-count must be at least 1 (got 0)"),
            (["generalize", "--dry-run"], "Error: give at least one IMAGE or --manifest FILE"),
            (["azure-prepare", "c6.vhd", "--skip", "nope"], "Error: unknown operation 'nope' (known: "),
            // Contradictions said "nothing to do" (having looked at nothing) or silently dropped --delete-user.
            (
                ["generalize", "c6.vhd", "--only", "hostname", "--skip", "hostname"],
                "Error: no operation left to run: --skip removes every operation chosen"
            ),
            (
                ["azure-prepare", "c6.vhd", "--only", "swap", "--skip", "swap"],
                "Error: no operation left to run: --skip removes every operation chosen"
            ),
            (
                ["generalize", "c6.vhd", "--delete-user", "--skip", "delete-user"],
                "Error: --delete-user asks for delete-user, which --skip removes"
            ),
            (
                ["generalize", "c6.vhd", "--user", "azureuser", "--skip", "hostname,delete-user"],
                "Error: --user asks for delete-user, which --skip removes"
            ),
            (["check"], "Error: give at least one IMAGE or --manifest FILE"),
            // Said the path or the argument twice ("X: msg: X: msg", "bad kernel argument: : msg") and exited 1.
            (
                ["kernel-args", "c6.vhd", "--add", ""],
                "Error: bad kernel argument '': a kernel argument must be one non-empty word (quote spaces with \"…\")\n"
            ),
            (
                ["config", "set", "c6.vhd", "/etc/waagent.conf", "Bad Key=1"],
                "Error: /etc/waagent.conf: Bad Key: not a waagent.conf key\n"
            ),
            (
                ["config", "set", "c6.vhd", "/etc/waagent.conf", "ResourceDisk.Format=maybe"],
                "Error: /etc/waagent.conf: ResourceDisk.Format: must be y or n\n"
            ),
            (
                ["config", "get", "c6.vhd", "/etc/passwd", "root"],
                "Error: /etc/passwd: not a waagent.conf or sysconfig-style file; key/value edits are not supported\n"
            ),
        ]
        for (arguments, message) in cases {
            let result = try work.run(arguments)
            #expect(result.status == 64, "\(arguments): \(result.stderr)")
            #expect(result.stderr.hasPrefix(message), "\(arguments): \(result.stderr)")
            let usage = arguments[0] == "config" ? "config \(arguments[1])" : arguments[0]
            #expect(result.stderr.contains("Usage: vhdedit \(usage) "), "\(arguments): \(result.stderr)")
            #expect(result.output.isEmpty, "\(arguments)")
        }
        #expect(try FileDigest.sha256(work.image) == before)
        #expect(try work.names() == ["c6.vhd"])
    }

    /// chmod and chown take `-h` for --no-dereference (as chmod(1) does), so their help no longer also lists
    /// `-h, --help`; `-h` changes the link itself and leaves its target alone.
    @Test func dashHIsNoDereferenceInChmodAndChown() throws {
        let work = try Work()
        for command in ["chmod", "chown"] {
            let help = try work.run([command, "--help"])
            #expect(help.status == 0)
            #expect(help.output.contains("-h, --no-dereference"))
            #expect(!help.output.contains("-h, --help"), "\(help.output)")
        }
        #expect(try work.run(["symlink", "c6.vhd", "/etc/passwd", "/etc/pw-link"]).status == 0)
        #expect(try work.run(["chmod", "c6.vhd", "600", "/etc/pw-link", "-h"]).status == 0)
        #expect(try work.run(["chown", "c6.vhd", "7:8", "/etc/pw-link", "-h"]).status == 0)
        func status(_ path: String) throws -> [String: Any] {
            let result = try work.run(["stat", "c6.vhd", path, "--json"])
            return try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        }
        let link = try status("/etc/pw-link")
        #expect(link["mode"] as? String == "600" && link["uid"] as? Int == 7 && link["gid"] as? Int == 8)
        let target = try status("/etc/passwd")
        #expect(target["mode"] as? String == "644" && target["uid"] as? Int == 0 && target["gid"] as? Int == 0)
    }

    // MARK: --json means JSON

    /// `kernel-args IMAGE --json` without --add/--remove printed the text listing; it prints a JSON object.
    @Test func kernelArgsListingAsJSON() throws {
        let work = try Work()
        let result = try work.run(["kernel-args", "c6.vhd", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        #expect(object["image"] as? String == "c6.vhd")
        let lines = try #require(object["commandLines"] as? [[String: Any]])
        #expect(lines.count == 1)
        #expect(lines.first?["path"] as? String == "/boot/grub/grub.conf")
        #expect(lines.first?["kind"] as? String == "grub-legacy")
        #expect(lines.first?["line"] as? Int == 8)
        let arguments = try #require(lines.first?["arguments"] as? [String])
        #expect(arguments.first == "ro" && arguments.contains("crashkernel=auto") && arguments.last == "quiet")
        // The text listing says the same.
        let text = try work.run(["kernel-args", "c6.vhd"])
        #expect(text.output == "/boot/grub/grub.conf:8: \(arguments.joined(separator: " "))\n")
    }

    /// `generalize --list --json` printed the text table; it prints every operation as JSON, the same names.
    @Test func generalizeListAsJSON() throws {
        let work = try Work()
        let result = try work.run(["generalize", "--list", "--json"])
        #expect(result.status == 0)
        let listing = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        #expect(listing["schema"] as? String == "vhdedit.generalize-operations/1")
        let items = try #require(listing["operations"] as? [[String: Any]])
        let text = try work.run(["generalize", "--list"])
        let names = text.output.split(separator: "\n").map { String($0.split(separator: " ")[0]) }
        #expect(items.compactMap { $0["name"] as? String } == names)
        #expect(names.contains("ssh-hostkeys") && names.contains("machine-id") && names.contains("secrets"))
        let hostKeys = try #require(items.first { $0["name"] as? String == "ssh-hostkeys" })
        #expect(hostKeys["default"] as? Bool == true)
        #expect(items.first { $0["name"] as? String == "secrets" }?["default"] as? Bool == false)
    }

    /// `config get|set|unset` had no --json (kernel-args had): get prints the values (null when not set, exit
    /// 1), set and unset print the report; the text form of a missing key says `vhdedit:` like every error.
    @Test func configAsJSON() throws {
        let work = try Work()
        let get = try work.run([
            "config", "get", "c6.vhd", "/etc/waagent.conf", "ResourceDisk.Format", "No.Such", "--json",
        ])
        #expect(get.status == 1)
        #expect(get.stderr.isEmpty)
        let object = try #require(try JSONSerialization.jsonObject(with: get.stdout) as? [String: Any])
        #expect(object["image"] as? String == "c6.vhd" && object["path"] as? String == "/etc/waagent.conf")
        let values = try #require(object["values"] as? [String: Any])
        #expect(values["ResourceDisk.Format"] as? String == "n")
        #expect(values["No.Such"] is NSNull)
        let text = try work.run(["config", "get", "c6.vhd", "/etc/waagent.conf", "ResourceDisk.Format", "No.Such"])
        #expect(text.status == 1 && text.output == "ResourceDisk.Format=n\n")
        #expect(text.stderr == "vhdedit: No.Such: not set in /etc/waagent.conf\n")

        let before = try FileDigest.sha256(work.image)
        let dry = try work.run([
            "config", "set", "c6.vhd", "/etc/waagent.conf", "ResourceDisk.Format=y", "--dry-run", "--json",
        ])
        #expect(dry.status == 0, "\(dry.stderr)")
        let plan = try #require(try JSONSerialization.jsonObject(with: dry.stdout) as? [String: Any])
        #expect(plan["dryRun"] as? Bool == true)
        let change = try #require((plan["changes"] as? [[String: Any]])?.first)
        #expect(change["path"] as? String == "/etc/waagent.conf" && change["action"] as? String == "rewrite")
        #expect((change["diff"] as? String ?? "").contains("+ResourceDisk.Format=y"))
        #expect(try FileDigest.sha256(work.image) == before)

        let unset = try work.run(["config", "unset", "c6.vhd", "/etc/sysconfig/network", "HOSTNAME", "--json"])
        #expect(unset.status == 0, "\(unset.stderr)")
        let done = try #require(try JSONSerialization.jsonObject(with: unset.stdout) as? [String: Any])
        #expect(done["dryRun"] as? Bool == false && (done["changes"] as? [Any])?.count == 1)
        let after = try work.run([
            "config", "get", "c6.vhd", "/etc/sysconfig/network", "HOSTNAME", "NETWORKING", "--json",
        ])
        let read = try #require(
            (try JSONSerialization.jsonObject(with: after.stdout) as? [String: Any])?["values"] as? [String: Any])
        #expect(read["HOSTNAME"] is NSNull && read["NETWORKING"] as? String == "yes")
    }

    /// A Ctrl-C (SIGINT to the foreground process group) while `edit`'s editor runs killed vhdedit and left the
    /// copy of the guest file (here /etc/shadow, hashes and all) in $TMPDIR. Now vhdedit ignores SIGINT while
    /// the editor runs (as system(3) does), reports the editor's death and removes the copy; SIGTERM and SIGHUP
    /// end it as before, but the private folder and everything in it are removed first. The image is never
    /// changed.
    @Test(arguments: [("INT", Int32(1)), ("TERM", Int32(143)), ("HUP", Int32(129))])
    func interruptedEditLeavesNoCopy(signal: String, status: Int32) throws {
        let work = try Work()
        let scratch = work.file("tmp")
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: false)
        let editor = work.file("editor.sh")
        try Data("#!/bin/sh\ntouch \"$MARK\"\nsleep 5\necho changed >> \"$1\"\n".utf8).write(
            to: URL(fileURLWithPath: editor))
        try ExternalTool.check(["chmod", "755", editor])
        let before = try FileDigest.sha256(work.image)
        // `set -m`: the command runs in its own process group, with SIGINT not ignored, like a terminal job;
        // perl unblocks the signals (the test runner starts its children with every signal blocked).
        let script = """
            set -m
            cd "$0"
            TMPDIR="$0/tmp" MARK="$0/mark" EDITOR="$0/editor.sh" perl -MPOSIX -e \\
                'sigprocmask(SIG_SETMASK, POSIX::SigSet->new) or die; exec @ARGV or die' "$1" edit c6.vhd /etc/shadow 2> err &
            pid=$!
            for i in $(seq 1 400); do [ -e mark ] && break; sleep 0.05; done
            kill -\(signal) -- -$pid
            wait $pid
            echo "status=$?"
            """
        let result = try ExternalTool.run(["bash", "-c", script, work.directory.path, CLI.binary])
        #expect(result.output.contains("status=\(status)\n"), "\(result.output) \(result.stderr)")
        let errors = try String(contentsOfFile: work.file("err"), encoding: .utf8)
        if signal == "INT" {
            #expect(errors == "vhdedit: the editor was killed by signal 2; nothing written\n")
        }
        // Not the copy, and not the private folder either (SIGTERM used to leave it behind, empty).
        let left = try ExternalTool.check(["find", scratch, "-mindepth", "1"]).output
        #expect(left.isEmpty, "left behind: \(left)")
        #expect(try FileDigest.sha256(work.image) == before)
        #expect(try work.names() == ["c6.vhd", "editor.sh", "err", "mark", "tmp"])
    }

    /// Partition-table warnings came out as "vhdedit: warning: warning: ..." from the file commands and as
    /// "warning: [partition-table] warning: ..." from generalize; the word is said once.
    @Test func layoutWarningsSayWarningOnce() throws {
        let work = try Work()
        let disk = work.file("grown.raw")
        try ExternalTool.check(["truncate", "-s", "24M", disk])
        try ExternalTool.check(["mkfs.ext4", "-q", "-F", "-E", "offset=1048576", disk, "20M"])
        try ExternalTool.check(["sgdisk", "-n", "1:2048:0", "-t", "1:8300", disk])
        try ExternalTool.check(["truncate", "-s", "25M", disk])  // the disk grew; the GPT still ends at 24 MiB
        let ls = try work.run(["ls", "grown.raw", "/"])
        #expect(ls.status == 0, "\(ls.stderr)")
        #expect(ls.stderr.hasPrefix("vhdedit: warning: the primary header says the backup is at LBA "), "\(ls.stderr)")
        #expect(!ls.stderr.contains("warning: warning"))
        let plan = try work.run(["generalize", "grown.raw", "--dry-run"])
        #expect(
            plan.output.contains("warning: [partition-table] the primary header says the backup is at LBA "),
            "\(plan.output)")
        #expect(!plan.output.contains("warning: warning") && !plan.output.contains("] warning:"))
        let json = try work.run(["generalize", "grown.raw", "--dry-run", "--json"])
        let report = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        let messages = (report["findings"] as? [[String: Any]] ?? []).filter {
            $0["operation"] as? String == "partition-table"
        }
        .compactMap { $0["message"] as? String }
        #expect(messages.count == 1 && messages.allSatisfy { $0.hasPrefix("the primary header says") }, "\(messages)")
    }

    /// A VHD whose trailing footer is damaged is read through the copy at offset 0; generalize and info said
    /// so, the file commands said nothing. They now print the warning too.
    @Test func fileCommandsShowTheImagesWarnings() throws {
        let work = try Work()
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: work.image))
        let length = try handle.seekToEnd()
        try handle.seek(toOffset: length - 512 + 64)  // the footer's checksum field
        handle.write(Data("XXXX".utf8))
        try handle.close()
        let ls = try work.run(["ls", "c6.vhd", "/etc/ssh"])
        #expect(ls.status == 0)
        #expect(
            ls.stderr.hasPrefix(
                "vhdedit: warning: the footer at byte \(length - 512) has a bad checksum (stored 0x58585858, computed 0x"
            ),
            "\(ls.stderr)")
        #expect(ls.stderr.hasSuffix("); using the copy at offset 0\n") && ls.stderr.split(separator: "\n").count == 1)
        #expect(ls.output.contains("ssh_host_rsa_key"))
        // inspect said nothing either: a warning on standard error, and findings in its JSON.
        let inspect = try work.run(["inspect", "c6.vhd"])
        #expect(
            inspect.status == 0
                && inspect.stderr.hasPrefix("vhdedit: warning: the footer at byte \(length - 512) has a bad checksum"))
        let inspectJSON = try work.run(["inspect", "c6.vhd", "--json"])
        let inspected = try #require(try JSONSerialization.jsonObject(with: inspectJSON.stdout) as? [String: Any])
        let findings = try #require(inspected["findings"] as? [[String: Any]])
        #expect(
            findings.count == 1 && findings.first?["operation"] as? String == "image"
                && findings.first?["severity"] as? String == "warning")
        #expect(inspectJSON.stderr.isEmpty)
        // check had no verdict for it; it now warns beside the VHD-level verdicts.
        let check = try work.run(["check", "c6.vhd", "--json"])
        let report = try #require(try JSONSerialization.jsonObject(with: check.stdout) as? [String: Any])
        let results = try #require(report["results"] as? [[String: Any]])
        let structure = try #require(results.first { $0["id"] as? String == "vhd.structure" })
        #expect(structure["verdict"] as? String == "warn")
        #expect(
            (structure["evidence"] as? String ?? "").hasPrefix("the footer at byte \(length - 512) has a bad checksum"))
        #expect(results.firstIndex { $0["id"] as? String == "vhd.structure" } == 1)
        // An intact image has no such line.
        let clean = try ExternalTool.run([CLI.binary, "check", UsabilityTests.shippedImage, "--json"])
        #expect(!clean.output.contains("vhd.structure"))
    }

    /// Output that cannot be written is an error, as with cat(1): `cat IMAGE FILE > /dev/full` exited 0 having
    /// written nothing, and so did every command printing through stdio.
    @Test func unwritableStandardOutputFails() throws {
        let work = try Work()
        for arguments in [
            ["cat", "c6.vhd", "/etc/passwd"], ["ls", "c6.vhd", "/", "-R", "--json"], ["info", "c6.vhd", "--json"],
            ["partitions", "c6.vhd"], ["inspect", "c6.vhd"], ["kernel-args", "c6.vhd"], ["generalize", "--list"],
            ["generalize", "c6.vhd", "--dry-run", "--json"], ["stat", "c6.vhd", "/etc/passwd"],
        ] {
            let full = try ExternalTool.run(
                ["sh", "-c", "cd \"$0\" && exec \"$@\" > /dev/full", work.directory.path, CLI.binary] + arguments)
            #expect(full.status == 1, "\(arguments)")
            #expect(
                full.stderr == "vhdedit: cannot write standard output: No space left on device\n",
                "\(arguments): \(full.stderr)")
        }
        let closed = try ExternalTool.run([
            "sh", "-c", "cd \"$0\" && exec \"$@\" >&-", work.directory.path, CLI.binary,
            "cat", "c6.vhd", "/etc/passwd",
        ])
        #expect(closed.status == 1)
        #expect(closed.stderr == "vhdedit: cannot write standard output: Bad file descriptor\n")
        // Written output is unaffected.
        let fine = try work.run(["cat", "c6.vhd", "/etc/redhat-release"])
        #expect(fine.status == 0 && fine.output == "CentOS release 6.10 (Final)\n" && fine.stderr.isEmpty)
    }

    /// A writer refused by the file's permissions says it could not open the image *for writing* (readers
    /// still work); the image is unchanged.
    @Test(.enabled(if: getuid() == 0, "needs root to run as another user"))
    func aReadOnlyImageSaysForWriting() throws {
        let work = try Work()
        try ExternalTool.check(["chmod", "755", work.directory.path])
        try ExternalTool.check(["chmod", "444", work.image])
        let before = try FileDigest.sha256(work.image)
        func asNobody(_ arguments: [String]) throws -> ExternalTool.Result {
            try ExternalTool.run(
                [
                    "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sh", "-c",
                    "cd \"$0\" && exec \"$@\"", work.directory.path, CLI.binary,
                ] + arguments)
        }
        let put = try asNobody(["rm", "c6.vhd", "/etc/passwd"])
        #expect(put.status == 1)
        #expect(put.stderr == "vhdedit: c6.vhd: cannot open the image for writing: Permission denied\n")
        let generalize = try asNobody(["generalize", "c6.vhd"])
        #expect(generalize.status == 1)
        #expect(generalize.stderr == "vhdedit: c6.vhd: cannot open the image for writing: Permission denied\n")
        let read = try asNobody(["cat", "c6.vhd", "/etc/redhat-release"])
        #expect(read.status == 0 && read.output == "CentOS release 6.10 (Final)\n")
        #expect(try FileDigest.sha256(work.image) == before)
    }

    /// `create IMAGE --parent IMAGE --force` replaced the parent with a differencing child of itself (the
    /// image's data was gone); convert refused the same-file case, create did not. Now the parent and every image
    /// its chain reads through are refused as destinations, and nothing is written.
    @Test func createNeverReplacesItsOwnParent() throws {
        let work = try Work()
        #expect(try work.run(["create", "mid.vhd", "--parent", "c6.vhd"]).status == 0)
        #expect(try work.run(["create", "top.vhd", "--parent", "mid.vhd"]).status == 0)
        let before = try [work.image, work.file("mid.vhd"), work.file("top.vhd")].map(FileDigest.sha256)
        let cases: [([String], String)] = [
            (
                ["create", "c6.vhd", "--parent", "c6.vhd", "--force"],
                "vhdedit: c6.vhd: is the parent itself: replacing it with its own child would destroy it\n"
            ),
            (
                ["create", "./mid.vhd", "--parent", "mid.vhd", "--force"],
                "vhdedit: ./mid.vhd: is the parent itself: replacing it with its own child would destroy it\n"
            ),
            (
                ["create", "c6.vhd", "--parent", "top.vhd", "--force"],
                "vhdedit: c6.vhd: is in the parent's chain (c6.vhd): replacing it would break the parent\n"
            ),
        ]
        for (arguments, message) in cases {
            let result = try work.run(arguments)
            #expect(result.status == 1, "\(arguments)")
            #expect(result.stderr == message, "\(arguments): \(result.stderr)")
        }
        // convert --force onto an image of the source's chain: the flattened copy would replace a parent the
        // source still reads through.
        let convert = try work.run(["convert", "top.vhd", "c6.vhd", "--to", "raw", "--force"])
        #expect(convert.status == 1)
        #expect(
            convert.stderr
                == "vhdedit: c6.vhd: is in the source's parent chain (c6.vhd): replacing it would break the source\n")
        #expect(try [work.image, work.file("mid.vhd"), work.file("top.vhd")].map(FileDigest.sha256) == before)
        #expect(try work.names() == ["c6.vhd", "mid.vhd", "top.vhd"])
        // The chain still reads.
        let cat = try work.run(["cat", "top.vhd", "/etc/redhat-release"])
        #expect(cat.status == 0 && cat.output == "CentOS release 6.10 (Final)\n")
    }

    /// `get IMAGE PATH IMAGE` truncated the image to 0 bytes (and so did naming a parent of a differencing
    /// image, or a hard link to it). The local file is now checked against every file the image reads.
    @Test func getNeverWritesTheImageItReads() throws {
        let work = try Work()
        #expect(try work.run(["create", "child.vhd", "--parent", "c6.vhd"]).status == 0)
        try FileManager.default.linkItem(atPath: work.image, toPath: work.file("hardlink.vhd"))
        let before = try [work.image, work.file("child.vhd")].map(FileDigest.sha256)
        let cases: [([String], String)] = [
            (
                ["get", "c6.vhd", "/etc/passwd", "c6.vhd"],
                "vhdedit: c6.vhd: is the image being read: writing it would destroy the image\n"
            ),
            (
                ["get", "c6.vhd", "/etc/passwd", "hardlink.vhd"],
                "vhdedit: hardlink.vhd: is the image being read: writing it would destroy the image\n"
            ),
            (
                ["get", "child.vhd", "/etc/passwd", "./c6.vhd"],
                "vhdedit: ./c6.vhd: is a parent of the image being read (c6.vhd): writing it would destroy the image\n"
            ),
        ]
        for (arguments, message) in cases {
            let result = try work.run(arguments)
            #expect(result.status == 1, "\(arguments)")
            #expect(result.stderr == message, "\(arguments): \(result.stderr)")
        }
        #expect(try [work.image, work.file("child.vhd")].map(FileDigest.sha256) == before)
        let copy = try work.run(["get", "child.vhd", "/etc/redhat-release", "release.txt"])
        #expect(copy.status == 0)
        #expect(
            try String(contentsOfFile: work.file("release.txt"), encoding: .utf8) == "CentOS release 6.10 (Final)\n")
    }
}
