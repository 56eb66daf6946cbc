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
            console=ttyS0 earlyprintk=ttyS0 rootdelay=300 go on every kernel line of every bootloader file. What \
            cannot be done offline (uninstalling NetworkManager, installing or updating the agent) is reported.

            Examples:
              vhdedit azure-prepare disk.vhd --dry-run     # the plan, with a diff per file; writes nothing
              vhdedit azure-prepare disk.vhd --skip swap
            """)

    @OptionGroup var batch: ImageBatchOptions
    @OptionGroup var sandbox: SandboxOptions
    @OptionGroup var golden: GoldenImageOptions

    @Flag(help: "Print the plan; change nothing.")
    var dryRun = false

    @Option(help: ArgumentHelp("Only these operations (comma-separated).", valueName: "OPS"))
    var only: String?

    @Option(help: ArgumentHelp("Skip these operations (comma-separated).", valueName: "OPS"))
    var skip: String?

    @Flag(help: "Create /.autorelabel on an SELinux guest: it relabels every file at first boot (for images also changed by other tools; what vhdedit creates is labelled as it writes).")
    var selinuxRelabel = false

    var selection: OperationSelection {
        let chosen = OperationSelection(only: only.map(OperationSelection.names), skip: skip.map(OperationSelection.names) ?? [])
        return selinuxRelabel ? chosen.addingRelabel() : chosen
    }

    func validate() throws {
        try batch.requireImages()
        let selection = self.selection
        try ImageBatchOptions.usage { _ = try selection.select(from: AzurePreparer.catalog) }
    }

    func run() throws {
        let images = try CommandFailure.reportingErrors { try batch.resolvedImages() }
        let selection = self.selection
        if batch.isBatch(images) {
            try batch.runBatch(images, childArguments: ChildArguments.of(self), describe: PrepReport.batchLine)
            return
        }
        let report = try CommandFailure.reportingErrors {
            if dryRun { GuestSandbox.armForReading() } else { GuestSandbox.armForWriting() }
            return try ImagePreparation.azurePrepare(images[0], partition: batch.partition, volume: batch.volume, selection: selection, dryRun: dryRun)
        }
        if batch.json { try JSONOutput.print(report, schema: .azurePrepare, pretty: false) } else { print(report.text) }
    }
}
