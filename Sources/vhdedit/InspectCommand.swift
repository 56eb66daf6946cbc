import ArgumentParser
import FoundationEssentials
import Glibc
import VHDEditKit

/// `vhdedit inspect IMAGE [--json]`: what Linux is inside.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show the guest: distribution, architecture, bootloader, network style, agents, fstab, swap, LVM.",
        discussion: """
            Reads the image only (shared lock); nothing is written.

            Examples:
              vhdedit inspect disk.vhd
              vhdedit inspect disk.vhd --json | jq .guest.distribution
            """)

    @OptionGroup var options: ImageOptions
    @OptionGroup var sandbox: SandboxOptions

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        GuestSandbox.armForReading()
        let report = try CommandFailure.reportingErrors {
            try ImagePreparation.inspect(options.image, partition: options.partition, volume: options.volume)
        }
        if json { try JSONOutput.print(report, schema: .inspect); return }
        for finding in report.findings where finding.operation != "edit-journal" {
            CommandFailure.printError("vhdedit: warning: \(finding.message)")
        }
        print(Self.text(report))
    }

    static func text(_ report: ImagePreparation.InspectReport) -> String {
        let guest = report.guest
        var lines: [(String, String)] = []
        let d = guest.distribution
        lines.append(
            (
                "distribution",
                "\(d.name ?? d.id) (id \(d.id), version \(d.version ?? "?"), family \(d.family.rawValue); from \(d.source ?? "-"))"
            ))
        lines.append(
            ("architecture", guest.architecture.map { "\($0.machine), \($0.bits)-bit (\($0.path))" } ?? "unknown"))
        lines.append(("init", guest.systemd ? "systemd" : "not systemd"))
        lines.append(("bootloader", guest.bootloaders.map(\.rawValue).joined(separator: ", ")))
        for file in guest.bootloaderFiles { lines.append(("  file", "\(file.path) (\(file.kind.rawValue))")) }
        lines.append(
            ("network", guest.networkStyles.isEmpty ? "none found" : guest.networkStyles.joined(separator: ", ")))
        lines.append(("NetworkManager", guest.networkManagerInstalled ? "installed" : "not installed"))
        for agent in guest.agents {
            lines.append(("agent", "\(agent.name) \(agent.version ?? "(version unknown)") at \(agent.path)"))
        }
        if guest.agents.isEmpty { lines.append(("agent", "none")) }
        lines.append(("provisioned user", guest.provisionedUser ?? "none"))
        for entry in guest.fstab {
            let resolved =
                entry.resolves.map {
                    $0
                        ? "resolves to "
                            + (entry.volume.map { "logical volume \($0)" } ?? "partition \(entry.partition ?? 0)")
                        : "DOES NOT RESOLVE"
                } ?? entry.naming
            lines.append(("fstab:\(entry.line)", "\(entry.spec) \(entry.mountPoint) \(entry.type) — \(resolved)"))
        }
        lines.append(
            (
                "swap",
                guest.swap.isEmpty ? "none" : guest.swap.map { "\($0.kind) \($0.location)" }.joined(separator: ", ")
            ))
        lines.append(
            (
                "LVM",
                guest.lvm.physicalVolumes.isEmpty
                    ? "none" : "PVs on partition \(guest.lvm.physicalVolumes.map(String.init).joined(separator: ", "))"
            ))
        for volume in report.disk.logicalVolumes ?? [] {
            lines.append(
                (
                    "logical volume",
                    "\(volume.path) \(volume.filesystem?.type ?? "no filesystem")"
                        + (volume.refused.map { " — not opened: \($0)" } ?? "")
                ))
        }
        lines.append(
            (
                "disk",
                "\(report.disk.format), \(report.disk.virtualSize) bytes, \(report.disk.partitionTable), \(report.disk.rootVolume.map { "root logical volume \($0)" } ?? "root partition " + (report.disk.rootPartition.map(String.init) ?? "whole disk"))"
            ))
        if let reason = report.disk.rootReason { lines.append(("root chosen", reason)) }
        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { $0.0.padded(toLength: width) + "  " + $0.1 }.joined(separator: "\n")
    }
}
