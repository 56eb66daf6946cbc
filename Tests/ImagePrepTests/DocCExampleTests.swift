import BlockIO
import DiskLayout
import Ext4
import Foundation
import GuestConfig
import ImagePrep
import Testing
import VHDEditKit
import _TestSupport

// The example of each module's DocC landing page (Sources/MODULE/Documentation.docc/MODULE.md, "## Example"),
// compiled here word for word between the EXAMPLE markers and run on a copy of the shipped test image; the
// first test checks that page and file still say the same.

// EXAMPLE BlockIO
/// The container format, the virtual size and whether sector 0 ends with the MBR signature 55 AA.
func describeImage(at path: String) throws -> (format: String, size: UInt64, hasMBRSignature: Bool) {
    let image = try DiskImage.open(path: path)  // read-only, shared lock; VHD or raw detected by content
    let sector = try image.device.read(at: 0, count: 512)
    return (image.format.rawValue, image.device.size, sector[510] == 0x55 && sector[511] == 0xAA)
}
// END EXAMPLE

// EXAMPLE DiskLayout
/// Each partition's number, start in bytes and filesystem type, and the partition chosen as the Linux root.
func describePartitions(at path: String) throws -> (partitions: [(Int, UInt64, String?)], root: Int?) {
    let image = try DiskImage.open(path: path)
    let disk = try PartitionedDisk.inspect(image.device)  // MBR or GPT, each filesystem probed by libblkid
    let partitions = disk.volumes.compactMap { volume in
        volume.number.map { ($0, volume.start, volume.signature?.type) }
    }
    let root = try RootSelector.select(in: disk)
    return (partitions, root.volume.number)
}
// END EXAMPLE

// EXAMPLE Ext4
/// The names in the guest's /etc and the first line of its /etc/fstab, read without mounting anything.
func listGuestEtc(at path: String) throws -> (names: [String], fstabFirstLine: String) {
    let volume = try ImageVolume.open(path: path)  // the Linux root, found as `partitions` shows it
    let filesystem = try Ext4FileSystem(device: volume.device)
    let names = try filesystem.list(GuestPath("/etc")).map { $0.name.display }
    let fstab = String(decoding: try filesystem.readFile(GuestPath("/etc/fstab")), as: UTF8.self)
    return (names, fstab.split(separator: "\n").first.map(String.init) ?? "")
}
// END EXAMPLE

// EXAMPLE GuestConfig
/// sshd_config text with ClientAliveInterval set to Azure's recommended 180 seconds; every other byte kept.
func withClientAlive(_ sshdConfig: String) throws -> String {
    var config = SSHDaemonConfig(sshdConfig, path: "/etc/ssh/sshd_config")
    _ = try config.setClientAliveInterval()  // replaces an existing line or adds one before any Match block
    return config.text
}
// END EXAMPLE

// EXAMPLE ImagePrep
/// The guest paths a generalize would delete or rewrite, planned without writing a byte of the image.
func plannedGeneralize(at path: String) throws -> [String] {
    let plan = try ImagePreparation.generalize(path, dryRun: true)
    return plan.changes.map { "\($0.action.rawValue) \($0.path)" }
}
// END EXAMPLE

// EXAMPLE VHDEditKit
/// The guest's distribution and how many changes a generalize would make, planned without writing a byte.
func summarize(image path: String) throws -> (distribution: String, plannedChanges: Int) {
    let inspection = try ImagePreparation.inspect(path)  // partitions, root, distribution, bootloader, agent
    let plan = try ImagePreparation.generalize(path, dryRun: true)
    return (inspection.guest.distribution.id, plan.changes.count)
}
// END EXAMPLE

// EXAMPLE HostSystem
/// The exit status (`nil` when a signal ended it) and the standard output of `program` run with `arguments`.
func runAndCapture(_ program: String, _ arguments: [String]) throws -> (status: Int32?, output: String) {
    let outcome = try ChildProcess(program: program, arguments: arguments).run(capture: true, timeout: 10)
    guard case .exited(let status) = outcome.termination else { return (nil, "") }
    return (status, String(decoding: outcome.output, as: UTF8.self))
}
// END EXAMPLE

