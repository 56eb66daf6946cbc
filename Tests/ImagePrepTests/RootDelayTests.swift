import Foundation
import ImagePrep
import Testing
import _TestSupport

/// rootdelay follows the guest's initramfs (archives made by cpio and gzip): not added where the initramfs
/// sleeps it on every boot, unless insisted on; added where it bounds the wait; check judges the same way.
@Suite struct RootDelayTests {
    static func guest(init script: String) throws -> MemoryGuestFiles {
        let bytes = try InitramfsCheckTests.make(
            ["init": script, "scripts/local": "slumber=${ROOTDELAY:-30}\n"], compressor: "gzip -n")
        let files = MemoryGuestFiles([
            "/etc/os-release": "ID=debian\nVERSION_ID=\"12\"\n", "/boot/vmlinuz-6.1.0-13-amd64": "k",
            "/etc/default/grub":
                "GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"console=tty0 console=ttyS0,115200n8\"\n",
            "/boot/grub/grub.cfg":
                "set timeout=5\nmenuentry 'Debian' {\n\tlinux\t/boot/vmlinuz-6.1.0-13-amd64 root=UUID=x ro console=tty0 console=ttyS0,115200n8 quiet\n}\n",
        ])
        files.nodes["/boot/initrd.img-6.1.0-13-amd64"] = .file(bytes, mode: 0o644)
        return files
    }
    static let sleeping = "if [ \"$ROOTDELAY\" ]; then\n\tsleep \"$ROOTDELAY\"\nfi\n"

    static func prepare(
        _ files: MemoryGuestFiles,
        _ options: AzurePreparer.Options = AzurePreparer.Options(selection: OperationSelection(only: ["kernel-args"]))
    ) throws -> [Finding] {
        let plan = try AzurePreparer.plan(
            files: files, inspection: try OSInspector(files: files).inspect(), options: options)
        try PlanApplier.apply(plan.changes, to: files)
        return plan.findings
    }

    @Test func anUnconditionalSleepGetsNoRootdelayUnlessInsisted() throws {
        let files = try Self.guest(init: Self.sleeping)
        let findings = try Self.prepare(files)
        let why = try #require(findings.first { $0.message.contains("rootdelay=300 not added") })
        #expect(why.message.contains("init:2: sleep \"$ROOTDELAY\"") && why.path == "/boot/initrd.img-6.1.0-13-amd64")
        let cfg = try #require(files.text("/boot/grub/grub.cfg"))
        #expect(
            !cfg.contains("rootdelay") && cfg.contains("console=ttyS0,115200n8 quiet earlyprintk=ttyS0\n")
                && !cfg.contains("console=ttyS0 "))
        let results = try CheckerUnitTests.results(files)
        #expect(results.filter { $0.id == "boot.kernel-args" }.map(\.verdict) == [.pass, .pass])
        #expect(results.filter { $0.id == "boot.rootdelay" }.map(\.verdict) == [.pass, .pass])

        // --rootdelay 300: added, and check warns about the 300 s every boot waits (never fails).
        let insisted = try Self.guest(init: Self.sleeping)
        _ = try Self.prepare(
            insisted, AzurePreparer.Options(selection: OperationSelection(only: ["kernel-args"]), rootDelay: 300))
        #expect(try #require(insisted.text("/boot/grub/grub.cfg")).contains("rootdelay=300"))
        let warned = try CheckerUnitTests.results(insisted).filter { $0.id == "boot.rootdelay" }
        #expect(
            warned.map(\.verdict) == [.warn, .warn]
                && warned.first?.evidence.contains("every boot sleeps 300 s") == true)
        #expect(
            try CheckerUnitTests.results(insisted).filter { $0.id == "boot.kernel-args" }.allSatisfy {
                $0.verdict == .pass
            })
    }

    @Test func aBoundedWaitGetsRootdelay300() throws {
        let files = try Self.guest(init: "exec run-init /root /sbin/init\n")
        let findings = try Self.prepare(files)
        #expect(!findings.contains { $0.message.contains("rootdelay") })
        #expect(try #require(files.text("/boot/grub/grub.cfg")).contains("rootdelay=300"))
        let results = try CheckerUnitTests.results(files)
        #expect(results.filter { $0.id == "boot.rootdelay" }.isEmpty)
        #expect(results.filter { $0.id == "boot.kernel-args" }.allSatisfy { $0.verdict == .pass })
    }
}
