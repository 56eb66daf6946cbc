import Foundation
import ImagePrep
import Testing
import _TestSupport

/// §b.12 over initramfs images made by the real tools (`cpio -o -H newc`, gzip, `xz --check=crc32`, zstd),
/// early microcode archive first as dracut and initramfs-tools write it.
@Suite struct InitramfsCheckTests {
    /// An initramfs holding `files` (relative paths, with contents) compressed by `compressor`, after an
    /// uncompressed early cpio.
    static func make(_ files: [String: String], compressor: String) throws -> [UInt8] {
        let work = try TemporaryDirectory()
        var script = "set -e; cd \(work.path); mkdir -p early/kernel/x86/microcode main\n"
        script += "echo ucode > early/kernel/x86/microcode/GenuineIntel.bin\n"
        for (path, text) in files {
            script += "mkdir -p \"main/$(dirname \(path))\"; printf '%s' '\(text)' > main/\(path)\n"
        }
        script += "(cd early && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > out.img\n"
        script += "(cd main && find . | LC_ALL=C sort | cpio -o -H newc --quiet | \(compressor)) >> out.img\n"
        _ = try ExternalTool.shell(script)
        return Array(try Data(contentsOf: URL(fileURLWithPath: work.file("out.img"))))
    }

    static func verdicts(
        _ bytes: [UInt8], name: String = "initramfs-5.14.0-362.el9.x86_64.img", extra: [String: String] = [:]
    ) throws -> [CheckResult] {
        let files = MemoryGuestFiles(extra)
        files.addParents("/boot/x")
        files.nodes["/boot"] = .directory(mode: 0o755)
        files.nodes["/boot/" + name] = .file(bytes, mode: 0o600)
        return try CheckerUnitTests.results(files).filter { $0.id == "boot.initramfs-hv" }
    }

    static let modules = "usr/lib/modules/5.14.0-362.el9.x86_64/kernel/drivers"

    @Test func gzipWithModulesOfEveryCompressionPasses() throws {
        let bytes = try Self.make(
            [
                "\(Self.modules)/hv/hv_vmbus.ko": "m", "\(Self.modules)/scsi/hv_storvsc.ko.xz": "m",
                "\(Self.modules)/net/hyperv/hv_netvsc.ko.zst": "m",
            ], compressor: "gzip -n")
        let archive = try Initramfs(bytes, path: "/boot/x")
        #expect(archive.segments == ["none", "gzip"])
        #expect(archive.entries.contains { $0.name.hasSuffix("GenuineIntel.bin") })
        #expect(archive.moduleNames.isSuperset(of: ["hv_vmbus", "hv_storvsc", "hv_netvsc"]))
        let results = try Self.verdicts(bytes)
        #expect(results.map(\.verdict) == [.pass])
        #expect(results.first?.path == "/boot/initramfs-5.14.0-362.el9.x86_64.img")
    }

    @Test func xzWithoutStorvscFailsAndWithoutNetvscWarns() throws {
        let noStorage = try Self.make(["\(Self.modules)/hv/hv_vmbus.ko.xz": "m"], compressor: "xz --check=crc32")
        let failed = try Self.verdicts(noStorage, name: "initrd.img-5.4.0-42-generic")
        #expect(failed.map(\.verdict) == [.fail])
        #expect(failed.first?.evidence.contains("hv_storvsc") == true)
        #expect(failed.first?.evidence.contains("xz") == true)
        let noNet = try Self.make(
            ["\(Self.modules)/hv/hv_vmbus.ko.xz": "m", "\(Self.modules)/scsi/hv_storvsc.ko.xz": "m"],
            compressor: "xz --check=crc32")
        #expect(try Self.verdicts(noNet).map(\.verdict) == [.warn])
    }

