import Foundation
import Testing
import _TestSupport

/// `strace -f` of the commands that parse a guest: the sandbox (no-new-privs, Landlock where the kernel has it,
/// the seccomp filter) is installed before the first guest byte is parsed, and afterwards no file is opened, no
/// program run and no socket made.
///
/// The point is defined as: after the image container is open (a raw image: format detection has read the
/// 8-byte cookie at offset 0 and at the footer's place, 512 or 511 bytes before the end) and before the
/// partition table is read. On a raw image every read of the image before the filter is one of detection's
/// cookie reads; parsing (partition table, filesystem) reads after it.
@Suite struct SandboxTraceTests {
    static let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("TestImages/centos6-dynamic.vhd").path

    static var straceWorks: Bool {
        (try? ExternalTool.run(["strace", "-f", "-qq", "-o", "/dev/null", "true"]).status) == 0
    }

    static let commands: [[String]] = [
        ["cat", "IMG", "/etc/fstab"], ["ls", "IMG", "/etc"], ["stat", "IMG", "/etc/passwd"],
        ["inspect", "IMG", "--json"],
        ["check", "IMG"], ["generalize", "--dry-run", "IMG"], ["azure-prepare", "--dry-run", "IMG"],
        ["partitions", "IMG"], ["info", "IMG", "--json"],
        ["config", "get", "IMG", "/etc/waagent.conf", "Provisioning.Enabled"], ["kernel-args", "IMG"],
    ]

