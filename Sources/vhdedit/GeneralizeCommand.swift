import ArgumentParser
import FoundationEssentials
import Glibc
import VHDEditKit

/// `vhdedit generalize IMAGE... [--dry-run] ...`: offline `waagent -deprovision[+user]`.
struct GeneralizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generalize",
        abstract: "Deprovision images offline: what 'waagent -deprovision' does, plus opt-in extras.",
        discussion: """
            Default operations (gated by the image's own /etc/waagent.conf, agent defaults when absent): \
            \(Generalizer.catalog.filter { $0.isDefault && $0.name != "delete-user" }.map(\.name).joined(separator: ", ")). \
            Opt-in: delete-user (--delete-user), \(Generalizer.catalog.filter { !$0.isDefault && $0.name != "delete-user" }.map(\.name).joined(separator: ", ")) \
            (enable with --only defaults,NAME,... or --only all). Run 'vhdedit generalize --list' for what each does.

            A dry run prints the exact plan and writes nothing. A real run commits all changes as one unit. \
            With several images (or --manifest/--shard) each image runs in its own child process, --jobs at a time.

            Examples:
              vhdedit generalize disk.vhd --delete-user --dry-run      # the plan: operation, action, path, why
              vhdedit generalize disk.vhd --delete-user                # do it
              vhdedit generalize disk.vhd --only defaults,secrets      # defaults plus an opt-in extra
              vhdedit generalize --manifest farm.txt --jobs 4 --json   # one JSON line per image, then a summary
            """)

    @OptionGroup var batch: ImageBatchOptions
    @OptionGroup var root: GuestRootOptions
    @OptionGroup var sandbox: SandboxOptions
    @OptionGroup var golden: GoldenImageOptions

    @Flag(help: "Print the plan; change nothing.")
    var dryRun = false

    @Flag(help: "Also remove the provisioned user (UserName in /var/lib/waagent/ovf-env.xml, or --user).")
    var deleteUser = false

    @Option(
        help: ArgumentHelp(
            "The user to remove (implies --delete-user); repeatable, or a comma list.", valueName: "USER"))
    var user: [String] = []

    @Option(
        help: ArgumentHelp("Only these operations (comma-separated; 'defaults' and 'all' allowed).", valueName: "OPS"))
    var only: String?

    @Option(help: ArgumentHelp("Skip these operations (comma-separated).", valueName: "OPS"))
    var skip: String?

    @Flag(help: "List the operations and exit.")
    var list = false

    @Flag(
        help:
            "Create /.autorelabel on an SELinux guest: it relabels every file at first boot (for images also changed by other tools; what vhdedit creates is labelled as it writes)."
    )
    var selinuxRelabel = false

    var options: Generalizer.Options {
        Generalizer.Options(
            selection: selinuxRelabel ? baseSelection.addingRelabel() : baseSelection, deleteUser: deleteUser,
            users: user.flatMap(OperationSelection.names))
    }

    var baseSelection: OperationSelection {
        OperationSelection(only: only.map(OperationSelection.names), skip: skip.map(OperationSelection.names) ?? [])
    }

    func validate() throws {
        if list { return }
        try batch.requireImages()
        let options = self.options
        try ImageBatchOptions.usage { _ = try Generalizer.operations(for: options) }
    }

    /// One line of `--list --json`.
    struct Listed: Encodable {
        let name: String
        let isDefault: Bool
        let summary: String
        enum CodingKeys: String, CodingKey { case name, isDefault = "default", summary }
    }

    func run() throws {
        OutputCheck.install()
        if list {
            if batch.json {
                try JSONOutput.print(
                    [
                        "operations": Generalizer.catalog.map {
                            Listed(name: $0.name, isDefault: $0.isDefault, summary: $0.summary)
                        }
                    ],
                    schema: .generalizeOperations)
                return
            }
            for op in Generalizer.catalog {
                print("\(op.name.padded(toLength: 22)) \(op.isDefault ? "default" : "opt-in ") \(op.summary)")
            }
            return
        }
        let images = try CommandFailure.reportingErrors { try batch.resolvedImages() }
        let options = self.options
        if batch.isBatch(images) {
            try batch.runBatch(
                images, childArguments: ChildArguments.of(self), root: root, describe: PrepReport.batchLine)
            return
        }
        if dryRun { GuestSandbox.armForReading() } else { GuestSandbox.armForWriting() }
        let report = try CommandFailure.reportingErrors {
            try ImagePreparation.generalize(
                images[0], partition: root.partition, volume: root.volume, options: options, dryRun: dryRun)
        }
        if batch.json { try JSONOutput.print(report, schema: .generalize, pretty: false) } else { print(report.text) }
    }
}
