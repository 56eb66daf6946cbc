import ArgumentParser
import BlockIO
import FoundationEssentials
import Glibc

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

    func run() throws {
        let showProgress = CommandFailure.standardErrorIsTerminal
        let progress: (@Sendable (UInt64, UInt64) -> Void)? =
            showProgress ? ProgressLine(label: "converting").update : nil
        let options = ImageConverter.Options(
            format: ImageConverter.OutputFormat(rawValue: to.rawValue) ?? .raw, roundToMiB: roundToMib, overwrite: force,
            sync: !noSync, progress: progress)
        let report = try CommandFailure.reportingErrors {
            try ImageConverter.convert(source: source, destination: destination, options: options)
        }
        if showProgress { CommandFailure.printErrorInline("\r\u{1B}[K") }
        for note in report.notes { CommandFailure.printError("vhdedit: \(note)") }
        print(
            "wrote \(report.destination): \(report.format.rawValue), virtual size \(SizeText.describe(report.virtualSize))"
                + (report.allocatedBlocks.map { ", \($0) blocks allocated" } ?? ""))
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