    @Test func zstdWithBuiltinDriversPasses() throws {
        let builtin =
            "kernel/drivers/hv/hv_vmbus.ko\nkernel/drivers/scsi/hv_storvsc.ko\nkernel/drivers/net/hyperv/hv_netvsc.ko\n"
        let bytes = try Self.make(
            ["usr/lib/modules/6.1.0/modules.builtin": builtin, "init": "x"], compressor: "zstd -q -c")
        #expect(
            try Initramfs(bytes, path: "/boot/x", keep: { $0.hasSuffix("/modules.builtin") }).segments == [
                "none", "zstd",
            ])
        #expect(try Self.verdicts(bytes, name: "initramfs-6.1.0.img").map(\.verdict) == [.pass])
        // Built in per the root's /lib/modules/<release>/modules.builtin, with an initramfs that lacks them.
        let bare = try Self.make(["init": "x"], compressor: "zstd -q -c")
        #expect(try Self.verdicts(bare, name: "initramfs-6.1.0.img").map(\.verdict) == [.fail])
        #expect(
            try Self.verdicts(bare, name: "initramfs-6.1.0.img", extra: ["/lib/modules/6.1.0/modules.builtin": builtin])
                .map(\.verdict) == [.pass])
    }

    @Test func nvmeDriversInTheInitramfsOrBuiltInPassOtherwiseWarn() throws {
        let hv = [
            "\(Self.modules)/hv/hv_vmbus.ko.xz": "m", "\(Self.modules)/scsi/hv_storvsc.ko.xz": "m",
            "\(Self.modules)/net/hyperv/hv_netvsc.ko.xz": "m",
        ]
        func nvme(_ bytes: [UInt8], extra: [String: String] = [:]) throws -> [CheckResult] {
            let files = MemoryGuestFiles(extra)
            files.addParents("/boot/x")
            files.nodes["/boot"] = .directory(mode: 0o755)
            files.nodes["/boot/initramfs-5.14.0-362.el9.x86_64.img"] = .file(bytes, mode: 0o600)
            return try CheckerUnitTests.results(files).filter { $0.id == "boot.initramfs-nvme" }
        }
        // dracut's module files: nvme.ko.xz and nvme-core.ko.xz (the module is named nvme_core).
        let with = try Self.make(
            hv.merging(["\(Self.modules)/nvme/host/nvme.ko.xz": "m", "\(Self.modules)/nvme/host/nvme-core.ko.xz": "m"])
            { a, _ in a },
            compressor: "xz --check=crc32")
        let passed = try nvme(with)
        #expect(passed.map(\.verdict) == [.pass])
        #expect(passed.first?.path == "/boot/initramfs-5.14.0-362.el9.x86_64.img")
        // Only nvme_core: a warning (never a failure) naming the missing module and where built-ins were looked for.
        let onlyCore = try Self.make(
            hv.merging(["\(Self.modules)/nvme/host/nvme-core.ko.xz": "m"]) { a, _ in a }, compressor: "xz --check=crc32"
        )
        let warned = try nvme(onlyCore)
        #expect(warned.map(\.verdict) == [.warn])
        #expect(warned.first?.evidence.contains("missing nvme (") == true)
        #expect(warned.first?.evidence.contains("/lib/modules/5.14.0-362.el9.x86_64/modules.builtin") == true)
        #expect(warned.first?.path == "/boot/initramfs-5.14.0-362.el9.x86_64.img")
        // Both built into the kernel per the root's modules.builtin.
        let builtin = "kernel/drivers/nvme/host/nvme-core.ko\nkernel/drivers/nvme/host/nvme.ko\n"
        #expect(
            try nvme(onlyCore, extra: ["/lib/modules/5.14.0-362.el9.x86_64/modules.builtin": builtin]).map(\.verdict)
                == [.pass])
        // The hv check is unchanged by the NVMe modules being absent.
        #expect(try Self.verdicts(Self.make(hv, compressor: "xz --check=crc32")).map(\.verdict) == [.pass])
        #expect(try nvme(Self.make(hv, compressor: "gzip -n")).map(\.verdict) == [.warn])
    }

    /// xz and zstd initramfs images read through a real ext4 (mkfs.ext4 -d) in an MBR disk, as `check` reads a
    /// TestImages image: the Ubuntu-style `initrd.img-*` names, modules.builtin under /lib/modules.
    @Test func xzAndZstdInitramfsInsideARealExt4Image() throws {
        let work = try TemporaryDirectory()
        let azure = "5.4.0-1089-azure", generic = "5.15.0-91-generic"
        func tree(_ release: String) -> String { "usr/lib/modules/\(release)/kernel/drivers" }
        let script = """
            set -e; export LC_ALL=C E2FSPROGS_FAKE_TIME=1700000000 PATH="$PATH:/usr/sbin:/sbin"; cd \(work.path)
            mkdir -p root/etc root/boot root/lib/modules/\(generic) root/sbin xzd/\(tree(azure))/hv xzd/\(tree(azure))/scsi \\
              xzd/\(tree(azure))/net/hyperv xzd/\(tree(azure))/nvme/host zsd/\(tree(generic))/hv zsd/\(tree(generic))/net/hyperv
            printf 'NAME="Ubuntu"\\nID=ubuntu\\nID_LIKE=debian\\nVERSION_ID="20.04"\\n' > root/etc/os-release
            printf 'UUID=4c1e7a3c-0000-4000-8000-0000000000e2 / ext4 defaults 0 1\\n' > root/etc/fstab
            printf 'root:x:0:0:root:/root:/bin/bash\\n' > root/etc/passwd
            for f in hv/hv_vmbus scsi/hv_storvsc net/hyperv/hv_netvsc nvme/host/nvme nvme/host/nvme-core; do
              head -c 3000 /dev/urandom > xzd/\(tree(azure))/$f.ko; done
            for f in hv/hv_vmbus net/hyperv/hv_netvsc; do head -c 3000 /dev/urandom > zsd/\(tree(generic))/$f.ko.zst; done
            printf 'kernel/drivers/nvme/host/nvme-core.ko\\n' > root/lib/modules/\(generic)/modules.builtin
            (cd xzd && find . | sort | cpio -o -H newc --quiet | xz --check=crc32) > root/boot/initrd.img-\(azure)
            (cd zsd && find . | sort | cpio -o -H newc --quiet | zstd -q -c) > root/boot/initrd.img-\(generic)
            xz -t root/boot/initrd.img-\(azure); zstd -q -t root/boot/initrd.img-\(generic)
            truncate -s 48M disk.raw
            echo 'start=2048, type=83' | sfdisk -q disk.raw
            mkfs.ext4 -q -F -E offset=1048576 -U 4c1e7a3c-0000-4000-8000-0000000000e2 -d root disk.raw 46M
            e2fsck -fn 'disk.raw?offset=1048576' >/dev/null
            """
        _ = try ExternalTool.shell(script)
        let image = work.file("disk.raw")
        let report = try ImagePreparation.check(image)
        func result(_ id: String, _ release: String) throws -> CheckResult {
            try #require(report.results.first { $0.id == id && $0.path == "/boot/initrd.img-\(release)" })
        }
        #expect(report.results.filter { $0.id == "boot.initramfs-hv" }.count == 2)
        #expect(report.results.filter { $0.id == "boot.initramfs-nvme" }.count == 2)
        // xz: every Hyper-V and NVMe driver decoded out of the archive.
        let xzHV = try result("boot.initramfs-hv", azure)
        #expect(xzHV.verdict == .pass && xzHV.evidence.contains("xz"))
        #expect(try result("boot.initramfs-nvme", azure).verdict == .pass)
        // zstd: hv_storvsc is absent (a failure); nvme_core is built in but nvme is not (a warning).
        let zstdHV = try result("boot.initramfs-hv", generic)
        #expect(
            zstdHV.verdict == .fail && zstdHV.evidence.contains("missing hv_storvsc")
                && zstdHV.evidence.contains("zstd"))
        let zstdNVMe = try result("boot.initramfs-nvme", generic)
        #expect(zstdNVMe.verdict == .warn)
        #expect(
            zstdNVMe.evidence.contains("missing nvme (")
                && zstdNVMe.evidence.contains("/lib/modules/\(generic)/modules.builtin"))
    }

    @Test func aTruncatedOrGarbledInitramfsIsATypedErrorWithTheOffset() throws {
        let bytes = try Self.make(
            ["\(Self.modules)/hv/hv_vmbus.ko": String(repeating: "m", count: 5000)], compressor: "gzip -n")
        let cut = Array(bytes.prefix(bytes.count - 40))
        #expect(throws: InitramfsError.self) { try Initramfs(cut, path: "/boot/cut") }
        do { _ = try Initramfs(cut, path: "/boot/cut") } catch {
            #expect(error.code == .truncated || error.code == .corrupt)
            #expect(error.path == "/boot/cut" && error.offset > 0)
        }
        #expect(try Self.verdicts(cut).map(\.verdict) == [.warn])
        var garbled = bytes
        garbled[54] = UInt8(ascii: "Z")  // the file-size field (6) is not hexadecimal
        do { _ = try Initramfs(garbled, path: "/boot/g"); Issue.record("accepted a bad header") } catch {
            #expect(error.code == .badHeader && error.offset == 54)
        }
    }
}
