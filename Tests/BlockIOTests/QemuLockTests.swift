import BlockIO
import Foundation
import Testing
import _TestSupport

/// vhdedit and qemu respect each other's image locks, both ways, with real qemu-io, qemu-nbd and qemu-img
/// processes as the other side and `/proc/locks` as the witness of what is held.
@Suite(.serialized) struct QemuLockTests {
    /// A qemu process holding an image in the background until the test ends.
    final class Holder {
        let process = Process()
        init(_ arguments: [String]) throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
        }
        func stop() {
            // qemu handles SIGTERM in its main loop (qemu-io finishes its sleep first): kill this child outright.
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        deinit { stop() }
    }

    /// The byte ranges locked on `path`'s inode in `/proc/locks` ("100 101", "201 201", ...).
    static func lockedRanges(_ path: String) throws -> Set<String> {
        let inode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int)
        let text = try String(contentsOfFile: "/proc/locks", encoding: .utf8)
        var ranges = Set<String>()
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 8, fields[1] == "OFDLCK", fields[5].hasSuffix(":\(inode)") else { continue }
            ranges.insert("\(fields[6]) \(fields[7])")
        }
        return ranges
    }

    /// Waits (up to 10 s) until qemu holds `byte` of `path`.
    static func waitForLock(_ path: String, byte: Int) throws {
        for _ in 0..<200 {
            let held = try lockedRanges(path).contains { range in
                let ends = range.split(separator: " ").compactMap { Int($0) }
                return ends.count == 2 && ends[0] <= byte && byte <= ends[1]
            }
            if held { return }
            usleep(50_000)
        }
        Issue.record("qemu never locked byte \(byte) of \(path): \(try lockedRanges(path))")
    }

    func vhdedit(_ arguments: [String]) throws -> ExternalTool.Result {
        try ExternalTool.run([CrashHarness.binary] + arguments)
    }

    func makeImage(_ dir: TemporaryDirectory) throws -> (image: String, local: String) {
        let image = try ProcessCrashTests().makeImage(in: dir, format: "dynamic")
        let local = dir.file("local.conf")
        try Data("locked\n".utf8).write(to: URL(fileURLWithPath: local))
        return (image, local)
    }

    @Test(.enabled(if: CrashHarness.available(subcommand: "put")), arguments: ["qemu-io", "qemu-nbd"])
    func vhdeditKeepsAwayFromAnImageQemuWrites(tool: String) throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-qemu-lock")
        let (image, local) = try makeImage(dir)
        let arguments =
            tool == "qemu-io"
            ? ["qemu-io", "-f", "vpc", "-c", "sleep 20000", image]
            : ["qemu-nbd", "-f", "vpc", "-k", dir.file("nbd.sock"), image]
        let holder = try Holder(arguments)
        try Self.waitForLock(image, byte: 101)
        let before = try FileDigest.sha256(image)

        let put = try vhdedit(["put", image, local, "/etc/locked.conf"])
        #expect(put.status != 0, "put succeeded while \(tool) writes the image")
        #expect(put.stderr.contains("Failed to get \"write\" lock") && put.stderr.contains(image), "\(put.stderr)")
        // A reader is refused as qemu-img info is: what it would read is changing under it.
        let cat = try vhdedit(["cat", image, "/etc/hostname"])
        #expect(cat.status != 0 && cat.stderr.contains("Failed to get shared \"write\" lock"), "\(cat.stderr)")
        #expect(try FileDigest.sha256(image) == before)
        #expect(!FileManager.default.fileExists(atPath: image + HostRedoLogLocation.suffix))

        holder.stop()
        let again = try vhdedit(["put", image, local, "/etc/locked.conf"])
        #expect(again.status == 0, "put once \(tool) is gone: \(again.stderr)")
    }

    @Test(.enabled(if: CrashHarness.available(subcommand: "put")))
    func aQemuReaderDeniesVhdeditWritesButNotReads() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-qemu-lock")
        let (image, local) = try makeImage(dir)
        let holder = try Holder(["qemu-io", "-r", "-f", "vpc", "-c", "sleep 20000", image])
        defer { holder.stop() }
        try Self.waitForLock(image, byte: 201)
        let put = try vhdedit(["put", image, local, "/etc/locked.conf"])
        #expect(put.status != 0 && put.stderr.contains("Failed to get \"write\" lock"), "\(put.stderr)")
        let cat = try vhdedit(["cat", image, "/etc/hostname"])
        #expect(cat.status == 0 && cat.output == "crashtest\n", "\(cat.stderr)")
    }

    @Test func qemuRefusesToWriteAnImageVhdeditWrites() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-qemu-lock")
        let (image, _) = try makeImage(dir)
        var session: DiskImage? = try DiskImage.open(path: image, writable: true)
        // What qemu-io holds as a writer, as /proc/locks shows it.
        #expect(try Self.lockedRanges(image) == ["100 101", "103 103", "201 201", "203 203"])
        let info = try ExternalTool.run(["qemu-img", "info", "-f", "vpc", image])
        #expect(info.status != 0 && info.stderr.contains("Failed to get shared \"write\" lock"), "\(info.stderr)")
        let write = try ExternalTool.run(["qemu-io", "-f", "vpc", "-c", "write 0 512", image])
        #expect(
            write.status != 0 && write.stderr.contains("Failed to get \"write\" lock"), "\(write.output)\(write.stderr)"
        )
        let nbd = try ExternalTool.run(["qemu-nbd", "-f", "vpc", "-k", dir.file("nbd.sock"), image])
        #expect(nbd.status != 0 && nbd.stderr.contains("lock"), "\(nbd.stderr)")
        #expect(session != nil)
        session = nil
        // Released with the session.
        #expect(try Self.lockedRanges(image).isEmpty)
        #expect(try ExternalTool.run(["qemu-img", "info", "-f", "vpc", image]).status == 0)
    }

    @Test func aVhdeditReaderLetsQemuReadButNotWrite() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-qemu-lock")
        let (image, _) = try makeImage(dir)
        let reader = try DiskImage.open(path: image)
        #expect(try Self.lockedRanges(image) == ["100 100", "201 201", "203 203"])
        #expect(try ExternalTool.run(["qemu-img", "info", "-f", "vpc", image]).status == 0)
        let write = try ExternalTool.run(["qemu-io", "-f", "vpc", "-c", "write 0 512", image])
        #expect(write.status != 0 && write.stderr.contains("Failed to get \"write\" lock"), "\(write.stderr)")
        withExtendedLifetime(reader) {}
    }

    /// Writing a differencing child takes only read locks on its parent.
    @Test func parentsOfADifferencingChainGetReadLocksOnly() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-qemu-lock")
        let (parent, _) = try makeImage(dir)
        let child = dir.file("child.vhd")
        _ = try ImageCreator.create(.differencing(parent: parent), at: child, overwrite: false)
        let session = try DiskImage.open(path: child, writable: true)
        #expect(try Self.lockedRanges(child).contains("100 101"))
        #expect(try Self.lockedRanges(parent) == ["100 100", "201 201", "203 203"])
        #expect(try ExternalTool.run(["qemu-img", "info", "-f", "vpc", parent]).status == 0, "a parent can be read")
        withExtendedLifetime(session) {}
    }
}
