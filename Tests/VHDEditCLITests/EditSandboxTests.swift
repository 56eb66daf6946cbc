import Foundation
import Testing
import _TestSupport

/// `edit` in three processes: the parent parses nothing and never opens the image, a sandboxed child copies the
/// guest file out, `$EDITOR` runs unsandboxed on the copy, and a sandboxed child writes it back, only if the
/// guest file is still what was copied out. Oracles: `strace -f` (which process opened and read the image, and
/// when each installed its seccomp filter), the kernel's own view from inside the editor (`/proc/self/status`),
/// debugfs and `e2fsck -fn` on the result, and the image's SHA-256 where nothing may be written.
@Suite struct EditSandboxTests {
    /// A raw copy of the shipped CentOS 6 image (its root at 1 MiB) and an editor script in a fresh folder.
    final class Work: @unchecked Sendable {
        let directory: TemporaryDirectory
        let image: String

        init() throws {
            directory = try TemporaryDirectory(prefix: "cli-edit-sandbox")
            image = directory.file("disk.raw")
            try ExternalTool.check(["qemu-img", "convert", "-f", "vpc", "-O", "raw", SandboxTraceTests.shipped, image])
            try FileManager.default.createDirectory(atPath: directory.file("tmp"), withIntermediateDirectories: false)
        }

        /// An editor: `script` runs with the copy as `$1`.
        func editor(_ script: String) throws -> String {
            let path = directory.file("editor.sh")
            try Data("#!/bin/sh\n\(script)\n".utf8).write(to: URL(fileURLWithPath: path))
            try ExternalTool.check(["chmod", "755", path])
            return path
        }

        /// `vhdedit ARGS` with `EDITOR`, `TMPDIR` in the folder, and `prefix` (strace) in front.
        func run(_ arguments: [String], editor: String, prefix: [String] = []) throws -> ExternalTool.Result {
            try ExternalTool.run(
                prefix + [CLI.binary] + arguments,
                environment: [
                    "EDITOR": editor, "TMPDIR": directory.file("tmp"), "IMAGE": image, "VHDEDIT": CLI.binary,
                    "WORK": directory.path,
                ])
        }

        /// The root filesystem as a file of its own, for debugfs and e2fsck.
        func root() throws -> String {
            let part = directory.file("root.img")
            try ExternalTool.check(["dd", "if=\(image)", "of=\(part)", "bs=1M", "skip=1", "status=none"])
            return part
        }

