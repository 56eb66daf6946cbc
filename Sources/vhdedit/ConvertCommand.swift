import ArgumentParser
import BlockIO
import FoundationEssentials
import Glibc
import HostSystem
import ImagePrep

/// `vhdedit convert SOURCE DEST --to raw|fixed|dynamic [--round-to-mib]`, or many sources into a folder:
/// `vhdedit convert SOURCE... | --manifest FILE --output-dir DIR --to ... [--jobs N] [--json]`.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract:
            "Convert an image (raw, VHD fixed/dynamic, VHDX, qcow2, or a differencing/backing chain, flattened) to raw, fixed or dynamic.",
        usage: """
            vhdedit convert <source> <destination> --to <raw|fixed|dynamic> [<options>]
            vhdedit convert <source> ... [--manifest <FILE>] --output-dir <DIR> --to <raw|fixed|dynamic> [--jobs <N>] [--json] [<options>]
            """,
        discussion: """
            Raw and fixed outputs are sparse files; dynamic output leaves all-zero blocks unallocated. The \
            destination is written under a temporary name beside it, flushed to disk and renamed when complete. \
            For Azure, use --to fixed --round-to-mib.
            Example: vhdedit convert disk.vhd azure.vhd --to fixed --round-to-mib
            Example: vhdedit convert disk.vhd disk.raw --to raw --no-sync
            Example: vhdedit convert ubuntu.qcow2 azure.vhd --to fixed --round-to-mib
            With --size the new image is resized before it gets its name (see 'vhdedit resize'):
            Example: vhdedit convert cloud.raw azure.vhd --to fixed --size 30G --round-to-mib --grow-partition --grow-filesystem
            With --output-dir every SOURCE (and every image of --manifest) is converted into DIR, named after the \
            source without its extension plus .vhd (fixed, dynamic) or .raw: ubuntu.qcow2 -> DIR/ubuntu.vhd. Two \
            sources with one output name, or an output that is a source, are refused before anything is \
            converted. Several images run in child processes, --jobs at a time; each prints a line (with --json \
            one JSON line, then a summary line), and the exit status is 1 when any image failed.
            Example: vhdedit convert --manifest exports.txt --output-dir azure/ --to fixed --round-to-mib --jobs 2 --json
            """)

    @OptionGroup var batch: ImageBatchOptions

    enum Target: String, ExpressibleByArgument {
        case raw, fixed, dynamic
    }

    @Option(help: ArgumentHelp("Output format.", valueName: "raw|fixed|dynamic"))
    var to: Target

    @Flag(help: "Round the virtual size up to a whole MiB (Azure requires it).")
    var roundToMib = false

    @Flag(help: "Replace the destination if it exists.")
    var force = false

    @Flag(
        help: ArgumentHelp(
            "Do not flush the output to disk (like qemu-img's default, cache=unsafe).",
            discussion: """
                Faster, but the command ends with the data still in the page cache: after a crash or power loss \
                the destination may be incomplete although the convert succeeded. For scratch disks whose \
                outputs are re-made after a crash.
                """))
    var noSync = false

    @Option(
        help: ArgumentHelp(
            "Resize the new image to this size (bytes or K, M, G, T), as 'vhdedit resize' does.", valueName: "size"))
    var size: ByteCountArgument?

    @Option(
        name: .customLong("grow-partition"), defaultAsFlag: 0,
        help: ArgumentHelp(
            "With --size: grow the last partition (or N, which must be the last) to the new end.", valueName: "N"))
    var growPartition: Int? = nil

    @Flag(help: "With --size: grow the ext2/3/4 filesystem of the grown partition to fill it.")
    var growFilesystem = false

    @Option(
        help: ArgumentHelp(
            "Convert every SOURCE into this folder (named SOURCE's base name + .vhd or .raw) instead of SOURCE DEST.",
            valueName: "DIR"))
    var outputDir: String?

    /// The source and destination of a one-image convert without `--output-dir`.
    var sourceAndDestination: (source: String, destination: String)? {
        outputDir == nil && batch.images.count == 2 ? (batch.images[0], batch.images[1]) : nil
    }

    func validate() throws {
        if outputDir == nil {
            if batch.manifest != nil || batch.shard != nil || batch.shardCount != nil || batch.jobs != nil
                || batch.timeout != nil
            {
                throw ValidationError("--manifest, --shard, --shard-count, --jobs and --timeout need --output-dir DIR")
            }
            if batch.images.count != 2 {
                throw ValidationError("give SOURCE DESTINATION, or one or more SOURCEs with --output-dir DIR")
            }
        } else {
            try batch.requireImages()
        }
        if size == nil && (growPartition != nil || growFilesystem) {
            throw ValidationError("--grow-partition and --grow-filesystem need --size")
        }
    }

    func run() throws {
        if let outputDir {
            let sources = try CommandFailure.reportingErrors { try batch.resolvedImages() }
            let format = ImageConverter.OutputFormat(rawValue: to.rawValue) ?? .raw
            let destinations = try CommandFailure.reportingErrors {
                try ConvertOutputNames.plan(sources: sources, folder: outputDir, format: format)
            }
            if batch.isBatch(sources) {
                try batch.runBatch(sources, childArguments: ChildArguments.of(self), describe: Self.batchLine)
                return
            }
            try convert(source: sources[0], destination: destinations[0])
        } else if let (source, destination) = sourceAndDestination {
            try convert(source: source, destination: destination)
        }
    }

    /// Converts one image in this process and prints what was written.
    func convert(source: String, destination: String) throws {
        let showProgress = CommandFailure.standardErrorIsTerminal
        let progress: (@Sendable (UInt64, UInt64) -> Void)? =
            showProgress ? ProgressLine(label: "converting").update : nil
        let options = ImageConverter.Options(
            format: ImageConverter.OutputFormat(rawValue: to.rawValue) ?? .raw, roundToMiB: roundToMib,
            overwrite: force,
            sync: !noSync, progress: progress)
        let resize = size.map { size in
            ImageResizer.Options(
                size: size.bytes, roundToMiB: roundToMib,
                growPartition: growPartition.map { $0 > 0 ? .number($0) : .last },
                growFilesystem: growFilesystem)
        }
        let (report, resized) = try CommandFailure.reportingErrors {
            () throws -> (ImageConverter.Report, ImageResizer.Report?) in
            if let resize {
                let done = try ImageResizer.convert(
                    source: source, destination: destination, options: options, resize: resize)
                return (done.conversion, done.resize)
            }
            return (try ImageConverter.convert(source: source, destination: destination, options: options), nil)
        }
        if showProgress { CommandFailure.printErrorInline("\r\u{1B}[K") }
        for note in report.notes + (resized?.notes ?? []) { CommandFailure.printError("vhdedit: \(note)") }
        for warning in resized?.warnings ?? [] { CommandFailure.printError("vhdedit: warning: \(warning)") }
        if batch.json {
            try JSONOutput.print(ConvertResult(conversion: report, resize: resized), schema: .convert, pretty: false)
            return
        }
        print(Self.wroteLine(report))
        if let partition = resized?.partition {
            print("partition \(partition.number): \(partition.oldSectorCount) -> \(partition.newSectorCount) sectors")
        }
        if let filesystem = resized?.filesystem {
            print(
                "filesystem: \(filesystem.oldBlocks) -> \(filesystem.newBlocks) blocks, \(filesystem.oldGroups) -> \(filesystem.newGroups) groups"
            )
        }
    }

    /// `wrote DEST: FORMAT, virtual size ...`.
    static func wroteLine(_ report: ImageConverter.Report) -> String {
        "wrote \(report.destination): \(report.format.rawValue), virtual size \(SizeText.describe(report.virtualSize))"
            + (report.allocatedBlocks.map { ", \($0) blocks allocated" } ?? "")
    }

    /// The text line of one image of a batch: what its child wrote, or its error.
    @Sendable static func batchLine(_ result: BatchItemResult) -> String {
        guard result.status == 0, let report = JSONOutput.decode(ImageConverter.Report.self, result.result) else {
            return result.summary
        }
        return wroteLine(report) + " (\(DecimalText.fixed(result.seconds, digits: 2)) s)"
    }
}

/// What `convert --json` prints: the conversion report's members, and with `--size` the resize report as
/// `resize`.
struct ConvertResult: Encodable {
    let conversion: ImageConverter.Report
    let resize: ImageResizer.Report?

    private enum Key: String, CodingKey { case resize }

    func encode(to encoder: any Encoder) throws {
        try conversion.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encodeIfPresent(resize, forKey: .resize)
    }
}

extension ByteCountArgument: ChildArgumentSpelling {
    var childArgument: String { String(bytes) }
}

/// A one-line progress display on standard error, redrawn at most a few times a second.
final class ProgressLine: @unchecked Sendable {
    private let label: String
    private var lastDraw = Date.distantPast

    init(label: String) { self.label = label }

    func update(done: UInt64, total: UInt64) {
        let now = Date()
        guard done == total || now.timeIntervalSince(lastDraw) > 0.2 else { return }
        lastDraw = now
        let percent = total == 0 ? 100 : Int(Double(done) / Double(total) * 100)
        CommandFailure.printErrorInline(
            "\r\u{1B}[K\(label): \(percent)% (\(SizeText.short(done)) of \(SizeText.short(total)))")
    }
}
