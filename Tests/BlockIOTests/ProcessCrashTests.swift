import BlockIO
import Foundation
import Testing
import _TestSupport

/// Kills the real `vhdedit` process at every mutating system call of an edit (or an even sample of 60) and
/// checks that what the next open sees is byte-identical to the image before or after the edit, with
/// `e2fsck -fn` clean, and that a read-only open in between changes no byte.
@Suite(.serialized) struct ProcessCrashTests {
    static let environment = ["SOURCE_DATE_EPOCH": "1700000000", "E2FSPROGS_FAKE_TIME": "1700000000"]
    /// Kill points per run: 8 spread evenly by default (the default suite stays fast on a shared machine);
    /// `VHDEDIT_CRASH_POINTS=N` for more: `scripts/crash-test.sh` kills at every call of every run.
    static let killPointLimit = ProcessInfo.processInfo.environment["VHDEDIT_CRASH_POINTS"].flatMap { Int($0) } ?? 8

    /// An 8 MiB ext4 filesystem with a small tree, raw or wrapped by qemu-img as a dynamic VHD.
    func makeImage(in dir: TemporaryDirectory, format: String) throws -> String {
        let tree = dir.file("tree")
        try Fixtures.writeTree(
            ["/etc/hostname": "crashtest\n", "/etc/waagent.conf": "Provisioning.Enabled=y\n", "/var/log/x": "log\n"],
            under: tree)
        let raw = dir.file("base.raw")
        try Fixtures.makeFilesystem(at: raw, sizeMiB: 8, tree: tree)
        guard format == "dynamic" else { return raw }
        let vhd = dir.file("base.vhd")
        try ExternalTool.check(["qemu-img", "convert", "-f", "raw", "-O", "vpc", "-o", "subformat=dynamic", raw, vhd])
        return vhd
    }

    /// `e2fsck -fn` of the filesystem in `image`: a VHD is flattened with qemu-img first, and a partitioned
    /// disk is checked at its first partition (from `sfdisk --json`).
    func fsck(_ image: String, format: String, in dir: TemporaryDirectory) throws -> ExternalTool.Result {
        var raw = image
        if format != "raw" {
            raw = dir.file("check.raw")
            try ExternalTool.check(["qemu-img", "convert", "-f", "vpc", "-O", "raw", image, raw])
        }
        defer { if raw != image { try? FileManager.default.removeItem(atPath: raw) } }
        let table = try ExternalTool.run(["sfdisk", "--json", raw])
        var offset: UInt64?
        if table.status == 0,
            let json = try JSONSerialization.jsonObject(with: table.stdout) as? [String: Any],
            let partitions = (json["partitiontable"] as? [String: Any])?["partitions"] as? [[String: Any]],
            let start = partitions.first?["start"] as? Int
        {
            offset = UInt64(start) * 512
        }
        return try Fixtures.fsck(raw, offset: offset)
    }

