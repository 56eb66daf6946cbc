import ArgumentParser
import BlockIO

/// `vhdedit create DEST --size SIZE --to fixed|dynamic` and `vhdedit create DEST --parent PARENT`.
struct CreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create an empty fixed or dynamic VHD, or a differencing VHD over a parent.",
        discussion: """
            SIZE is bytes or a number with K, M, G or T (binary: 64M = 67108864). The size is kept exactly \
            (rounded up to a whole 512-byte sector only if needed): qemu-img, libvhdi, Hyper-V and Azure all \
            read it back the same. With --parent the child has the parent's size and records the parent's \
            name, unique id and relative/absolute paths.

            Examples:
              vhdedit create new.vhd --size 64G                 # dynamic: grows as blocks are written
              vhdedit create azure.vhd --size 30G --to fixed    # fixed: file = size + 512-byte footer
              vhdedit create child.vhd --parent base.vhd        # writes go to child.vhd, base.vhd is only read
            """)

    enum Kind: String, ExpressibleByArgument {
        case fixed, dynamic
    }

    @Argument(help: "The image to create (must not exist unless --force).")
    var destination: String

    @Option(help: ArgumentHelp("Virtual size, e.g. 64M, 2G, 1T or a byte count.", valueName: "size"))
    var size: ByteCountArgument?

    @Option(help: ArgumentHelp("VHD type (default dynamic).", valueName: "fixed|dynamic"))
    var to: Kind?

    @Option(help: "Create a differencing disk over this VHD.")
    var parent: String?

    @Flag(help: "Replace the destination if it exists.")
    var force = false

    func validate() throws {
        if parent != nil {
            guard size == nil, to == nil else {
                throw ValidationError("--parent takes the parent's size and type; leave out --size and --to")
            }
        } else if size == nil {
            throw ValidationError("give --size SIZE (with --to fixed|dynamic) or --parent PARENT")
        }
    }

    func run() throws {
        let kind: ImageCreator.Kind
        if let parent {
            kind = .differencing(parent: parent)
        } else if to == .fixed {
            kind = .fixed(size: size?.bytes ?? 0)
        } else {
            kind = .dynamic(size: size?.bytes ?? 0)
        }
        let report = try CommandFailure.reportingErrors {
            try ImageCreator.create(kind, at: destination, overwrite: force)
        }
        for note in report.notes { CommandFailure.printError("vhdedit: \(note)") }
        print(
            "created \(report.path): \(report.format.rawValue), virtual size \(SizeText.describe(report.virtualSize))"
                + (report.parent.map { ", parent \($0)" } ?? ""))
    }
}
