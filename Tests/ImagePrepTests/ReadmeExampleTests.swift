import Foundation
import Testing
import VHDEditKit
import _TestSupport

/// The README's library example (README.md, "Library example"), line for line between the markers: the
/// README's first two lines (`import VHDEditKit`, `let path = "disk.vhd"`) are this file's import and the
/// parameter `path`. ``ReadmeExampleTests/theReadmeBlockIsThisFunction()`` keeps the two the same.
enum ReadmeLibraryExample {
    static func run(path: String) throws {
        // README begin
        // Open the Linux root of an image for writing and patch a file. When the closure returns, the changes are
        // committed atomically (all or nothing; e2fsck -fn clean); when it throws, they are dropped. Either way the
        // image is closed and its lock let go before the next line.
        try GuestImage.withImage(path: path, writable: true) { guest in
            let conf = try GuestPath("/etc/waagent.conf")
            let text = String(decoding: try guest.filesystem.readFile(conf), as: UTF8.self)
            var waagent = WaagentConfiguration(text, path: "/etc/waagent.conf")
            _ = try waagent.set("ResourceDisk.Format", to: "n")
            try guest.filesystem.writeFile(conf, contents: Array(waagent.text.utf8))
        }

        // Or the whole job: plan (a dry run reads only), then do (one commit).
        let plan = try ImagePreparation.generalize(path, dryRun: true)
        let done = try ImagePreparation.generalize(path, dryRun: false)
        print("\(plan.changes.count) changes planned, \(done.changes.count) made")
        // README end
    }
}

/// The README's library example, run on a copy of the shipped image and checked with qemu-img, debugfs and e2fsck.
@Suite struct ReadmeExampleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func shippedImageCopy(_ dir: TemporaryDirectory) throws -> String {
        let image = dir.file("disk.vhd")
        try FileManager.default.copyItem(
            atPath: Self.root.appendingPathComponent("TestImages/centos6-dynamic.vhd").path, toPath: image)
        return image
    }

    /// Every ```swift block of the README, with its `import` and `let path` lines taken off, is the body of
    /// ``ReadmeLibraryExample/run(path:)``: an edit to one without the other fails here.
    @Test func theReadmeBlockIsThisFunction() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let blocks = readme.components(separatedBy: "```swift\n").dropFirst().map {
            $0.components(separatedBy: "\n```")[0]
        }
        #expect(blocks.count == 1, "every README Swift example needs a compiled copy here")
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        let body = source.components(separatedBy: "// README begin\n")[1].components(
            separatedBy: "        // README end")[0]
        let compiled = body.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasPrefix("        ") ? String($0.dropFirst(8)) : String($0)
        }
        for block in blocks {
            var lines = block.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            #expect(Array(lines.prefix(3)) == ["import VHDEditKit", "", "let path = \"disk.vhd\""])
            lines.removeFirst(min(4, lines.count))  // the import, the path and the blank line after it
            #expect(lines + [""] == compiled)
        }
    }

    @Test func libraryExamplePatchesWaagentConfAndGeneralizes() throws {
        let dir = try TemporaryDirectory()
        let image = try shippedImageCopy(dir)
        try ReadmeLibraryExample.run(path: image)

        // Everything was committed and let go: a writable open succeeds, and a dry run finds nothing left to do.
        #expect(try ImagePreparation.generalize(image, dryRun: true).changes.isEmpty)
        let raw = dir.file("disk.raw")
        try ExternalTool.check(["qemu-img", "convert", "-f", "vpc", "-O", "raw", image, raw])
        let offset: UInt64 = 1 << 20  // partition 1 starts at sector 2048
        let fs = dir.file("root.ext4")
        try ExternalTool.check(["dd", "if=\(raw)", "of=\(fs)", "bs=1M", "skip=1", "status=none"])
        let written = try Fixtures.debugfs(fs, "cat /etc/waagent.conf")
        #expect(written.contains("ResourceDisk.Format=n"))
        #expect(!written.contains("ResourceDisk.Format=y"))
        #expect(try Fixtures.fsck(raw, offset: offset).status == 0)
    }

    /// The README's example as it used to be (the image still open when `ImagePreparation` opens it again) is
    /// refused with a message that names this process, not "another process"; the image is untouched.
    @Test func anImageStillOpenInThisProcessIsNamedAsSuch() throws {
        let dir = try TemporaryDirectory()
        let image = try shippedImageCopy(dir)
        let before = try FileDigest.sha256(image)
        do {
            let guest = try GuestImage.open(path: image, writable: true)
            for dryRun in [true, false] {
                do {
                    _ = try ImagePreparation.generalize(image, dryRun: dryRun)
                    Issue.record("generalize (dryRun: \(dryRun)) opened an image this process holds for writing")
                } catch {
                    #expect(error.description.contains("image is in use: this process already has it open for writing"))
                    #expect(!error.description.contains("another process"))
                }
            }
            guest.abandon()
        }
        let reader = try GuestImage.open(path: image)
        do {
            _ = try GuestImage.open(path: image, writable: true)
            Issue.record("a writable open succeeded beside a reader of this process")
        } catch let error as BlockIOError {
            #expect(error.code == .inUse)
            #expect(error.message.contains("this process has it open read-only"))
        }
        withExtendedLifetime(reader) {}
        #expect(try FileDigest.sha256(image) == before)
    }

    /// The scoped form drops the session's changes when its body throws, and lets the image go either way.
    @Test func withImageDropsTheChangesWhenTheBodyThrows() throws {
        struct Stop: Error {}
        let dir = try TemporaryDirectory()
        let image = try shippedImageCopy(dir)
        let before = try FileDigest.sha256(image)
        #expect(throws: Stop.self) {
            try GuestImage.withImage(path: image, writable: true) { guest in
                try guest.filesystem.writeFile(try GuestPath("/etc/waagent.conf"), contents: Array("changed\n".utf8))
                throw Stop()
            }
        }
        #expect(try FileDigest.sha256(image) == before)
        let conf = try GuestImage.withImage(path: image) { guest in
            try guest.filesystem.readFile(try GuestPath("/etc/waagent.conf"))
        }
        #expect(conf != Array("changed\n".utf8))
        #expect(try FileDigest.sha256(image) == before)
    }
}