    @Test(.enabled(if: straceWorks), arguments: commands)
    func theSandboxIsUpBeforeParsingAndNothingIsOpenedAfter(command: [String]) throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-sandbox-trace")
        let image = dir.file("disk.raw")
        try ExternalTool.check(["qemu-img", "convert", "-f", "vpc", "-O", "raw", Self.shipped, image])
        let size = try #require(try FileManager.default.attributesOfItem(atPath: image)[.size] as? Int)
        let trace = dir.file("trace")
        let arguments = command.map { $0 == "IMG" ? image : $0 }
        let run = try ExternalTool.run(
            [
                "strace", "-f", "-qq", "-y", "-o", trace, "-e",
                "trace=prctl,seccomp,landlock_restrict_self,open,openat,openat2,creat,execve,execveat,socket,connect,pread64",
            ]
                + [CLI.binary] + arguments)
        #expect(run.status == 0 || command[0] == "check", "\(command): \(run.stderr)")
        #expect(!run.output.isEmpty, "\(command) printed its result")
        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").map(String.init)
        func call(_ line: String) -> String {
            String(line.drop { $0.isNumber }.drop { $0 == " " }.prefix { $0 != "(" })
        }
        let filter = try #require(
            lines.firstIndex {
                call($0) == "seccomp" && $0.contains("SECCOMP_SET_MODE_FILTER") && $0.contains("filter=")
                    && $0.hasSuffix("= 0")
            },
            "\(command): no seccomp filter installed")
        #expect(
            lines[..<filter].contains {
                call($0) == "prctl" && $0.contains("PR_SET_NO_NEW_PRIVS") && $0.contains("= 0")
            })
        let landlockAvailable = lines[..<filter].contains { call($0) == "landlock_restrict_self" }
        if landlockAvailable {
            #expect(lines[..<filter].contains { call($0) == "landlock_restrict_self" && $0.contains("= 0") })
        } else {
            #expect(run.stderr.contains("no Landlock"), "a notice where the kernel lacks Landlock")
        }
        // Before: only detection's reads of the image.
        let imageReads = { (range: ArraySlice<String>) in
            range.filter { call($0) == "pread64" && $0.contains("<\(image)>") }
        }
        for read in imageReads(lines[..<filter]) {
            // The format detection: the VHD cookie (8 bytes at 0 and at the end), the first KiB and the last sector.
            let head = min(size, 1024)
            let detection =
                [0, size - 512, size - 511].contains { read.hasSuffix(", 8, \($0)) = 8") }
                || read.hasSuffix(", \(head), 0) = \(head)") || read.hasSuffix(", 512, \(size - 512)) = 512")
            #expect(detection, "\(command): the image was read beyond detection before the sandbox: \(read)")
        }
        #expect(!imageReads(lines[filter...]).isEmpty, "\(command): the guest is parsed after the sandbox")
        // After: no open, exec or socket at all.
        let forbidden: Set = ["open", "openat", "openat2", "creat", "execve", "execveat", "socket", "connect"]
        let after = lines[(filter + 1)...].filter { forbidden.contains(call($0)) }
        #expect(after.isEmpty, "\(command): after the sandbox: \(after)")
    }

    /// Commands that write: the same lock-down, except that files may be opened in the image's folder (the redo
    /// log beside the image, the folder for its fsync), and only there; `get`: in its host file's folder.
    static let writers: [[String]] = [
        ["put", "IMG", "LOCAL", "/etc/sandboxed.conf"], ["rm", "IMG", "/etc/fstab"], ["generalize", "IMG"],
        ["config", "set", "IMG", "/etc/waagent.conf", "ResourceDisk.Format=y"], ["get", "IMG", "/etc/fstab", "LOCAL"],
        ["kernel-args", "IMG", "--add", "console=ttyS0"],
    ]

    @Test(.enabled(if: straceWorks), arguments: writers)
    func writersAreSandboxedToTheImageFolder(command: [String]) throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-sandbox-trace")
        let image = dir.file("disk.vhd")
        try FileManager.default.copyItem(atPath: Self.shipped, toPath: image)
        let local = dir.file("local.conf")
        try Data("sandboxed\n".utf8).write(to: URL(fileURLWithPath: local))
        let trace = dir.file("trace")
        let arguments = command.map { $0 == "IMG" ? image : $0 == "LOCAL" ? local : $0 }
        let run = try ExternalTool.run(
            [
                "strace", "-f", "-qq", "-o", trace, "-e",
                "trace=prctl,seccomp,landlock_restrict_self,open,openat,openat2,creat,execve,execveat,socket,connect",
            ]
                + [CLI.binary] + arguments)
        #expect(run.status == 0, "\(command): \(run.stderr)")
        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").map(String.init)
        func call(_ line: String) -> String {
            String(line.drop { $0.isNumber }.drop { $0 == " " }.prefix { $0 != "(" })
        }
        let filter = try #require(
            lines.firstIndex {
                call($0) == "seccomp" && $0.contains("SECCOMP_SET_MODE_FILTER") && $0.contains("filter=")
                    && $0.hasSuffix("= 0")
            }, "\(command): no seccomp filter installed")
        #expect(lines[..<filter].contains { call($0) == "landlock_restrict_self" && $0.hasSuffix("= 0") })
        let after = lines[(filter + 1)...]
        #expect(!after.contains { ["execve", "execveat", "socket", "connect"].contains(call($0)) }, "\(command)")
        // The commit's opens: the redo log beside the image and the folder, nothing else.
        for line in after where ["open", "openat", "openat2", "creat"].contains(call(line)) {
            let allowed = command[0] == "get" ? "\"\(local)\"" : "\"\(image).vhdedit-journal\""
            #expect(
                line.contains(allowed) || line.contains("\"\(dir.path)\""),
                "\(command): opened after the sandbox: \(line)")
        }
        // The edit was committed through the sandbox and the filesystem is clean (partition 1 at 1 MiB).
        #expect(!FileManager.default.fileExists(atPath: image + ".vhdedit-journal"))
        let raw = dir.file("flat.raw")
        try ExternalTool.check(["qemu-img", "convert", "-f", "vpc", "-O", "raw", image, raw])
        #expect(try Fixtures.fsck(raw, offset: 1 << 20).status == 0, "\(command): e2fsck -fn")
        if command[0] == "get" {
            #expect(try FileDigest.sha256(image) == (try FileDigest.sha256(Self.shipped)), "get wrote the image")
            #expect(
                try String(contentsOfFile: local, encoding: .utf8).contains("/dev/shm"), "get copied /etc/fstab out")
        } else {
            #expect(
                try FileDigest.sha256(image) != (try FileDigest.sha256(Self.shipped)), "\(command) changed the image")
        }
    }

    @Test func noSandboxOptsOut() throws {
        guard Self.straceWorks else { return }
        let dir = try TemporaryDirectory(prefix: "vhdedit-sandbox-trace")
        let trace = dir.file("trace")
        let run = try ExternalTool.run(
            [
                "strace", "-f", "-qq", "-o", trace, "-e", "trace=seccomp", CLI.binary, "cat", "--no-sandbox",
                Self.shipped,
                "/etc/fstab",
            ])
        #expect(run.status == 0)
        #expect(!(try String(contentsOfFile: trace, encoding: .utf8)).contains("SECCOMP_SET_MODE_FILTER"))
    }
}
