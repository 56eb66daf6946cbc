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

    var selection: OperationSelection {
        OperationSelection(only: only.map(OperationSelection.names), skip: skip.map(OperationSelection.names) ?? [])
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
            var child = ["azure-prepare"]
            if dryRun { child.append("--dry-run") }
            if let only { child += ["--only", only] }
            if let skip { child += ["--skip", skip] }
            try batch.runBatch(images, childArguments: child, describe: PrepReport.batchLine)
            return
        }
        let report = try CommandFailure.reportingErrors {
            if dryRun { GuestSandbox.armForReading() } else { GuestSandbox.armForWriting() }
            return try ImagePreparation.azurePrepare(images[0], partition: batch.partition, selection: selection, dryRun: dryRun)
        }
        if batch.json { try JSONOutput.print(report, pretty: false) } else { print(report.text) }
    }
}
