import ArgumentParser
import FoundationEssentials
import Glibc
import VHDEditKit

/// `vhdedit check IMAGE... [--json]`: Azure readiness verdicts.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check images against Azure's requirements: a verdict (pass/warn/fail) per requirement with evidence.",
        discussion: """
            VHD level: fixed type, whole-MiB virtual size, file length = size + 512, size bounds, first partition \
            at 1 MiB. Guest: kernel arguments, swap, fstab ids, agent version and auto-update, ClientAliveInterval, \
            host keys, history size, root password, provisioned user, leases, udev rules, hostname, machine-id, \
            cloud-init state, NetworkManager, IPv6. Exit status 0 when nothing fails, 1 otherwise. Nothing is written.

            Examples:
              vhdedit convert disk.vhd azure.vhd --to fixed --round-to-mib && vhdedit check azure.vhd
              vhdedit check azure.vhd --json | jq '.results[] | select(.verdict != "pass")'
            """)

    @OptionGroup var batch: ImageBatchOptions
    @OptionGroup var sandbox: SandboxOptions

    func validate() throws { try batch.requireImages() }

    func run() throws {
        let images = try CommandFailure.reportingErrors { try batch.resolvedImages() }
        if batch.isBatch(images) {
            try batch.runBatch(images, childArguments: ChildArguments.of(self)) { result in
                if let report = JSONOutput.decode(ReadinessReport.self, result.result) {
                    return report.passed ? "ready" : "not ready: " + report.failures.map(\.id).joined(separator: ", ")
                }
                return result.summary
            }
            return
        }
        GuestSandbox.armForReading()
        let report = try CommandFailure.reportingErrors { try ImagePreparation.check(images[0], partition: batch.partition, volume: batch.volume) }
        if batch.json { try JSONOutput.print(report, schema: .check, pretty: false) } else { print(report.text) }
        if !report.passed { throw ExitCode.failure }
    }
}
