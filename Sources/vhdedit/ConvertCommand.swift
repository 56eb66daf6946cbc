import ArgumentParser
import BlockIO
import FoundationEssentials
import Glibc
import ImagePrep

/// `vhdedit convert SOURCE DEST --to raw|fixed|dynamic [--round-to-mib]`.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert an image (raw, VHD fixed/dynamic, qcow2, or a differencing/backing chain, flattened) to raw, fixed or dynamic.",
        discussion: """
            Raw and fixed outputs are sparse files; dynamic output leaves all-zero blocks unallocated. The \
            destination is written under a temporary name beside it, flushed to disk and renamed when complete. \
            For Azure, use --to fixed --round-to-mib.
            Example: vhdedit convert disk.vhd azure.vhd --to fixed --round-to-mib
            Example: vhdedit convert disk.vhd disk.raw --to raw --no-sync
            Example: vhdedit convert ubuntu.qcow2 azure.vhd --to fixed --round-to-mib
            With --size the new image is resized before it gets its name (see 'vhdedit resize'):
            Example: vhdedit convert cloud.raw azure.vhd --to fixed --size 30G --round-to-mib --grow-partition --grow-filesystem
            """)

    @Argument(help: "The image to read.")
    var source: String

    @Argument(help: "The image to write (must not exist unless --force).")
    var destination: String

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

    @Option(help: ArgumentHelp("Resize the new image to this size (bytes or K, M, G, T), as 'vhdedit resize' does.", valueName: "size"))
    var size: ByteCountArgument?

    @Option(
        name: .customLong("grow-partition"), defaultAsFlag: 0,
        help: ArgumentHelp("With --size: grow the last partition (or N, which must be the last) to the new end.", valueName: "N"))
    var growPartition: Int? = nil

    @Flag(help: "With --size: grow the ext2/3/4 filesystem of the grown partition to fill it.")
    var growFilesystem = false

    func validate() throws {
        if size == nil && (growPartition != nil || growFilesystem) {
            throw ValidationError("--grow-partition and --grow-filesystem need --size")
        }
    }

    func run() throws {
        let showProgress = CommandFailure.standardErrorIsTerminal
        let progress: (@Sendable (UInt64, UInt64) -> Void)? =
            showProgress ? ProgressLine(label: "converting").update : nil
        let options = ImageConverter.Options(
            format: ImageConverter.OutputFormat(rawValue: to.rawValue) ?? .raw, roundToMiB: roundToMib, overwrite: force,
            sync: !noSync, progress: progress)
        let resize = size.map { size in
            ImageResizer.Options(
                size: size.bytes, roundToMiB: roundToMib, growPartition: growPartition.map { $0 > 0 ? .number($0) : .last },
                growFilesystem: growFilesystem)
        }
        let (report, resized) = try CommandFailure.reportingErrors { () throws -> (ImageConverter.Report, ImageResizer.Report?) in
            if let resize {
                let done = try ImageResizer.convert(source: source, destination: destination, options: options, resize: resize)
                return (done.conversion, done.resize)
            }
            return (try ImageConverter.convert(source: source, destination: destination, options: options), nil)
        }
        if showProgress { CommandFailure.printErrorInline("\r\u{1B}[K") }
        for note in report.notes + (resized?.notes ?? []) { CommandFailure.printError("vhdedit: \(note)") }
        for warning in resized?.warnings ?? [] { CommandFailure.printError("vhdedit: warning: \(warning)") }
        print(
            "wrote \(report.destination): \(report.format.rawValue), virtual size \(SizeText.describe(report.virtualSize))"
                + (report.allocatedBlocks.map { ", \($0) blocks allocated" } ?? ""))
        if let partition = resized?.partition {
            print("partition \(partition.number): \(partition.oldSectorCount) -> \(partition.newSectorCount) sectors")
        }
        if let filesystem = resized?.filesystem {
            print("filesystem: \(filesystem.oldBlocks) -> \(filesystem.newBlocks) blocks, \(filesystem.oldGroups) -> \(filesystem.newGroups) groups")
        }
    }
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
