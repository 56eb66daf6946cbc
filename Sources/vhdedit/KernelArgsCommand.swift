import ArgumentParser
import FoundationEssentials
import Glibc
import VHDEditKit

/// `vhdedit kernel-args IMAGE [--add ARG]... [--remove ARG]... [--dry-run]`.
struct KernelArgsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel-args",
        abstract: "Add or remove kernel arguments in every bootloader file of the guest; prints a diff.",
        discussion: """
            Edits GRUB legacy menu.lst/grub.conf entries, /etc/default/grub, generated grub.cfg linux lines, BLS \
            entries and grubenv kernelopts consistently. key=value replaces the same key (console= may repeat); \
            --remove takes a bare name or an exact key=value. With neither option it lists the command lines \
            (FILE:LINE: ARGUMENTS; with --json an object with commandLines).

            Examples:
              vhdedit kernel-args disk.vhd
              vhdedit kernel-args disk.vhd --add console=ttyS0 --add rootdelay=300 --remove rhgb --remove quiet --dry-run
            """)

    @OptionGroup var options: ImageOptions
    @OptionGroup var golden: GoldenImageOptions
    @OptionGroup var sandbox: SandboxOptions

    @Option(name: .customLong("add"), help: ArgumentHelp("An argument to add (repeatable).", valueName: "ARG"))
    var additions: [String] = []

    @Option(
        name: .customLong("remove"),
        help: ArgumentHelp("An argument or bare name to remove (repeatable).", valueName: "ARG"))
    var removals: [String] = []

    @Flag(help: "Print the diff; change nothing.")
    var dryRun = false

    @Flag(help: "Print the report as JSON.")
    var json = false

    func validate() throws {
        try ImageBatchOptions.usage { _ = try BootloaderEdit.kernelArguments([:], add: additions, remove: removals) }
    }

    func run() throws {
        if additions.isEmpty && removals.isEmpty {
            let listing = try CommandFailure.reportingErrors {
                GuestSandbox.armForReading()
                return try GuestConfigEdits.kernelCommandLines(
                    options.image, partition: options.partition, volume: options.volume)
            }
            if json { try JSONOutput.print(listing, schema: .kernelArgs); return }
            for entry in listing.commandLines {
                print("\(entry.path):\(entry.line): \(entry.arguments.joined(separator: " "))")
            }
            return
        }
        let report = try CommandFailure.reportingErrors {
            if dryRun { GuestSandbox.armForReading() } else { GuestSandbox.armForWriting() }
            return try GuestConfigEdits.kernelArguments(
                options.image, partition: options.partition, volume: options.volume, add: additions, remove: removals,
                dryRun: dryRun)
        }
        if json { try JSONOutput.print(report, schema: .kernelArgsEdit, pretty: false); return }
        print(report.diffs, terminator: "")
        for finding in report.findings { CommandFailure.printError(finding.line) }
        print(
            report.changes.isEmpty
                ? "no change"
                : "\(dryRun ? "would change" : "changed") \(report.changes.count) file\(report.changes.count == 1 ? "" : "s")"
        )
    }
}
