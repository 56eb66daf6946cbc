import ArgumentParser
import BlockIO
import DiskLayout
import FoundationEssentials
import Glibc
import ImagePrep

/// `vhdedit info IMAGE [--json]`: what the image is.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show an image's format, sizes, VHD fields, checksums, parent chain and partitions.",
        discussion: """
            The virtual size is the footer's current_size (what Hyper-V, Azure and VirtualBox use); the CHS \
            geometry, its size and the size qemu 7.2-9.x would report are shown beside it. Below the container \
            facts come the partition table (MBR or GPT), each partition's filesystem (libblkid) and the Linux \
            root later commands use. Nothing is written.

            Examples:
              vhdedit info disk.vhd
              vhdedit info disk.vhd --json | jq .layout.partitions
            """)

    @Argument(help: "The image file (raw, VHD or qcow2).")
    var image: String

    @Flag(help: "Print the report as JSON.")
    var json = false

    @OptionGroup var sandbox: SandboxOptions

    func run() throws {
        let overview = try CommandFailure.reportingErrors {
            let opened: DiskImage
            do {
                opened = try DiskImage.open(path: image)
            } catch let error as BlockIOError where error.code == .parent {
                // A child whose parent is missing still has its own facts (what names the parent among them).
                if let own = ImageInfo.withoutParent(path: image) {
                    try show(ImageOverview.containerOnly(own, reason: "the disk cannot be read without its parent"))
                }
                throw error
            }
            try GuestSandbox.enterBeforeParsing()  // the partition table and libblkid's probes come next
            return ImageOverview.of(opened, fstab: FstabRootProbe.line)
        }
        try show(overview)
    }

    /// Prints `overview` as text or JSON.
    func show(_ overview: ImageOverview) throws {
        if json {
            try JSONOutput.print(overview, schema: .info)
        } else {
            print(Self.text(overview.image), terminator: "")
            if let layout = overview.layout {
                print("")
                print(layout.text)
            } else if let error = overview.layoutError {
                print("partitions: cannot be read: \(error)")
            }
        }
    }

    /// The plain-text report.
    static func text(_ info: ImageInfo) -> String {
        var lines: [(String, String)] = [
            ("image", info.path), ("format", info.format.rawValue),
            ("virtual size", SizeText.describe(info.virtualSize)), ("file length", "\(info.fileLength) bytes"),
        ]
        if let vhd = info.vhd {
            lines += [
                ("disk type", vhd.diskType),
                ("original size", "\(vhd.originalSize) bytes"),
                ("CHS geometry", "\(vhd.geometry) = \(vhd.geometrySize) bytes"),
                ("qemu 7.2-9.x size", "\(vhd.qemu7Size) bytes"),
                ("creator", "\(vhd.creatorApplication) \(vhd.creatorVersion) on \(vhd.creatorHostOS)"),
                ("timestamp", vhd.timestamp),
                ("unique id", vhd.uniqueID.description),
                ("saved state", vhd.savedState ? "yes" : "no"),
                ("footer", "\(vhd.footerChecksum.rawValue) (using the \(vhd.footerSource.rawValue) footer)"),
                ("footer copy", vhd.footerCopyChecksum.rawValue),
                ("header", vhd.headerChecksum.rawValue),
            ]
            if let blockSize = vhd.blockSize, let entries = vhd.maxTableEntries {
                lines.append(("block size", SizeText.describe(UInt64(blockSize))))
                lines.append(("blocks", "\(vhd.allocatedBlocks ?? 0) allocated of \(entries)"))
            }
            if let parentID = vhd.parentUniqueID {
                lines.append(("parent name", vhd.parentName ?? ""))
                lines.append(("parent unique id", parentID.description))
                lines.append(("parent timestamp", vhd.parentTimestamp ?? ""))
                for locator in vhd.parentLocators ?? [] {
                    lines.append(("parent locator", "\(locator.platform) \(locator.path)"))
                }
            }
        }
        if let qcow2 = info.qcow2 {
            lines += [
                ("qcow2 version", "\(qcow2.version)" + (qcow2.version == 2 ? " (compat=0.10)" : " (compat=1.1)")),
                ("cluster size", SizeText.describe(qcow2.clusterSize)),
                ("compression", qcow2.compressionType),
                ("extended L2", qcow2.extendedL2 ? "yes (32 subclusters per cluster)" : "no"),
                ("dirty", qcow2.dirty ? "yes" : "no"), ("corrupt", qcow2.corrupt ? "yes" : "no"),
            ]
            if qcow2.snapshots > 0 { lines.append(("snapshots", "\(qcow2.snapshots) (not read: the active disk is)")) }
            if let file = qcow2.backingFile {
                lines.append(("backing file", file + (qcow2.backingFormat.map { " (backing_fmt \($0))" } ?? "")))
            }
        }
        for (depth, link) in (info.backingChain ?? []).enumerated() {
            lines.append(
                (
                    "backing \(depth + 1)",
                    "\(link.path) (\(link.format.rawValue), \(SizeText.describe(link.virtualSize)))"
                ))
        }
        if let vhdx = info.vhdx {
            lines += [
                ("disk type", vhdx.diskType),
                ("block size", SizeText.describe(UInt64(vhdx.blockSize))),
                ("blocks", "\(vhdx.allocatedBlocks) allocated of \(vhdx.blocks)"),
                ("logical sector size", "\(vhdx.logicalSectorSize) bytes"),
                ("physical sector size", "\(vhdx.physicalSectorSize) bytes"),
                ("creator", vhdx.creator),
                ("header", "\(vhdx.currentHeader) (sequence number \(vhdx.headerSequenceNumber))"),
                ("data write GUID", vhdx.dataWriteGUID.description),
                ("page 83 data", vhdx.page83Data.description),
                (
                    "log",
                    vhdx.replayedLogEntries == 0
                        ? "empty" : "\(vhdx.replayedLogEntries) entries replayed in memory (the file is unchanged)"
                ),
            ]
            for entry in vhdx.parentLocator ?? [] {
                lines.append(("parent locator", "\(entry.platform) \(entry.path)"))
            }
        }
        for (depth, link) in info.parentChain.enumerated() {
            lines.append(("parent \(depth + 1)", "\(link.path) (\(link.format.rawValue), \(link.uniqueID))"))
        }
        if let journal = info.journal { lines.append(("edit journal", journal)) }
        for warning in info.warnings { lines.append(("warning", warning)) }
        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { $0.0.padded(toLength: width) + "  " + $0.1 + "\n" }.joined()
    }
}
