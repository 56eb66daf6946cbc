import ArgumentParser
import FoundationEssentials
import Glibc
import VHDEditKit

/// `vhdedit azure-prepare IMAGE... [--dry-run] [--json]`: the Azure seeds' checklists.
struct AzurePrepareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "azure-prepare",
        abstract: "Apply Azure's preparation checklist for the detected distribution family.",
        discussion: """
            Operations: \(AzurePreparer.catalog.map(\.name).joined(separator: ", ")). Kernel arguments \
            console=ttyS0 earlyprintk=ttyS0 rootdelay=300 go on every kernel line of every bootloader file (numa=off \
            too on kernels older than 2.6.37; no rootdelay where the guest's initramfs sleeps it on every boot, \
            unless --rootdelay N). What \
            cannot be done offline (uninstalling NetworkManager, installing or updating the agent) is reported.

            Examples:
              vhdedit azure-prepare disk.vhd --dry-run     # the plan, with a diff per file; writes nothing
              vhdedit azure-prepare disk.vhd --skip swap
              vhdedit azure-prepare disk.vhd --swap-mb 4096   # swap on the resource disk, 4 GiB
            """)

    @OptionGroup var batch: ImageBatchOptions
    @OptionGroup var root: GuestRootOptions
    @OptionGroup var sandbox: SandboxOptions
    @OptionGroup var golden: GoldenImageOptions

    @Flag(help: "Print the plan; change nothing.")
    var dryRun = false

    @Option(help: ArgumentHelp("Only these operations (comma-separated).", valueName: "OPS"))
    var only: String?

    @Option(help: ArgumentHelp("Skip these operations (comma-separated).", valueName: "OPS"))
    var skip: String?

    @Flag(
        help:
            "Create /.autorelabel on an SELinux guest: it relabels every file at first boot (for images also changed by other tools; what vhdedit creates is labelled as it writes)."
    )
    var selinuxRelabel = false

    @Option(
        name: .customLong("swap-mb"),
        help: ArgumentHelp(
            "Swap on the resource disk of N MB (agent: ResourceDisk.SwapSizeMB; cloud-init: Azure's guides' 00-azure-swap.cfg, a swap partition of 33 % of the resource disk). Default: the agent's 2048 MB when unset.",
            valueName: "N"))
    var swapMb: Int?  // named so that its batch child spelling (ChildArguments) is --swap-mb

    @Flag(
        name: .customLong("no-swap"),
        help: "No swap on the resource disk (ResourceDisk.EnableSwap=n; cloud-init: 00-azure-swap.cfg removed).")
    var noSwap = false

    @Option(
        help: ArgumentHelp(
            "Add rootdelay=N even where the guest's initramfs sleeps rootdelay on every boot (default: rootdelay=300 only where it bounds the wait for the root disk).",
            valueName: "N"))
    var rootdelay: Int?

    var selection: OperationSelection {
        let chosen = OperationSelection(
            only: only.map(OperationSelection.names), skip: skip.map(OperationSelection.names) ?? [])
        return selinuxRelabel ? chosen.addingRelabel() : chosen
    }

    var options: AzurePreparer.Options {
        AzurePreparer.Options(selection: selection, swapMB: swapMb, noSwap: noSwap, rootDelay: rootdelay)
    }

    func validate() throws {
        try batch.requireImages()
        let options = self.options
        try ImageBatchOptions.usage { try options.validate() }
    }

    func run() throws {
        let images = try CommandFailure.reportingErrors { try batch.resolvedImages() }
        let options = self.options
        if batch.isBatch(images) {
            try batch.runBatch(
                images, childArguments: ChildArguments.of(self), root: root, describe: PrepReport.batchLine)
            return
        }
        let report = try CommandFailure.reportingErrors {
            if dryRun { GuestSandbox.armForReading() } else { GuestSandbox.armForWriting() }
            return try ImagePreparation.azurePrepare(
                images[0], partition: root.partition, volume: root.volume, options: options, dryRun: dryRun)
        }
        if batch.json { try JSONOutput.print(report, schema: .azurePrepare, pretty: false) } else { print(report.text) }
    }
}
