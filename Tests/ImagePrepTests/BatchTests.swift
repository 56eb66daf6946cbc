import Foundation
import ImagePrep
import Testing
import _TestSupport

@Suite struct BatchTests {
    /// One JSON line per image, parsed.
    static func lines(_ output: String) throws -> (items: [[String: Any]], summary: [String: Any]) {
        var items: [[String: Any]] = []
        var summary: [String: Any] = [:]
        for line in output.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if let total = object["summary"] as? [String: Any] { summary = total } else { items.append(object) }
        }
        return (items, summary)
    }

    @Test func aFarmWithBrokenImagesReportsEachOne() throws {
        let work = try TemporaryDirectory()
        var images: [String] = []
        var broken = Set<String>()
        let good = ["centos6", "ubuntu1204", "ubuntu1804", "sles11"]
        for index in 0..<15 {
            images.append(try TestImageFarm.copy("\(good[index % 4])-dynamic.vhd", to: work, as: "good-\(index).vhd"))
        }
        for name in ["broken-garbage.vhd", "broken-truncated.vhd", "broken-nofs.vhd"] {
            let path = try TestImageFarm.copy(name, to: work)
            images.insert(path, at: images.count / 2)
            broken.insert(path)
        }
        // A journal flagged as needing recovery is replayed as part of the generalize, not a failure.
        images.insert(try TestImageFarm.copy("broken-recovery.vhd", to: work), at: images.count / 2)
        let missing = work.file("no-such-image.vhd")
        images.append(missing)
        broken.insert(missing)
        #expect(images.count == 20)

        let result = try VHDEditBinary.run(["generalize", "--json", "--jobs", "2"] + images)
        #expect(result.status == 1)
        let (items, summary) = try Self.lines(result.output)
        #expect(items.count == 20)
        #expect(Set(items.compactMap { $0["image"] as? String }) == Set(images))
        for item in items {
            let image = try #require(item["image"] as? String)
            let ok = try #require(item["ok"] as? Bool)
            #expect(ok == !broken.contains(image), "\(image): \(item["summary"] ?? "")")
            if ok {
                let report = try #require(item["result"] as? [String: Any])
                let changes = try #require(report["changes"] as? [[String: Any]])
                #expect(!changes.isEmpty)
                #expect(report["dryRun"] as? Bool == false)
            } else {
                #expect(!(item["summary"] as? String ?? "").isEmpty)
            }
        }
        #expect(summary["total"] as? Int == 20)
        #expect(summary["failed"] as? Int == 4)
        #expect(Set(summary["failures"] as? [String] ?? []) == broken)
        // The good images were really generalized: a second batch finds nothing to do in any of them.
        let second = try VHDEditBinary.run(
            ["generalize", "--json", "--dry-run"] + images.filter { !broken.contains($0) })
        #expect(second.status == 0)
        for item in try Self.lines(second.output).items {
            #expect(((item["result"] as? [String: Any])?["changes"] as? [Any])?.isEmpty == true)
        }
        let recovery = try #require(items.first { ($0["image"] as? String)?.hasSuffix("broken-recovery.vhd") == true })
        #expect(recovery["ok"] as? Bool == true, "\(recovery["summary"] ?? "")")
        // Each failure says why, as the single-image command would.
        let garbage = try #require(items.first { ($0["image"] as? String)?.hasSuffix("broken-garbage.vhd") == true })
        let single = try VHDEditBinary.run(["generalize", try #require(garbage["image"] as? String)])
        #expect(single.status == 1)
        #expect(single.stderr.contains(try #require(garbage["summary"] as? String)))
    }

    @Test func shardsOfAManifestAreDisjointAndCoverIt() throws {
        let work = try TemporaryDirectory()
        var lines = ["# the farm"]
        for index in 0..<7 {
            _ = try TestImageFarm.copy("centos6-dynamic.vhd", to: work, as: "img-\(index).vhd")
            lines.append("img-\(index).vhd")
        }
        let manifest = work.file("manifest.txt")
        try (lines.joined(separator: "\n") + "\n\n").write(toFile: manifest, atomically: true, encoding: .utf8)
        var seen: [String] = []
        for index in 0..<3 {
            let byFlag = try VHDEditBinary.run([
                "generalize", "--dry-run", "--json", "--manifest", manifest, "--shard", "\(index)/3",
            ])
            let byEnv = try VHDEditBinary.run(
                ["generalize", "--dry-run", "--json", "--manifest", manifest, "--shard-count", "3"],
                environment: ["JOB_COMPLETION_INDEX": String(index)])
            #expect(byFlag.status == 0 && byEnv.status == 0)
            let a = try Self.lines(byFlag.output).items.compactMap { $0["image"] as? String }
            let b = try Self.lines(byEnv.output).items.compactMap { $0["image"] as? String }
            #expect(Set(a) == Set(b))
            #expect(a.count == (index == 0 ? 3 : 2))
            seen += a
        }
        #expect(seen.count == 7 && Set(seen) == Set((0..<7).map { work.file("img-\($0).vhd") }))
        let bad = try VHDEditBinary.run(["generalize", "--dry-run", "--manifest", manifest, "--shard", "3/3"])
        #expect(bad.status != 0 && bad.stderr.contains("shard"))
    }

    @Test func runnerBoundsParallelismAndIsolatesFailures() throws {
        final class Counter: @unchecked Sendable {
            let lock = NSLock()
            var running = 0
            var peak = 0
        }
        let counter = Counter()
        let runner = BatchRunner(jobs: 3)
        var seen: [String] = []
        let images = (0..<12).map { "image-\($0)" }
        let summary = runner.run(
            images,
            job: { image in
                counter.lock.lock(); counter.running += 1; counter.peak = max(counter.peak, counter.running);
                counter.lock.unlock()
                usleep(20_000)
                counter.lock.lock(); counter.running -= 1; counter.lock.unlock()
                let ok = !image.hasSuffix("-5") && !image.hasSuffix("-9")
                return BatchItemResult(
                    image: image, ok: ok, status: ok ? 0 : 1, seconds: 0.02, summary: ok ? "ok" : "boom")
            }
        ) { seen.append($0.image) }
        #expect(counter.peak == 3)
        #expect(Set(seen) == Set(images) && seen.count == 12)
        #expect(summary.failed == 2 && summary.failures == ["image-5", "image-9"])
        #expect(
            BatchProgress.line(done: 5, total: 10, failures: 1, elapsed: 2.5) == "[5/10] 2.0 img/s, ETA 2 s, 1 failed")
    }

    /// `--timeout` kills the child working on an image that hangs (an image file under another process's write
    /// lease: its open blocks until the lease is released, which the holder never does, as an open of an
    /// unreachable network file would) and counts it as failed, while the other image of the batch passes. (A
    /// FIFO no longer hangs: it is refused at once.)
    @Test func perImageTimeoutKillsAHungChild() throws {
        let work = try TemporaryDirectory()
        let good = try TestImageFarm.copy("ubuntu1804-dynamic.vhd", to: work)
        let leased = work.file("hangs.vhd")
        try Data(repeating: 0, count: 1 << 20).write(to: URL(fileURLWithPath: leased))
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = [
            "python3", "-c",
            "import fcntl, os, signal, sys, time\n"
                + "signal.signal(signal.SIGIO, signal.SIG_IGN)\n"  // the lease-break signal: never give it up
                + "fd = os.open(sys.argv[1], os.O_RDWR)\n"
                + "fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_WRLCK)\n"
                + "print('ready', flush=True)\n"
                + "time.sleep(120)\n",
            leased,
        ]
        let ready = Pipe()
        holder.standardOutput = ready
        try holder.run()
        // SIGKILL: the helper may inherit a signal mask that blocks SIGTERM.
        defer { kill(holder.processIdentifier, SIGKILL); holder.waitUntilExit() }
        #expect(String(decoding: ready.fileHandleForReading.availableData, as: UTF8.self).hasPrefix("ready"))
        let start = Date()
        let result = try VHDEditBinary.run([
            "generalize", "--dry-run", "--json", "--jobs", "2", "--timeout", "1.5", leased, good,
        ])
        let seconds = Date().timeIntervalSince(start)
        #expect(result.status == 1)
        let (items, summary) = try Self.lines(result.output)
        let byImage = Dictionary(uniqueKeysWithValues: items.map { ($0["image"] as? String ?? "", $0) })
        #expect(byImage[good]?["ok"] as? Bool == true)
        #expect(byImage[leased]?["ok"] as? Bool == false)
        #expect(byImage[leased]?["summary"] as? String == "timed out after 1.5 s")
        #expect(summary["failures"] as? [String] == [leased])
        #expect(seconds < 60, "the hung child was not killed in time (\(seconds) s)")

        // One image with --timeout runs as a batch of one (in a child), so the timeout applies to it too.
        let single = try VHDEditBinary.run(["check", "--json", "--timeout", "1", leased])
        #expect(single.status == 1)
        #expect(try Self.lines(single.output).items.first?["summary"] as? String == "timed out after 1 s")
        let invalid = try VHDEditBinary.run(["check", "--timeout", "0", good])
        #expect(invalid.status != 0 && invalid.stderr.contains("--timeout"))
    }
}
