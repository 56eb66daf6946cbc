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

    static func verdicts(_ bytes: [UInt8], name: String = "initramfs-5.14.0-362.el9.x86_64.img", extra: [String: String] = [:]) throws -> [CheckResult] {
        let files = MemoryGuestFiles(extra)
        files.addParents("/boot/x")
        files.nodes["/boot"] = .directory(mode: 0o755)
        files.nodes["/boot/" + name] = .file(bytes, mode: 0o600)
        return try CheckerUnitTests.results(files).filter { $0.id == "boot.initramfs-hv" }
    }

    static let modules = "usr/lib/modules/5.14.0-362.el9.x86_64/kernel/drivers"

    @Test func gzipWithModulesOfEveryCompressionPasses() throws {
        let bytes = try Self.make([
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
        let noNet = try Self.make(["\(Self.modules)/hv/hv_vmbus.ko.xz": "m", "\(Self.modules)/scsi/hv_storvsc.ko.xz": "m"], compressor: "xz --check=crc32")
        #expect(try Self.verdicts(noNet).map(\.verdict) == [.warn])
    }

    @Test func zstdWithBuiltinDriversPasses() throws {
        let builtin = "kernel/drivers/hv/hv_vmbus.ko\nkernel/drivers/scsi/hv_storvsc.ko\nkernel/drivers/net/hyperv/hv_netvsc.ko\n"
        let bytes = try Self.make(["usr/lib/modules/6.1.0/modules.builtin": builtin, "init": "x"], compressor: "zstd -q -c")
        #expect(try Initramfs(bytes, path: "/boot/x", keep: { $0.hasSuffix("/modules.builtin") }).segments == ["none", "zstd"])
        #expect(try Self.verdicts(bytes, name: "initramfs-6.1.0.img").map(\.verdict) == [.pass])
        // Built in per the root's /lib/modules/<release>/modules.builtin, with an initramfs that lacks them.
        let bare = try Self.make(["init": "x"], compressor: "zstd -q -c")
        #expect(try Self.verdicts(bare, name: "initramfs-6.1.0.img").map(\.verdict) == [.fail])
        #expect(try Self.verdicts(bare, name: "initramfs-6.1.0.img", extra: ["/lib/modules/6.1.0/modules.builtin": builtin]).map(\.verdict) == [.pass])
    }

    @Test func aTruncatedOrGarbledInitramfsIsATypedErrorWithTheOffset() throws {
        let bytes = try Self.make(["\(Self.modules)/hv/hv_vmbus.ko": String(repeating: "m", count: 5000)], compressor: "gzip -n")
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
