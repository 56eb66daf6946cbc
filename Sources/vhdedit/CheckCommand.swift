import ArgumentParser
import FoundationEssentials
import Glibc
import VHDEditKit

/// `vhdedit check IMAGE... [--json]`: Azure readiness verdicts.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract:
            "Check images against Azure's requirements: a verdict (pass/warn/fail) per requirement with evidence.",
        discussion: """
            VHD level: fixed type, whole-MiB virtual size, file length = size + 512, size bounds, first partition \
            at 1 MiB. Guest: kernel arguments, swap, fstab ids, agent version and auto-update, ClientAliveInterval, \
            host keys, history size, root password, provisioned user, leases, udev rules, hostname, machine-id, \
            cloud-init state, NetworkManager, IPv6, sudo targetpw, numa=off on old kernels, accounts with passwords, and \
            the build VM's secrets (keys, credentials, hashes, histories; a bounded scan that says what it covered). \
            --target marketplace adds the certification size rules. Exit status 0 when nothing fails, 1 otherwise. \
            Nothing is written.

            Examples:
              vhdedit convert disk.vhd azure.vhd --to fixed --round-to-mib && vhdedit check azure.vhd
              vhdedit check azure.vhd --json | jq '.results[] | select(.verdict != "pass")'
              vhdedit check os.vhd --target marketplace --data-disk data1.vhd
            """)

    @OptionGroup var batch: ImageBatchOptions
    @OptionGroup var root: GuestRootOptions
    @OptionGroup var sandbox: SandboxOptions

    @Option(
        help: ArgumentHelp(
            "What to check for: azure (upload and boot) or marketplace (adds the certification rules: OS disk 30–1023 GiB, warn above 50).",
            valueName: "azure|marketplace"))
    var target: String = "azure"

    @Option(
        name: .customLong("data-disk"),
        help: ArgumentHelp(
            "A data disk to check against the data-disk rules (fixed, whole MiB, 1–1023 GiB); repeatable.",
            valueName: "IMAGE"))
    var dataDisk: [String] = []  // named so that its batch child spelling (ChildArguments) is --data-disk

    var checkTarget: CheckTarget? { CheckTarget(rawValue: target) }

    func validate() throws {
        try batch.requireImages()
        if checkTarget == nil { throw ValidationError("--target is azure or marketplace (got '\(target)')") }
    }

    func run() throws {
        let images = try CommandFailure.reportingErrors { try batch.resolvedImages() }
        if batch.isBatch(images) {
            try batch.runBatch(images, childArguments: ChildArguments.of(self), root: root) { result in
                if let report = JSONOutput.decode(ReadinessReport.self, result.result) {
                    return report.passed ? "ready" : "not ready: " + report.failures.map(\.id).joined(separator: ", ")
                }
                return result.summary
            }
            return
        }
        GuestSandbox.armForReading()
        let report = try CommandFailure.reportingErrors {
            try ImagePreparation.check(
                images[0], partition: root.partition, volume: root.volume, target: checkTarget ?? .azure,
                dataDisks: dataDisk)
        }
        if batch.json { try JSONOutput.print(report, schema: .check, pretty: false) } else { print(report.text) }
        if !report.passed { throw ExitCode.failure }
    }
}
