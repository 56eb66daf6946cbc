import ArgumentParser
import FoundationEssentials
import Glibc
import VHDEditKit

/// `vhdedit partitions IMAGE [--json]`: the partition table, each partition's filesystem and the Linux root.
struct PartitionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partitions",
        abstract: "Show the partition table (MBR or GPT), each partition's filesystem and the Linux root.",
        discussion: """
            Reads the MBR (with logical partitions) or GPT (falling back to the backup header, with a \
            warning), identifies each partition's filesystem with libblkid (TYPE, UUID, LABEL, VERSION, USAGE) \
            and names the Linux root later commands use by default; with --partition N it checks that N can \
            be used instead. LVM2 volume groups on the partitions (or the whole disk) are listed with each \
            logical volume's filesystem; --volume VG/LV checks that one. Works the same on raw and every VHD type.

            Examples:
              vhdedit partitions disk.vhd
              vhdedit partitions disk.raw --json
            """)

    @OptionGroup var target: ImageOptions
    @OptionGroup var sandbox: SandboxOptions

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let report = try CommandFailure.reportingErrors {
            let opened = try DiskImage.open(path: target.image)
            try GuestSandbox.enterBeforeParsing()
            return DiskLayoutReport(
                try PartitionedDisk.inspect(opened.device), partition: target.partition,
                volume: target.volume.flatMap { LogicalVolumeName($0) },
                fstab: FstabRootProbe.line)
        }
        if json {
            try JSONOutput.print(report, schema: .partitions)
        } else {
            print(report.text)
        }
    }
}
