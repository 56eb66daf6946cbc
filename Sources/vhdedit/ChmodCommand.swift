import ArgumentParser
import VHDEditKit

/// `vhdedit chmod IMAGE MODE PATH`.
struct ChmodCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chmod",
        abstract: "Set the permission bits of a guest path (octal).",
        discussion: """
            -h is --no-dereference (as in chmod(1)); help is --help only.
            Example: vhdedit chmod disk.vhd 600 /etc/ssh/ssh_host_rsa_key
            """,
        helpNames: [.long])

    @OptionGroup var target: ImageOptions
    @OptionGroup var golden: GoldenImageOptions
    @OptionGroup var sandbox: SandboxOptions
    @Argument(help: "Octal permission bits, e.g. 600 or 4755.") var mode: ModeArgument
    @Argument(help: "The guest path.") var path: String
    @Flag(name: [.customShort("h"), .customLong("no-dereference")], help: "Change a symlink itself, not its target.")
    var noDereference = false

    func validate() throws { try mode.validate() }

    func run() throws {
        let bits = try mode.bits
        try GuestCommand.edit(target) { fs in
            try fs.chmod(try GuestCommand.path(path), mode: bits, followSymlinks: !noDereference)
        }
    }
}
