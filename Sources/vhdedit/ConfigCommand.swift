import ArgumentParser
import FoundationEssentials
import Glibc
import VHDEditKit

/// `vhdedit config get|set|unset IMAGE PATH KEY[=VALUE]...`: key/value files in the guest.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Get, set or unset keys in waagent.conf and sysconfig-style files (ifcfg-*, /etc/sysconfig/*, /etc/default/*).",
        subcommands: [Get.self, Set.self, Unset.self])

    struct Target: ParsableArguments {
        @OptionGroup var options: ImageOptions
        @Argument(help: "The guest file, for example /etc/waagent.conf or /etc/sysconfig/network-scripts/ifcfg-eth0.")
        var path: String
    }

    // Explicit names: a name derived from the type makes ArgumentParser call String(describing:) on the
    // type, whose casts scan every conformance record of the binary (~1.4M instructions for each command).
    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "Print KEY=VALUE for each key (waagent.conf: the agent's default when absent).")
        @OptionGroup var target: Target
        @Argument(help: "Keys.") var keys: [String]

        func run() throws {
            let values = try CommandFailure.reportingErrors {
                try GuestConfigEdits.get(target.options.image, partition: target.options.partition, path: target.path, keys: keys)
            }
            var missing = false
            for (key, value) in values {
                if let value { print("\(key)=\(value)") } else { CommandFailure.printError("\(key): not set"); missing = true }
            }
            if missing { throw ExitCode.failure }
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Set KEY=VALUE assignments; prints a diff.")
        @OptionGroup var target: Target
        @Argument(help: "KEY=VALUE assignments.") var assignments: [String]
        @Flag(help: "Print the diff; change nothing.") var dryRun = false

        func run() throws {
            let report = try CommandFailure.reportingErrors {
                try GuestConfigEdits.set(target.options.image, partition: target.options.partition, path: target.path, assignments: assignments, dryRun: dryRun)
            }
            ConfigCommand.show(report)
        }
    }

    struct Unset: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "unset", abstract: "Remove keys; prints a diff.")
        @OptionGroup var target: Target
        @Argument(help: "Keys.") var keys: [String]
        @Flag(help: "Print the diff; change nothing.") var dryRun = false

        func run() throws {
            let report = try CommandFailure.reportingErrors {
                try GuestConfigEdits.unset(target.options.image, partition: target.options.partition, path: target.path, keys: keys, dryRun: dryRun)
            }
            ConfigCommand.show(report)
        }
    }

    static func show(_ report: PrepReport) {
        print(report.diffs, terminator: "")
        for finding in report.findings { CommandFailure.printError(finding.line) }
        if report.changes.isEmpty { print("no change") }
    }
}
