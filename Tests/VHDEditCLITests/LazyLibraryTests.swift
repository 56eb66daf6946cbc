import Foundation
import Testing
import _TestSupport

/// libselinux (with libpcre2), libseccomp and the decompressors are not linked into `vhdedit`: libselinux and
/// the decompressors are opened with `dlopen` only by the commands that need them, before the sandbox locks
/// the process down, and the seccomp filter is built without libseccomp. Oracles: `readelf -d` (what the
/// dynamic loader maps at start), `strace -f` (which libraries a run opens, and when), and for the SELinux
/// write through the sandbox `matchpathcon -f` and `debugfs ea_get` (the label) and `e2fsck -fn`.
@Suite struct LazyLibraryTests {
    static let lazy = ["libselinux.so", "libpcre2", "libseccomp.so", "libz.so", "liblzma.so", "libzstd.so"]
    static let hostPolicy = "/etc/selinux/default/contexts/files"

    static var straceWorks: Bool {
        (try? ExternalTool.run(["strace", "-f", "-qq", "-o", "/dev/null", "true"]).status) == 0
    }

    /// The `openat`/`seccomp` lines of `strace -f` running `vhdedit arguments`.
    static func trace(_ arguments: [String], in dir: TemporaryDirectory) throws -> (ExternalTool.Result, [String]) {
        let log = dir.file("trace")
        let run = try ExternalTool.run(
            ["strace", "-f", "-qq", "-o", log, "-e", "trace=openat,open,seccomp"] + [CLI.binary] + arguments)
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        return (run, lines)
    }

    @Test func theBinaryNeedsNoneOfTheLazyLibraries() throws {
        let dynamic = try ExternalTool.check(["readelf", "-d", CLI.binary]).output
        let needed = dynamic.split(separator: "\n").filter { $0.contains("(NEEDED)") }
        #expect(needed.contains { $0.contains("libext2fs.so") }, "readelf shows the linked libraries: \(needed)")
        for library in Self.lazy {
            #expect(!needed.contains { $0.contains(library) }, "\(library) is linked: \(needed)")
        }
    }

    @Test(.enabled(if: straceWorks)) func catOfAVHDOpensNoLazyLibrary() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-lazy")
        let (run, lines) = try Self.trace(["cat", SandboxTraceTests.shipped, "/etc/fstab"], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.output.contains("/dev/shm"))
        #expect(lines.contains { $0.contains("SECCOMP_SET_MODE_FILTER") && $0.hasSuffix("= 0") }, "sandboxed")
        let opened = lines.filter { line in Self.lazy.contains { line.contains($0) } }
        #expect(opened.isEmpty, "\(opened)")
    }

    /// A write on an enforcing SELinux guest, sandboxed: libselinux is opened before the filter (Landlock and
    /// seccomp would refuse it later), and the new file gets the label the guest's policy gives its path.
    @Test(.enabled(if: straceWorks && FileManager.default.fileExists(atPath: hostPolicy + "/file_contexts")))
    func aSandboxedWriteOnAnSELinuxGuestLoadsLibselinuxFirstAndLabels() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-lazy")
        let root = dir.file("root")
        let contexts = root + "/etc/selinux/targeted/contexts/files"
        try FileManager.default.createDirectory(atPath: contexts, withIntermediateDirectories: true)
        for name in ["file_contexts", "file_contexts.homedirs"] {
            try FileManager.default.copyItem(atPath: Self.hostPolicy + "/" + name, toPath: contexts + "/" + name)
        }
        try "SELINUX=enforcing\nSELINUXTYPE=targeted\n".write(
            toFile: root + "/etc/selinux/config", atomically: false, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: root + "/root/.ssh", withIntermediateDirectories: true)
        let image = dir.file("disk.img")
        try ExternalTool.check(["mkfs.ext4", "-q", "-F", "-I", "256", "-d", root, image, "32M"])
        let local = dir.file("keys")
        try "ssh-ed25519 AAAA test\n".write(toFile: local, atomically: false, encoding: .utf8)

        let (run, lines) = try Self.trace(["put", image, local, "/root/.ssh/authorized_keys"], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        let filter = try #require(lines.firstIndex { $0.contains("SECCOMP_SET_MODE_FILTER") && $0.hasSuffix("= 0") })
        let selinux = try #require(
            lines.firstIndex { $0.contains("libselinux.so.1") && !$0.contains("ENOENT") }, "libselinux was not opened")
        #expect(selinux < filter, "libselinux opened after the lock-down")
        #expect(!lines.contains { $0.contains("libseccomp") })

        let expected = try ExternalTool.check([
            "matchpathcon", "-f", contexts + "/file_contexts", "-m", "file", "/root/.ssh/authorized_keys",
        ]).output.split(separator: "\t").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        let stored = try ExternalTool.check([
            "debugfs", "-R", "ea_get /root/.ssh/authorized_keys security.selinux", image,
        ]).output
        let label = try #require(expected)
        #expect(label.contains("ssh_home_t"), "\(label)")
        // debugfs prints the value in quotes, the kernel's trailing NUL as \000.
        let quoted = stored.split(separator: "\"", omittingEmptySubsequences: false)
        let value = quoted.count >= 3 ? String(quoted[1]) : stored
        #expect(value == label || value == label + "\\000", "debugfs: \(stored)")
        #expect(try ExternalTool.run(["e2fsck", "-fn", image]).status == 0)
    }
}