    @Test(.enabled(if: CrashHarness.available(subcommand: "put")), arguments: ["raw", "dynamic"])
    func aKilledPutLeavesTheOldOrTheNewImage(format: String) throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-crash")
        let base = try makeImage(in: dir, format: format)
        var random = SeededGenerator(seed: 77)
        let payload = dir.file("payload")
        try Data(randomBytes(150_000, &random)).write(to: URL(fileURLWithPath: payload))
        try killEverywhere(base: base, format: format, in: dir, "put") { ["put", $0, payload, "/etc/payload.bin"] }
    }

    /// The project's main job, `generalize`, on the shipped CentOS 6 image as a dynamic VHD and as a fixed one.
    @Test(.enabled(if: CrashHarness.available(subcommand: "generalize")), arguments: ["dynamic", "fixed"])
    func aKilledGeneralizeLeavesTheOldOrTheNewImage(format: String) throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-crash")
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("TestImages/centos6-dynamic.vhd").path
        let base = dir.file("centos6.vhd")
        if format == "fixed" {
            try ExternalTool.check([
                "qemu-img", "convert", "-f", "vpc", "-O", "vpc", "-o", "subformat=fixed", shipped, base,
            ])
        } else {
            try FileManager.default.copyItem(atPath: shipped, toPath: base)
        }
        try killEverywhere(base: base, format: format, in: dir, "generalize") { ["generalize", $0] }
    }

    /// `resize` of the disk and, in the same atomic unit, of the ext4 filesystem on it (8 MiB to 64 MiB: new
    /// groups, descriptors, backups, bitmaps; for the dynamic VHD a larger BAT and the blocks moved out of its way).
    @Test(.enabled(if: CrashHarness.available(subcommand: "resize")), arguments: ["raw", "dynamic"])
    func aKilledResizeLeavesTheOldOrTheNewImage(format: String) throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-crash")
        let base = try makeImage(in: dir, format: format)
        try killEverywhere(base: base, format: format, in: dir, "resize") {
            ["resize", $0, "--size", "64M", "--grow-filesystem"]
        }
    }

    /// Runs `command(image)` cleanly (twice, to prove it deterministic), counts its mutating calls, then kills it
    /// at each kill point on a fresh copy of `base` and checks the outcome.
    func killEverywhere(
        base: String, format: String, in dir: TemporaryDirectory, _ name: String, command: (String) -> [String]
    ) throws {
        let beforeDigest = try FileDigest.sha256(base)
        let after = dir.file("after")
        try FileManager.default.copyItem(atPath: base, toPath: after)
        let clean = try ExternalTool.run([CrashHarness.binary] + command(after), environment: Self.environment)
        try #require(clean.status == 0, "\(name) failed: \(clean.stderr)")
        let afterDigest = try FileDigest.sha256(after)
        #expect(afterDigest != beforeDigest)
        #expect(try fsck(after, format: format, in: dir).status == 0)
        // The edit must be deterministic, or "byte-identical to after" means nothing.
        let again = dir.file("again")
        try FileManager.default.copyItem(atPath: base, toPath: again)
        try ExternalTool.check([CrashHarness.binary] + command(again), environment: Self.environment)
        try #require(
            try FileDigest.sha256(again) == afterDigest, "\(name) is not deterministic under SOURCE_DATE_EPOCH")

        let counting = dir.file("counting")
        try FileManager.default.copyItem(atPath: base, toPath: counting)
        let counts = try CrashHarness.countCalls(command(counting), environment: Self.environment)
        let points = CrashHarness.killPoints(counts, limit: Self.killPointLimit)
        #expect(points.count >= 5, "the edit makes mutating calls: \(counts)")

        var outcomes = (old: 0, new: 0)
        let work = dir.file("work")
        let journal = work + HostRedoLogLocation.suffix
        for point in points {
            try? FileManager.default.removeItem(atPath: work)
            try? FileManager.default.removeItem(atPath: journal)
            try FileManager.default.copyItem(atPath: base, toPath: work)
            try CrashHarness.run(command(work), killedAt: point, environment: Self.environment)

            // A read-only open sees old or new and writes nothing (not even with a journal pending).
            let fileDigest = try FileDigest.sha256(work)
            let journalDigest = FileManager.default.fileExists(atPath: journal) ? try FileDigest.sha256(journal) : nil
            do {
                let image = try DiskImage.open(path: work)
                _ = try image.device.read(at: 0, count: 4096)
            }
            #expect(try FileDigest.sha256(work) == fileDigest, "read-only open wrote the image (\(point))")
            if let journalDigest {
                #expect(try FileDigest.sha256(journal) == journalDigest, "read-only open wrote the journal (\(point))")
            }
            // The next writable open finishes or discards the edit.
            do { _ = try DiskImage.open(path: work, writable: true) }
            #expect(!FileManager.default.fileExists(atPath: journal), "journal left after recovery (\(point))")
            let outcome = try FileDigest.sha256(work)
            #expect(outcome == beforeDigest || outcome == afterDigest, "killed at \(point): neither old nor new")
            if outcome == afterDigest { outcomes.new += 1 } else if outcome == beforeDigest { outcomes.old += 1 }
            let check = try fsck(work, format: format, in: dir)
            #expect(check.status == 0, "killed at \(point): e2fsck -fn: \(check.output)")
        }
        #expect(outcomes.old > 0 && outcomes.new > 0, "both outcomes occur: \(outcomes) over \(points.count) points")
        let total = counts.values.reduce(0, +)
        print("\(name) on \(format): \(total) mutating calls \(counts), \(points.count) kill points, \(outcomes)")
    }

    /// `convert --force` over an existing destination, killed at every mutating call: the destination is the
    /// old file or a complete conversion (written under a temporary name, renamed when complete).
    @Test(.enabled(if: CrashHarness.available(subcommand: "convert")), arguments: ["dynamic", "fixed"])
    func aKilledConvertLeavesTheOldDestinationOrACompleteOne(format: String) throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-crash")
        let source = try makeImage(in: dir, format: "raw")
        let destination = dir.file("out.vhd")
        let old = dir.file("old.vhd")
        try ExternalTool.check(["qemu-img", "create", "-q", "-f", "vpc", "-o", "subformat=dynamic", old, "1M"])
        try FileManager.default.copyItem(atPath: old, toPath: destination)
        let oldDigest = try FileDigest.sha256(old)
        let arguments = ["convert", source, destination, "--to", format, "--force"]
        let counts = try CrashHarness.countCalls(arguments, environment: Self.environment)
        let points = CrashHarness.killPoints(counts, limit: 30)
        var outcomes = (old: 0, new: 0)
        var leftovers = 0
        for point in points {
            try? FileManager.default.removeItem(atPath: destination)
            try FileManager.default.copyItem(atPath: old, toPath: destination)
            try CrashHarness.run(arguments, killedAt: point, environment: Self.environment)
            if try FileDigest.sha256(destination) == oldDigest {
                outcomes.old += 1
            } else {
                let compare = try ExternalTool.run([
                    "qemu-img", "compare", "-f", "raw", "-F", "vpc", source, destination,
                ])
                #expect(
                    compare.status == 0,
                    "killed at \(point): destination is neither old nor complete: \(compare.output)")
                outcomes.new += 1
            }
            let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            for name in names where name.hasSuffix(".tmp") {
                leftovers += 1
                try FileManager.default.removeItem(atPath: dir.file(name))
            }
        }
        #expect(outcomes.old > 0 && outcomes.new > 0, "both outcomes occur: \(outcomes) over \(points.count) points")
        // A SIGKILL leaves the temporary file behind (the next convert to the destination removes it, see
        // aSignalledConvertRemovesItsTemporaryFile); it never replaces the destination.
        print("convert --to \(format): \(points.count) kill points, \(outcomes), \(leftovers) temporary files left")
    }

    /// A convert stopped by SIGTERM or SIGINT at any mutating call removes its temporary file; after a SIGKILL
    /// leaves one, the next convert to the same destination removes it (its lock is free).
    @Test(.enabled(if: CrashHarness.available(subcommand: "convert")), arguments: ["TERM", "INT"])
    func aSignalledConvertRemovesItsTemporaryFile(signal: String) throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-signal")
        let source = try makeImage(in: dir, format: "raw")
        let destination = dir.file("out.vhd")
        let arguments = ["convert", source, destination, "--to", "fixed", "--force"]
        let counts = try CrashHarness.countCalls(arguments, environment: Self.environment)
        let points = CrashHarness.killPoints(counts, limit: 12)
        func temporaryFiles() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".tmp") }
        }
        for point in points {
            try? FileManager.default.removeItem(atPath: destination)
            let status = try CrashHarness.run(arguments, killedAt: point, signal: signal, environment: Self.environment)
            #expect(try temporaryFiles() == [], "SIG\(signal) at \(point) (exit \(status)) left a temporary file")
            if FileManager.default.fileExists(atPath: destination) {
                let compare = try ExternalTool.run([
                    "qemu-img", "compare", "-f", "raw", "-F", "vpc", source, destination,
                ])
                #expect(compare.status == 0, "SIG\(signal) at \(point): destination incomplete: \(compare.output)")
            }
        }
        // A SIGKILL during the copy leaves the temporary file; the next convert removes it.
        let writes = counts["pwrite64", default: 0]
        try #require(writes > 0, "convert makes pwrite64 calls: \(counts)")
        try? FileManager.default.removeItem(atPath: destination)
        try CrashHarness.run(
            arguments, killedAt: .init(call: "pwrite64", occurrence: max(1, writes / 2)), environment: Self.environment)
        #expect(try temporaryFiles().count == 1, "SIGKILL leaves the temporary file")
        _ = try ExternalTool.check([CrashHarness.binary] + arguments)
        #expect(try temporaryFiles() == [], "the next convert removes the stale temporary file")
    }
}