@Suite struct DocCExampleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A copy of the shipped CentOS 6 image (dynamic VHD, MBR, one ext4 root) in a new folder.
    static func shippedImageCopy() throws -> (TemporaryDirectory, String) {
        let folder = try TemporaryDirectory(prefix: "docc-example")
        let image = folder.file("disk.vhd")
        try ExternalTool.check([
            "cp", "--sparse=always", root.appendingPathComponent("TestImages/centos6-dynamic.vhd").path, image,
        ])
        return (folder, image)
    }

    /// Each landing page's swift block, without its import lines, is the code between this file's markers.
    @Test(arguments: ["BlockIO", "DiskLayout", "Ext4", "GuestConfig", "ImagePrep", "VHDEditKit", "HostSystem"])
    func landingPageExampleIsTheCompiledOne(module: String) throws {
        let page = try String(
            contentsOf: Self.root.appendingPathComponent("Sources/\(module)/Documentation.docc/\(module).md"),
            encoding: .utf8)
        let example = try #require(page.components(separatedBy: "## Example").dropFirst().first)
        let block = try #require(
            example.components(separatedBy: "```swift\n").dropFirst().first?.components(separatedBy: "```").first)
        let code = block.split(separator: "\n", omittingEmptySubsequences: false).drop {
            $0.hasPrefix("import ") || $0.isEmpty
        }
        .joined(separator: "\n")
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let compiled = try #require(
            source.components(separatedBy: "// EXAMPLE \(module)\n").dropFirst().first?
                .components(separatedBy: "// END EXAMPLE").first)
        #expect(code == compiled)
    }

    @Test func blockIOExampleAgreesWithQemuImg() throws {
        let (folder, image) = try Self.shippedImageCopy()
        let described = try describeImage(at: image)
        let info = try ExternalTool.check(["qemu-img", "info", "--output=json", "-f", "vpc", image]).output
        #expect(described.format == "vhd-dynamic" && described.hasMBRSignature)
        #expect(info.contains("\"virtual-size\": \(described.size),"), "\(info)")
        let raw = folder.file("disk.raw")
        try ExternalTool.check(["qemu-img", "convert", "-f", "vpc", "-O", "raw", image, raw])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: raw))
        #expect(bytes[510] == 0x55 && bytes[511] == 0xAA)
    }

    @Test func diskLayoutExampleAgreesWithSfdisk() throws {
        let (folder, image) = try Self.shippedImageCopy()
        let described = try describePartitions(at: image)
        let raw = folder.file("disk.raw")
        try ExternalTool.check(["qemu-img", "convert", "-f", "vpc", "-O", "raw", image, raw])
        let table = try ExternalTool.check(["sfdisk", "--json", raw]).output
        #expect(described.partitions.count == 1 && described.root == 1)
        #expect(described.partitions.first?.1 == 2048 * 512 && table.contains("\"start\": 2048"))
        #expect(described.partitions.first?.2 == "ext4")
    }

    @Test func ext4ExampleAgreesWithDebugfs() throws {
        let (folder, image) = try Self.shippedImageCopy()
        let described = try listGuestEtc(at: image)
        let raw = folder.file("disk.raw")
        try ExternalTool.check(["qemu-img", "convert", "-f", "vpc", "-O", "raw", image, raw])
        let fs = folder.file("root.ext4")
        try ExternalTool.check(["dd", "if=\(raw)", "of=\(fs)", "bs=512", "skip=2048", "status=none"])
        let fstab = try ExternalTool.check(["debugfs", "-R", "cat /etc/fstab", fs]).output
        #expect(fstab.hasPrefix(described.fstabFirstLine + "\n"))
        let listing = try ExternalTool.check(["debugfs", "-R", "ls -p /etc", fs]).output
        let names = Set(
            listing.split(separator: "\n").compactMap {
                $0.split(separator: "/", omittingEmptySubsequences: false).dropFirst(5).first.map(String.init)
            }
        )
        .subtracting([".", ".."])
        #expect(Set(described.names) == names)
    }

    @Test func guestConfigExampleSetsClientAlive() throws {
        let edited = try withClientAlive("Port 22\nMatch User backup\n  X11Forwarding no\n")
        #expect(edited == "Port 22\nClientAliveInterval 180\nMatch User backup\n  X11Forwarding no\n")
    }

    @Test func vhdEditKitExampleSummarizesWithoutWriting() throws {
        let (folder, image) = try Self.shippedImageCopy()
        defer { withExtendedLifetime(folder) {} }
        let before = try FileDigest.sha256(image)
        let summary = try summarize(image: image)
        #expect(summary.distribution == "centos" && summary.plannedChanges > 5, "\(summary)")
        #expect(try FileDigest.sha256(image) == before)
    }

    @Test func imagePrepExamplePlansWithoutWriting() throws {
        let (folder, image) = try Self.shippedImageCopy()
        defer { withExtendedLifetime(folder) {} }
        let before = try FileDigest.sha256(image)
        let planned = try plannedGeneralize(at: image)
        #expect(planned.contains("delete /etc/ssh/ssh_host_rsa_key"))
        #expect(try FileDigest.sha256(image) == before)
    }

    /// The example's status and output are what Foundation's `Process` sees running the same program.
    @Test func hostSystemExampleAgreesWithProcess() throws {
        let arguments = ["%s|%d\n", "guest", "42"]
        let captured = try runAndCapture("/usr/bin/printf", arguments)
        let expected = try ExternalTool.check(["/usr/bin/printf"] + arguments)
        #expect(captured.status == expected.status && captured.output == expected.output)
        let failing = try ExternalTool.run(["/usr/bin/test", "-e", "/nonexistent/vhdedit"])
        #expect(try runAndCapture("/usr/bin/test", ["-e", "/nonexistent/vhdedit"]).status == failing.status)
        #expect(failing.status != 0)
    }
}
