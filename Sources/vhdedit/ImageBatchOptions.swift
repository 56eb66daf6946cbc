import ArgumentParser
import FoundationEssentials
import Glibc
import VHDEditKit

/// The image arguments of the commands that take many images (`generalize`, `azure-prepare`, `check`,
/// `convert`): the images, a manifest, a shard of it, parallel jobs and JSON output. Where in each image to work
/// (`--partition`, `--volume`) is ``GuestRootOptions``, which `convert` (whole images) does not take.
struct ImageBatchOptions: ParsableArguments {
    @Argument(help: "The disk images (for convert: SOURCE DESTINATION, or the sources with --output-dir).")
    var images: [String] = []

    @Option(
        help: ArgumentHelp(
            "A file listing images, one path per line (# comments; relative to the file's folder).", valueName: "FILE"))
    var manifest: String?

    @Option(
        help: ArgumentHelp(
            "Work on shard I of N of the images (item k goes to shard k % N), for job arrays.", valueName: "I/N"))
    var shard: String?

    @Option(
        help: ArgumentHelp(
            "Shard count N, with the index read from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job).", valueName: "N"))
    var shardCount: Int?

    @Option(help: ArgumentHelp("Images processed in parallel (default: the number of cores).", valueName: "N"))
    var jobs: Int?

    @Option(
        help: ArgumentHelp(
            "Seconds one image may take before its child process is killed and the image counts as failed (default: 300). Given, it runs even one image as a batch (in a child process).",
            valueName: "SECONDS"))
    var timeout: Double?

    @Flag(help: "Print JSON (one object; with several images, one JSON line per image and a summary line).")
    var json = false

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if let timeout, !(timeout > 0 && timeout.isFinite) {
            throw ValidationError("--timeout must be a positive number of seconds (got \(timeout))")
        }
        if shard != nil && shardCount != nil { throw ValidationError("use --shard I/N or --shard-count N, not both") }
        if let shard { try Self.usage { _ = try Shard(parsing: shard) } }
        if let shardCount, shardCount < 1 {
            throw ValidationError("--shard-count must be at least 1 (got \(shardCount))")
        }
    }

    /// Throws a usage error (exit status 64, the command's usage line) unless images or a manifest were given;
    /// the commands call it from their `validate()`.
    func requireImages() throws {
        if images.isEmpty && manifest == nil { throw ValidationError("give at least one IMAGE or --manifest FILE") }
    }

    /// Runs a library check of an argument; its error becomes a usage error (exit status 64).
    static func usage(_ check: () throws -> Void) throws {
        do { try check() } catch let error as ValidationError { throw error } catch {
            throw ValidationError("\(error)")
        }
    }

    /// `path` without its last component (what `NSString.deletingLastPathComponent` gives: "a/b" → "a",
    /// "b" → "", "/b" → "/").
    static func folder(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        if slash == trimmed.startIndex { return "/" }
        var folder = trimmed[..<slash]
        while folder.count > 1 && folder.hasSuffix("/") { folder.removeLast() }
        return String(folder)
    }

    /// The images to work on: the arguments plus the manifest's, narrowed to the shard.
    func resolvedImages() throws -> [String] {
        try requireImages()
        var all = images
        if let manifest {
            guard let text = try? String(contentsOfFile: manifest, encoding: .utf8) else {
                throw ImagePrepError(
                    .invalidArgument, "cannot read the manifest (a UTF-8 text file, one image per line)",
                    image: manifest)
            }
            all += Manifest.parse(text, folder: Self.folder(of: manifest))
        }
        if let shard { return try Shard(parsing: shard).select(all) }
        if let shardCount {
            return try Shard.fromEnvironment(ProcessInfo.processInfo.environment, count: shardCount).select(all)
        }
        return all
    }

    /// Whether this is a batch run (several images, a manifest, a shard or a timeout) rather than one image in-process.
    func isBatch(_ resolved: [String]) -> Bool {
        resolved.count != 1 || manifest != nil || shard != nil || shardCount != nil || timeout != nil
    }

    /// Runs `childArguments + [image]` in a child `vhdedit` for every image (with `root`'s `--partition` or
    /// `--volume`), prints one result per image and a summary, and exits non-zero when any image failed.
    func runBatch(
        _ resolved: [String], childArguments: [String], root: GuestRootOptions? = nil,
        describe: @escaping @Sendable (BatchItemResult) -> String
    ) throws {
        var arguments = childArguments
        if WriteProtection.isOverridden { arguments.append("--force") }  // --force of a writing command
        if GuestSandbox.isDisabled { arguments.append("--no-sandbox") }
        arguments.append("--json")
        if let partition = root?.partition { arguments += ["--partition", String(partition)] }
        if let volume = root?.volume { arguments += ["--volume", volume] }
        let job = ChildProcessJob(executable: "/proc/self/exe", arguments: arguments, timeout: timeout ?? 300)
        let runner = BatchRunner(jobs: jobs, progress: BatchProgress.onTerminal())
        let json = self.json
        let summary = runner.run(resolved, job: { job.run($0) }) { result in
            if json {
                print(Self.jsonLine(result))
            } else {
                print("\(result.ok ? "ok  " : "FAIL") \(result.image): \(describe(result))")
            }
            fflush(nil)
        }
        if json {
            print(try Self.jsonText(SchemaStamped(schema: .batchSummary, value: SummaryLine(summary: summary))))
        } else {
            print(summary.text)
        }
        if summary.failed > 0 { throw ExitCode.failure }
    }

    /// The last line of a JSON batch run.
    struct SummaryLine: Encodable {
        let summary: BatchSummary
    }

    /// One image's line of a JSON batch run: the result with the child's own JSON result (an object or an
    /// array) embedded as a JSON value, not as the text it was printed as. A child's output that is not JSON
    /// is left out (its summary says what happened).
    struct ItemLine: Encodable {
        let item: BatchItemResult
        let childResult: JSONValue?

        init(_ item: BatchItemResult) {
            var bare = item
            bare.result = nil
            self.item = bare
            switch item.result.flatMap({ try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }) {
            case let value? where value.isContainer: childResult = value
            default: childResult = nil
            }
        }

        enum CodingKeys: String, CodingKey { case result }

        func encode(to encoder: any Encoder) throws {
            try item.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(childResult, forKey: .result)
        }
    }

    /// `value` as one line of sorted-key JSON.
    static func jsonText<Value: Encodable>(_ value: Value) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// A result as one JSON line, with the child's own JSON result embedded as a value.
    static func jsonLine(_ result: BatchItemResult) -> String {
        (try? jsonText(SchemaStamped(schema: .batchItem, value: ItemLine(result)))) ?? "{}"
    }
}