        /// What is left in the scratch base folder ($TMPDIR): nothing, once `edit` has ended.
        func leftInTemporaryFolder() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: directory.file("tmp"))
        }
    }

    /// Every process that reads the image enters the sandbox (no-new-privs, Landlock where the kernel has it,
    /// the seccomp filter) before it reads past format detection and opens nothing but its own files after;
    /// the parent never opens the image; the editor's processes never open it and are not sandboxed.
    @Test(.enabled(if: SandboxTraceTests.straceWorks))
    func onlySandboxedChildrenReadTheGuestAndTheEditorIsFree() throws {
        let work = try Work()
        let size = try #require(try FileManager.default.attributesOfItem(atPath: work.image)[.size] as? Int)
        let editor = try work.editor(
            """
            grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status > "$WORK/editor-status"
            printf 'tmpfs /mnt tmpfs defaults 0 0\\n' >> "$1"
            """)
        let trace = work.directory.file("trace")
        let run = try work.run(
            ["edit", work.image, "/etc/fstab"], editor: editor,
            prefix: [
                "strace", "-f", "-qq", "-y", "-o", trace, "-e",
                "trace=prctl,seccomp,landlock_restrict_self,open,openat,openat2,creat,execve,execveat,socket,connect,pread64",
            ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("/etc/fstab: written ("), "\(run.stderr)")
        // The editor ran outside the sandbox (the kernel says so from inside it).
        let status = try String(contentsOfFile: work.directory.file("editor-status"), encoding: .utf8)
        #expect(status == "NoNewPrivs:\t0\nSeccomp:\t0\n", "\(status)")

        var processes: [String: [String]] = [:]  // pid -> its lines, in order
        var order: [String] = []
        for line in try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").map(String.init) {
            let pid = String(line.prefix { $0.isNumber })
            if processes[pid] == nil { order.append(pid) }
            processes[pid, default: []].append(String(line.dropFirst(pid.count).drop { $0 == " " }))
        }
        func call(_ line: String) -> String { String(line.prefix { $0 != "(" }) }
        func touchesImage(_ line: String) -> Bool {
            (["open", "openat", "openat2", "creat"].contains(call(line)) && line.contains("\"\(work.image)\""))
                || (call(line) == "pread64" && line.contains("<\(work.image)>"))
        }
        let parent = try #require(order.first)
        #expect(!(processes[parent] ?? []).contains(where: touchesImage), "the parent opened or read the image")
        #expect(!(processes[parent] ?? []).contains { call($0) == "seccomp" }, "the parent is not sandboxed")
        let readers = order.filter {
            (processes[$0] ?? []).contains { call($0) == "pread64" && $0.contains("<\(work.image)>") }
        }
        #expect(readers.count == 2, "one child reads the file out, one writes it back: \(readers)")
        for pid in readers {
            let lines = processes[pid] ?? []
            #expect(
                lines.first.map { call($0) == "execve" && $0.contains("\"/proc/self/exe\"") } == true,
                "\(pid): a child of vhdedit")
            let filter = try #require(
                lines.firstIndex {
                    call($0) == "seccomp" && $0.contains("SECCOMP_SET_MODE_FILTER") && $0.hasSuffix("= 0")
                }, "\(pid): no seccomp filter")
            #expect(
                lines[..<filter].contains {
                    call($0) == "prctl" && $0.contains("PR_SET_NO_NEW_PRIVS") && $0.hasSuffix("= 0")
                })
            if !lines[..<filter].contains(where: { call($0) == "landlock_restrict_self" }) {
                #expect(run.stderr.contains("no Landlock"), "a notice where the kernel lacks Landlock")
            }
            // Before the filter: format detection's reads only (the cookie at 0 and at the end, the first KiB,
            // the last sector); the guest is parsed after it.
            for read in lines[..<filter] where call(read) == "pread64" && read.contains("<\(work.image)>") {
                let detection =
                    [0, size - 512, size - 511].contains { read.hasSuffix(", 8, \($0)) = 8") }
                    || read.hasSuffix(", 1024, 0) = 1024") || read.hasSuffix(", 512, \(size - 512)) = 512")
                #expect(detection, "\(pid): read the image beyond detection before the sandbox: \(read)")
            }
            #expect(lines[filter...].contains { call($0) == "pread64" && $0.contains("<\(work.image)>") })
            // After it: no program run, no socket; files opened only in the scratch folder or beside the image.
            let after = lines[(filter + 1)...]
            #expect(!after.contains { ["execve", "execveat", "socket", "connect"].contains(call($0)) }, "\(pid)")
            for line in after where ["open", "openat", "openat2", "creat"].contains(call(line)) {
                #expect(
                    line.contains("\"\(work.directory.file("tmp"))/vhdedit-edit.")
                        || line.contains("\"\(work.image).vhdedit-journal\"")
                        || line.contains("\"\(work.directory.path)\""),
                    "\(pid): opened after the sandbox: \(line)")
            }
        }
        // Every other process (the shell running $EDITOR, the editor, grep) never opened the image and never
        // installed a filter.
        for pid in order where pid != parent && !readers.contains(pid) {
            let lines = processes[pid] ?? []
            #expect(!lines.contains(where: touchesImage), "\(pid) touched the image: \(lines)")
            #expect(
                !lines.contains { call($0) == "seccomp" || (call($0) == "prctl" && $0.contains("NO_NEW_PRIVS")) },
                "\(pid) is sandboxed: \(lines)")
        }
        #expect(
            order.contains { pid in (processes[pid] ?? []).contains { call($0) == "execve" && $0.contains(editor) } },
            "the editor ran")
        // The edit is in the image, the filesystem clean, the scratch folder gone.
        let root = try work.root()
        #expect(try Fixtures.debugfs(root, "cat /etc/fstab").hasSuffix("tmpfs /mnt tmpfs defaults 0 0\n"))
        #expect(try ExternalTool.run(["e2fsck", "-fn", root]).status == 0)
        #expect(try work.leftInTemporaryFolder().isEmpty)
    }

    /// The image is not locked while the editor runs; a change made to the guest file meanwhile (here by a
    /// `put` the editor itself runs) is not overwritten: the write-back refuses, the other change stays.
    @Test(arguments: ["/etc/fstab", "/etc/new.conf"])
    func aFileChangedMeanwhileIsNotOverwritten(path: String) throws {
        let work = try Work()
        let other = work.directory.file("other.conf")
        try Data("written meanwhile\n".utf8).write(to: URL(fileURLWithPath: other))
        let editor = try work.editor(
            """
            "$VHDEDIT" put "$IMAGE" "$WORK/other.conf" \(path) || exit 9
            echo 'edited' >> "$1"
            """)
        let run = try work.run(["edit", work.image, path], editor: editor)
        #expect(run.status == 1, "\(run.stderr)")
        let what = path == "/etc/fstab" ? "changed in the image" : "was created in the image"
        #expect(run.stderr == "vhdedit: \(path): \(what) while it was being edited; nothing written\n", "\(run.stderr)")
        let root = try work.root()
        #expect(try Fixtures.debugfs(root, "cat \(path)") == "written meanwhile\n")
        #expect(try ExternalTool.run(["e2fsck", "-fn", root]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: work.image + ".vhdedit-journal"))
        #expect(try work.leftInTemporaryFolder().isEmpty)
    }

    /// An unchanged file writes nothing (not a byte of the image); a symlink's target is edited and the link
    /// kept; a missing file is created 0644 root:root.
    @Test func unchangedWritesNothingLinksAreFollowedMissingFilesAreCreated() throws {
        let work = try Work()
        let before = try FileDigest.sha256(work.image)
        let unchanged = try work.run(["edit", work.image, "/etc/fstab"], editor: "true")
        #expect(
            unchanged.status == 0 && unchanged.stderr == "vhdedit: /etc/fstab: unchanged, nothing written\n",
            "\(unchanged.stderr)")
        #expect(try FileDigest.sha256(work.image) == before)

        #expect(
            try work.run(["symlink", work.image, "/etc/sysconfig/network", "/etc/netlink"], editor: "true").status == 0)
        let appendTo = try work.editor("echo 'MTU=1400' >> \"$1\"")
        let followed = try work.run(["edit", work.image, "/etc/netlink"], editor: appendTo)
        #expect(
            followed.status == 0 && followed.stderr.hasPrefix("vhdedit: /etc/sysconfig/network: written ("),
            "\(followed.stderr)")
        let created = try work.run(["edit", work.image, "/etc/brand-new.conf"], editor: appendTo)
        #expect(created.status == 0, "\(created.stderr)")
        let root = try work.root()
        #expect(try Fixtures.debugfs(root, "cat /etc/sysconfig/network").hasSuffix("MTU=1400\n"))
        #expect(try Fixtures.debugfs(root, "stat /etc/netlink").contains("Fast link dest: \"/etc/sysconfig/network\""))
        #expect(try Fixtures.debugfs(root, "cat /etc/brand-new.conf") == "MTU=1400\n")
        let stat = try Fixtures.debugfs(root, "stat /etc/brand-new.conf")
        #expect(
            stat.contains("Mode:  0644") && stat.contains("User:     0") && stat.contains("Group:     0"), "\(stat)")
        #expect(try ExternalTool.run(["e2fsck", "-fn", root]).status == 0)
        #expect(try work.leftInTemporaryFolder().isEmpty)
    }

    /// A golden image is refused before the editor runs (the person does not edit in vain), and so is a guest
    /// path that is a folder; the scratch folder is gone either way.
    @Test(.enabled(if: getuid() == 0, "root writes a chmod a-w file unless vhdedit refuses"))
    func refusalsComeBeforeTheEditor() throws {
        let work = try Work()
        let editor = try work.editor("touch \"$WORK/editor-ran\"")
        try ExternalTool.check(["chmod", "a-w", work.image])
        let before = try FileDigest.sha256(work.image)
        let golden = try work.run(["edit", work.image, "/etc/fstab"], editor: editor)
        #expect(golden.status == 1 && golden.stderr.contains("write-protected"), "\(golden.stderr)")
        try ExternalTool.check(["chmod", "u+w", work.image])
        let folder = try work.run(["edit", work.image, "/etc"], editor: editor)
        #expect(folder.status == 1 && folder.stderr.contains("/etc"), "\(folder.stderr)")
        #expect(!FileManager.default.fileExists(atPath: work.directory.file("editor-ran")))
        #expect(try FileDigest.sha256(work.image) == before)
        #expect(try work.leftInTemporaryFolder().isEmpty)
    }
}
