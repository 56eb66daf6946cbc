import ArgumentParser
import BlockIO
import FoundationEssentials
import ImagePrep

/// `vhdedit resize IMAGE --size SIZE [--round-to-mib] [--grow-partition [N]] [--grow-filesystem] [--dry-run] [--json]`.
struct ResizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resize",
        abstract:
            "Resize an image in place: the disk, its partition table, the last partition and its ext2/3/4 filesystem.",
        discussion: """
            Raw, fixed VHD and dynamic VHD images (not differencing ones). The partition table follows the disk \
            (GPT backup moved to the new end); --grow-partition extends the last partition (or N, when it is the \
            last) to the end, --grow-filesystem grows its ext2/3/4 filesystem to fill it. All of it is one atomic \
            change: a crash leaves the old image or the new one. Shrinking is allowed only when every partition \
            ends before the new size. Growth keeps files sparse.
            Example: vhdedit resize cloud.vhd --size 30G --round-to-mib --grow-partition --grow-filesystem
            Example: vhdedit resize disk.raw --size 64G --grow-partition 2
            """)

    @Argument(help: "The image to resize.")
    var image: String

    @Option(help: ArgumentHelp("The new virtual size: bytes or with K, M, G, T (binary).", valueName: "size"))
    var size: ByteCountArgument

    @Flag(help: "Round the size up to a whole MiB (Azure requires it).")
    var roundToMib = false

    @Option(
        name: .customLong("grow-partition"), defaultAsFlag: 0,
        help: ArgumentHelp(
            "Grow the last partition (or partition N, which must be the last) to the new end of the disk.",
            valueName: "N"))
    var growPartition: Int? = nil

    @Flag(help: "Grow the ext2/3/4 filesystem of the grown partition (or of an unpartitioned disk) to fill it.")
    var growFilesystem = false

    @Flag(help: "Do the whole resize in memory and report it, writing nothing.")
    var dryRun = false

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        let choice: ImageResizer.PartitionChoice? = growPartition.map { $0 > 0 ? .number($0) : .last }
        let options = ImageResizer.Options(
            size: size.bytes, roundToMiB: roundToMib, growPartition: choice, growFilesystem: growFilesystem,
            dryRun: dryRun)
        try Self.run(image: image, options: options, json: json)
    }

    /// The command with its arguments parsed: what ``run()`` and ``DirectLine`` both call.
    static func run(image: String, options: ImageResizer.Options, json: Bool) throws {
        let report = try CommandFailure.reportingErrors { try ImageResizer.resize(image, options: options) }
        if json {
            try JSONOutput.print(report, schema: .resize)
            return
        }
        for note in report.notes { CommandFailure.printError("vhdedit: \(note)") }
        for warning in report.warnings { CommandFailure.printError("vhdedit: warning: \(warning)") }
        print(
            "resized \(report.path) (\(report.format.rawValue)): \(SizeText.describe(report.oldSize)) -> \(SizeText.describe(report.newSize))"
        )
        if let partition = report.partition {
            print(
                "partition \(partition.number): sectors \(partition.firstSector)+\(partition.oldSectorCount) -> "
                    + "\(partition.firstSector)+\(partition.newSectorCount)")
        }
        if let filesystem = report.filesystem {
            print(
                "filesystem: \(filesystem.oldBlocks) -> \(filesystem.newBlocks) blocks of \(filesystem.blockSize) bytes, "
                    + "\(filesystem.oldGroups) -> \(filesystem.newGroups) groups")
        }
    }
}

extension ResizeCommand {
    /// A `resize` line simple enough to read without ArgumentParser (see ``DirectDispatch``): one plain-word
    /// image, `--size` with a plain-word size that parses, and the flags `--round-to-mib`, `--grow-partition`
    /// (without a number: last, or followed by another option), `--grow-filesystem`, `--dry-run` and `--json`,
    /// each at most once, in any order. Anything else (`--size=…`, `--grow-partition N`, `--`, `--help`, a
    /// repeated or unknown option, a bad size) is nil and left to ArgumentParser, which reports errors.
    struct DirectLine: Equatable {
        var image: String
        var size: UInt64
        var roundToMiB = false
        var growPartition = false
        var growFilesystem = false
        var dryRun = false
        var json = false

        init?(_ arguments: [String]) {
            guard arguments.first == "resize" else { return nil }
            var image: String?
            var size: UInt64?
            var seen: Set<String> = []
            var index = 1
            while index < arguments.count {
                let word = arguments[index]
                index += 1
                if DirectDispatch.isPlainWord(word) {
                    guard image == nil else { return nil }
                    image = word
                    continue
                }
                guard seen.insert(word).inserted else { return nil }
                switch word {
                case "--size":
                    guard index < arguments.count, DirectDispatch.isPlainWord(arguments[index]),
                        let parsed = ByteCountArgument(argument: arguments[index])
                    else { return nil }
                    size = parsed.bytes
                    index += 1
                case "--grow-partition":
                    // A following plain word could be its N; only a line where it cannot be is read here.
                    guard index == arguments.count || arguments[index].hasPrefix("--") else { return nil }
                    growPartition = true
                case "--round-to-mib": roundToMiB = true
                case "--grow-filesystem": growFilesystem = true
                case "--dry-run": dryRun = true
                case "--json": json = true
                default: return nil
                }
            }
            guard let image, let size else { return nil }
            self.image = image
            self.size = size
        }

        /// Runs the line as the parsed command would.
        func run() throws {
            let options = ImageResizer.Options(
                size: size, roundToMiB: roundToMiB, growPartition: growPartition ? .last : nil,
                growFilesystem: growFilesystem, dryRun: dryRun)
            try ResizeCommand.run(image: image, options: options, json: json)
        }
    }
}
