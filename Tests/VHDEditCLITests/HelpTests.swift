import Foundation
import Testing
import _TestSupport

/// Runs the built `vhdedit` binary.
enum CLI {
    static var binary: String {
        // swift test builds the executable beside the test runner.
        if let explicit = ProcessInfo.processInfo.environment["VHDEDIT_BINARY"] { return explicit }
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        return runner.deletingLastPathComponent().appendingPathComponent("vhdedit").path
    }
    static func run(_ arguments: [String]) throws -> ExternalTool.Result {
        try ExternalTool.run([binary] + arguments)
    }
}

@Suite struct HelpTests {
    @Test func helpNamesTheTool() throws {
        let result = try CLI.run(["--help"])
        #expect(result.status == 0)
        #expect(result.output.contains("USAGE: vhdedit"))
    }

    /// Every subcommand's help teaches by example.
    @Test func everySubcommandHelpHasAnExample() throws {
        let commands = [
            ["info"], ["create"], ["convert"], ["partitions"], ["ls"], ["cat"], ["stat"], ["get"], ["put"], ["rm"],
            ["mkdir"],
            ["symlink"], ["chmod"], ["chown"], ["edit"], ["kernel-args"], ["config"], ["config", "get"],
            ["config", "set"], ["config", "unset"], ["inspect"], ["generalize"], ["azure-prepare"], ["check"],
            ["resize"],
        ]
        for command in commands {
            let result = try CLI.run(["help"] + command)
            #expect(result.status == 0, "\(command)")
            let examples = result.output.split(separator: "\n").filter {
                $0.contains("vhdedit \(command[0]) ") && !$0.contains("USAGE:")
            }
            #expect(result.output.contains("Example"), "\(command): no example")
            #expect(!examples.isEmpty, "\(command): no example line")
        }
    }
}

/// A command's help lists only the options it accepts: `convert` copies whole images, so the batch commands'
/// `--partition` and `--volume` are neither in its help nor accepted; the guest commands keep both.
@Suite struct BatchOptionHelpTests {
    static func options(_ help: String) -> Set<String> {
        Set(help.split(whereSeparator: { " \n,=".contains($0) }).filter { $0.hasPrefix("--") }.map(String.init))
    }

    @Test func convertListsNeitherPartitionNorVolumeAndRefusesBoth() throws {
        let help = try CLI.run(["convert", "--help"])
        #expect(help.status == 0)
        let listed = Self.options(help.output)
        #expect(listed.isSuperset(of: ["--to", "--output-dir", "--manifest", "--jobs", "--json"]), "\(listed)")
        #expect(listed.isDisjoint(with: ["--partition", "--volume"]), "\(listed)")
        for option in [["--partition", "1"], ["--volume", "vg/root"]] {
            let run = try CLI.run(["convert", "a.vhd", "b.vhd", "--to", "raw"] + option)
            #expect(run.status == 64, "\(option): \(run.stderr)")
        }
    }

    @Test(arguments: ["generalize", "azure-prepare", "check"])
    func guestBatchCommandsListPartitionAndVolume(command: String) throws {
        let help = try CLI.run([command, "--help"])
        #expect(help.status == 0)
        #expect(Self.options(help.output).isSuperset(of: ["--partition", "--volume", "--manifest", "--jobs"]))
    }
}