/// `--partition` and `--volume` of the batch commands that work inside a guest (`generalize`, `azure-prepare`,
/// `check`); the batch parent passes them on to every child (``ImageBatchOptions/runBatch``).
struct GuestRootOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The partition to work in, 1-based like /dev/sda1; default: the detected Linux root.", valueName: "N"))
    var partition: Int?

    @Option(
        help: ArgumentHelp(
            "The LVM2 logical volume to work in, as VG/LV (like /dev/VG/LV); default: the detected Linux root.",
            valueName: "VG/LV"))
    var volume: String?

    func validate() throws { try ImageOptions.validate(volume: volume, partition: partition) }
}

/// JSON printing shared by the ImagePrep commands.
enum JSONOutput {
    static func print<T: Encodable>(_ value: T, pretty: Bool = true) throws {
        OutputCheck.install()
        let encoder = JSONEncoder()
        encoder.outputFormatting =
            pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        Swift.print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String?) -> T? {
        guard let text else { return nil }
        return try? JSONDecoder().decode(type, from: Data(text.utf8))
    }
}

extension PrepReport {
    /// The one-line summary of a batch result.
    static func batchLine(_ result: BatchItemResult) -> String {
        guard result.status == 0, let report = JSONOutput.decode(PrepReport.self, result.result) else {
            return result.summary
        }
        let warnings = report.findings.filter { $0.severity == .warning }.count
        return
            "\(report.changes.count) change\(report.changes.count == 1 ? "" : "s")\(report.dryRun ? " planned" : ""), \(warnings) warning\(warnings == 1 ? "" : "s") (\(DecimalText.fixed(result.seconds, digits: 2)) s)"
    }
}
