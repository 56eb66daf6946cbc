import BlockIO
import Foundation
import Testing
import _TestSupport

/// A `put` killed while its commit applies the sealed redo log (step 3 of the protocol) leaves a torn image file
/// and a sealed journal beside it. vhdedit reads through the journal, so it must say, every time, that the file
/// alone is not the image: on standard error, in `check`'s verdict (failing), in `info`/`inspect` JSON, and
/// `convert` writes the committed view and says so. qemu-img, which reads the file alone, is the oracle that
/// the file really is torn.
@Suite(.serialized) struct TornImageTests {
    static let environment = ProcessCrashTests.environment

    /// The torn image: the clean `put` result (`after`) and a copy killed in the middle of applying its log.
    struct Torn {
        let dir: TemporaryDirectory
        let work: String
        let after: String
        var journal: String { work + HostRedoLogLocation.suffix }
    }

    /// Kills `put` at the middle one of its `pwrite64` calls to the image file itself (the only writes to the
    /// image are the log's application: everything before goes to the journal).
    func makeTornImage() throws -> Torn {
        let dir = try TemporaryDirectory(prefix: "vhdedit-torn")
        let base = try ProcessCrashTests().makeImage(in: dir, format: "raw")
        let payload = dir.file("payload")
        var random = SeededGenerator(seed: 18)
        try Data(randomBytes(150_000, &random)).write(to: URL(fileURLWithPath: payload))
        let put = { (image: String) in ["put", image, payload, "/etc/payload.bin"] }

        let after = dir.file("after")
        try FileManager.default.copyItem(atPath: base, toPath: after)
        try ExternalTool.check([CrashHarness.binary] + put(after), environment: Self.environment)

        // Which pwrite64 calls go to the image: strace -y names each descriptor's file.
        let counting = dir.file("counting")
        try FileManager.default.copyItem(atPath: base, toPath: counting)
        let trace = dir.file("trace")
        try ExternalTool.check(
            ["strace", "-f", "-qq", "-y", "-o", trace, "-e", "trace=pwrite64", CrashHarness.binary] + put(counting),
            environment: Self.environment)
        let calls = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
            .filter { $0.contains("pwrite64(") }
        let toImage = calls.indices.filter { calls[$0].contains("<\(counting)>") }
        try #require(toImage.count >= 4, "the commit writes several pages to the image: \(toImage.count)")
        #expect(
            toImage.allSatisfy { $0 > calls.firstIndex { $0.contains(HostRedoLogLocation.suffix) }! },
            "the image is written only after the journal")
        let middle = toImage[toImage.count / 2] + 1  // 1-based occurrence among all pwrite64 calls

        let work = dir.file("work.raw")
        try FileManager.default.copyItem(atPath: base, toPath: work)
        try CrashHarness.run(
            put(work), killedAt: .init(call: "pwrite64", occurrence: middle), environment: Self.environment)
        try #require(FileManager.default.fileExists(atPath: work + HostRedoLogLocation.suffix), "a journal is left")
        return Torn(dir: dir, work: work, after: after)
    }

    @Test(.enabled(if: CrashHarness.available(subcommand: "put")))
    func aTornImageIsNeverSilent() throws {
        let torn = try makeTornImage()
        let work = torn.work
        let fileDigest = try FileDigest.sha256(work)
        let journalDigest = try FileDigest.sha256(torn.journal)
        func vhdedit(_ arguments: [String]) throws -> ExternalTool.Result {
            try ExternalTool.run([CrashHarness.binary] + arguments, environment: Self.environment)
        }
        func expectNotice(_ result: ExternalTool.Result, _ command: String) {
            #expect(
                result.stderr.contains("interrupted commit is pending in \(torn.journal)"),
                "\(command): \(result.stderr)")
            #expect(result.stderr.contains("the file alone is not the image"), "\(command)")
            #expect(result.stderr.contains("vhdedit recover \(work)"), "\(command)")
        }

        // Readers say so on standard error and still work.
        let cat = try vhdedit(["cat", work, "/etc/hostname"])
        #expect(cat.status == 0 && cat.output == "crashtest\n")
        expectNotice(cat, "cat")
        let ls = try vhdedit(["ls", work, "/etc"])
        #expect(ls.status == 0)
        expectNotice(ls, "ls")

        // info and inspect: the notice, and the pending edit in the JSON.
        let info = try vhdedit(["info", work, "--json"])
        #expect(info.status == 0)
        expectNotice(info, "info")
        let infoJSON = try #require(try JSONSerialization.jsonObject(with: info.stdout) as? [String: Any])
        let pending = try #require((infoJSON["pendingEdits"] as? [[String: Any]])?.first, "info --json: \(info.output)")
        #expect(pending["journal"] as? String == torn.journal)
        #expect((pending["records"] as? Int ?? 0) > 0)
        #expect((pending["remedy"] as? String)?.contains("vhdedit recover") == true)

        let inspect = try vhdedit(["inspect", work, "--json"])
        #expect(inspect.status == 0)
        expectNotice(inspect, "inspect")
        let inspectJSON = try #require(try JSONSerialization.jsonObject(with: inspect.stdout) as? [String: Any])
        let findings = inspectJSON["findings"] as? [[String: Any]] ?? []
        #expect(
            findings.contains { $0["operation"] as? String == "edit-journal" && $0["path"] as? String == torn.journal },
            "inspect --json findings: \(findings)")

        // check fails, naming the journal and the remedy (text and JSON).
        let check = try vhdedit(["check", work])
        #expect(check.status == 1, "check of a torn image fails: \(check.output)")
        #expect(check.output.contains("image.pending-edit") && check.output.contains(torn.journal))
        expectNotice(check, "check")
        let checkJSON = try vhdedit(["check", work, "--json"])
        #expect(checkJSON.status == 1)
        let report = try #require(try JSONSerialization.jsonObject(with: checkJSON.stdout) as? [String: Any])
        let first = try #require((report["results"] as? [[String: Any]])?.first)
        #expect(first["id"] as? String == "image.pending-edit" && first["verdict"] as? String == "fail")
        #expect((first["evidence"] as? String)?.contains("vhdedit recover \(work)") == true)

        // The file alone is torn (qemu-img reads it as it is); vhdedit's convert writes the committed image.
        let qemuCopy = torn.dir.file("qemu.raw")
        try ExternalTool.check(["qemu-img", "convert", "-f", "raw", "-O", "raw", work, qemuCopy])
        let converted = torn.dir.file("converted.raw")
        let convert = try vhdedit(["convert", work, converted, "--to", "raw"])
        #expect(convert.status == 0, "convert: \(convert.stderr)")
        expectNotice(convert, "convert")
        #expect(convert.stderr.contains("wrote the committed image"), "convert: \(convert.stderr)")
        #expect(try ExternalTool.run(["cmp", "-s", qemuCopy, torn.after]).status != 0, "the file alone is torn")
        #expect(try ExternalTool.run(["cmp", converted, torn.after]).status == 0, "convert wrote the committed image")
        #expect(try Fixtures.fsck(converted).status == 0)

        // None of that wrote a byte of the image or its journal.
        #expect(try FileDigest.sha256(work) == fileDigest)
        #expect(try FileDigest.sha256(torn.journal) == journalDigest)
    }
}
