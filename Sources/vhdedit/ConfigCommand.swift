import ArgumentParser
import FoundationEssentials
import Glibc
import VHDEditKit

/// `vhdedit config get|set|unset IMAGE PATH KEY[=VALUE]...`: key/value files in the guest.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract:
            "Get, set or unset keys in waagent.conf and sysconfig-style files (ifcfg-*, /etc/sysconfig/*, /etc/default/*).",
        discussion: """
            Examples:
              vhdedit config get disk.vhd /etc/waagent.conf ResourceDisk.Format Provisioning.Enabled
              vhdedit config set disk.vhd /etc/sysconfig/network-scripts/ifcfg-eth0 ONBOOT=yes BOOTPROTO=dhcp --dry-run
              vhdedit config unset disk.vhd /etc/sysconfig/network-scripts/ifcfg-eth0 HWADDR
            """,
        subcommands: [Get.self, Set.self, Unset.self])

    struct Target: ParsableArguments {
        @OptionGroup var options: ImageOptions
        @Argument(help: "The guest file, for example /etc/waagent.conf or /etc/sysconfig/network-scripts/ifcfg-eth0.")
        var path: String
    }

    // Explicit names: a name derived from the type makes ArgumentParser call String(describing:) on the
    // type, whose casts scan every conformance record of the binary (~1.4M instructions for each command).
    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "get",
            abstract: "Print KEY=VALUE for each key (waagent.conf: the agent's default when absent).",
            discussion: """
                A key that is not set is named on standard error (with --json: its value is null) and the exit \
                status is 1.
                Example: vhdedit config get disk.vhd /etc/waagent.conf ResourceDisk.Format Provisioning.Enabled
                """)
        @OptionGroup var target: Target
        @OptionGroup var sandbox: SandboxOptions
        @Argument(help: "The keys to print, e.g. ResourceDisk.Format or ONBOOT.") var keys: [String]
        @Flag(help: "Print {\"image\", \"path\", \"values\": {KEY: VALUE or null}} as JSON.") var json = false

        func validate() throws { try ImageBatchOptions.usage { try GuestConfigEdits.checkPath(target.path) } }

        func run() throws {
            let values = try CommandFailure.reportingErrors {
                GuestSandbox.armForReading()
                return try GuestConfigEdits.get(
                    target.options.image, partition: target.options.partition, volume: target.options.volume,
                    path: target.path, keys: keys)
            }
            if json {
                var object: [String: JSONValue] = [:]
                for (key, value) in values { object[key] = value.map(JSONValue.string) ?? .null }
                try JSONOutput.print(
                    ["image": .string(target.options.image), "path": .string(target.path), "values": .object(object)]
                        as [String: JSONValue],
                    schema: .configGet)
                if values.contains(where: { $0.value == nil }) { throw ExitCode.failure }
                return
            }
            var missing = false
            for (key, value) in values {
                if let value {
                    print("\(key)=\(value)")
                } else {
                    CommandFailure.printError("vhdedit: \(key): not set in \(target.path)"); missing = true
                }
            }
            if missing { throw ExitCode.failure }
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Set KEY=VALUE assignments; prints a diff.",
            discussion: """
                The file is created when missing (its folder must exist). Lines not named keep their bytes.
                Example: vhdedit config set disk.vhd /etc/waagent.conf ResourceDisk.Format=y ResourceDisk.EnableSwap=n
                """)
        @OptionGroup var target: Target
        @OptionGroup var golden: GoldenImageOptions
        @OptionGroup var sandbox: SandboxOptions
        @Argument(help: "KEY=VALUE assignments, e.g. ResourceDisk.Format=y.") var assignments: [String]
        @Flag(help: "Print the diff; change nothing.") var dryRun = false
        @Flag(help: "Print the report (changes with their diffs, findings) as JSON.") var json = false

        func validate() throws {
            try ImageBatchOptions.usage { try GuestConfigEdits.checkAssignments(path: target.path, assignments) }
        }

        func run() throws {
            let report = try CommandFailure.reportingErrors {
                if dryRun { GuestSandbox.armForReading() } else { GuestSandbox.armForWriting() }
                return try GuestConfigEdits.set(
                    target.options.image, partition: target.options.partition, volume: target.options.volume,
                    path: target.path, assignments: assignments, dryRun: dryRun)
            }
            try ConfigCommand.show(report, json: json)
        }
    }

    struct Unset: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "unset",
            abstract: "Remove keys; prints a diff.",
            discussion: "Example: vhdedit config unset disk.vhd /etc/sysconfig/network-scripts/ifcfg-eth0 HWADDR UUID")
        @OptionGroup var target: Target
        @OptionGroup var golden: GoldenImageOptions
        @OptionGroup var sandbox: SandboxOptions
        @Argument(help: "The keys to remove, e.g. HWADDR.") var keys: [String]
        @Flag(help: "Print the diff; change nothing.") var dryRun = false
        @Flag(help: "Print the report (changes with their diffs, findings) as JSON.") var json = false

        func validate() throws { try ImageBatchOptions.usage { try GuestConfigEdits.checkPath(target.path) } }

        func run() throws {
            let report = try CommandFailure.reportingErrors {
                if dryRun { GuestSandbox.armForReading() } else { GuestSandbox.armForWriting() }
                return try GuestConfigEdits.unset(
                    target.options.image, partition: target.options.partition, volume: target.options.volume,
                    path: target.path, keys: keys, dryRun: dryRun)
            }
            try ConfigCommand.show(report, json: json)
        }
    }

    static func show(_ report: PrepReport, json: Bool) throws {
        if json { try JSONOutput.print(report, schema: .configEdit, pretty: false); return }
        print(report.diffs, terminator: "")
        for finding in report.findings { CommandFailure.printError(finding.line) }
        if report.changes.isEmpty { print("no change") }
    }
}
