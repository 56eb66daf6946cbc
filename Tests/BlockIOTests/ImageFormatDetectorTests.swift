import BlockIO
import Foundation
import Testing
import _TestSupport

/// The detector keeps every file that was read as a VHD a VHD (the footer is looked for first), and tells
/// qemu-img's qcow2 and VHDX files by their magic.
@Suite struct ImageFormatDetectorTests {
    /// A fixed VHD whose disk bytes begin with a qcow2 header (a qcow2 file wrapped as raw data, which is what
    /// converting a qcow2 used to produce) is still a fixed VHD: its footer decides.
    @Test func aVHDWhoseDiskStartsWithAnotherMagicIsAVHD() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-detector")
        let inner = dir.file("inner.qcow2")
        try ExternalTool.check(["qemu-img", "create", "-q", "-f", "qcow2", inner, "1M"])
        try ExternalTool.check(["truncate", "-s", "1M", inner])
        let wrapped = dir.file("wrapped.vhd")
        try ExternalTool.check([
            "qemu-img", "convert", "-f", "raw", "-O", "vpc", "-o", "subformat=fixed,force_size=on", inner, wrapped,
        ])
        let image = try VHDFixture.open(path: wrapped)
        #expect(image.format == .vhdFixed)
        #expect(try image.device.read(at: 0, count: 4) == [0x51, 0x46, 0x49, 0xFB])
        #expect(
            image.warnings.contains { $0.contains("header of qcow2") && $0.contains("copied byte for byte") },
            "\(image.warnings)")
    }

    @Test func qemuQcow2AndVHDXFilesAreToldByMagic() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-detector")
        for (format, options, expected) in [
            ("qcow2", "compat=0.10", DetectedImageFormat.qcow2), ("qcow2", "compat=1.1", .qcow2), ("vhdx", "", .vhdx),
            ("vpc", "subformat=dynamic", .vhd), ("raw", "", .raw),
        ] {
            let path = dir.file("disk-\(format)-\(options)")
            var create = ["qemu-img", "create", "-q", "-f", format]
            if !options.isEmpty { create += ["-o", options] }
            try ExternalTool.check(create + [path, "1M"])
            let store = try HostFile(path: path, access: .readOnly)
            #expect(try ImageFormatDetector.detect(store) == expected, "\(format) \(options)")
        }
    }
}
