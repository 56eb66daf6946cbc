import ArgumentParser
import VHDEditKit

/// `vhdedit chown IMAGE UID:GID PATH`.
struct ChownCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chown",
        abstract: "Set the numeric owner and/or group of a guest path.",
        discussion: """
            -h is --no-dereference (as in chown(1)); help is --help only.
            Examples: vhdedit chown disk.vhd 0:0 /etc/sudoers
                      vhdedit chown disk.vhd :998 /etc/ssh/ssh_host_rsa_key
            """,
        helpNames: [.long])

    @OptionGroup var target: ImageOptions
    @OptionGroup var golden: GoldenImageOptions
    @OptionGroup var sandbox: SandboxOptions
    @Argument(help: "UID:GID, UID: or :GID (numbers).") var owner: OwnerArgument
    @Argument(help: "The guest path.") var path: String
    @Flag(name: [.customShort("h"), .customLong("no-dereference")], help: "Change a symlink itself, not its target.")
    var noDereference = false

    func validate() throws { try owner.validate() }

    func run() throws {
        let ids = try owner.parsed.get()
        try GuestCommand.edit(target) { fs in
            try fs.chown(try GuestCommand.path(path), uid: ids.uid, gid: ids.gid, followSymlinks: !noDereference)
        }
    }
}
