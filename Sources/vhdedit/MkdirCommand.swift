import ArgumentParser
import VHDEditKit

/// `vhdedit mkdir IMAGE PATH [-p]`.
struct MkdirCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mkdir",
        abstract: "Create a directory inside the image.",
        discussion: "Example: vhdedit mkdir disk.vhd /etc/cloud/cloud.cfg.d -p --mode 755")

    @OptionGroup var target: ImageOptions
    @OptionGroup var golden: GoldenImageOptions
    @OptionGroup var sandbox: SandboxOptions
    @Argument(help: "The guest directory.") var path: String
    @Flag(name: [.customShort("p"), .long], help: "Create missing parents; no error if it exists.") var parents = false
    @Option(help: "Octal permission bits (default 755).") var mode: ModeArgument?
    @Option(help: "Numeric owner UID:GID (default 0:0).") var owner: OwnerArgument?

    func validate() throws {
        try mode?.validate()
        try owner?.validate()
    }

    func run() throws {
        let bits = try mode?.bits
        let ids = try owner?.parsed.get()
        try GuestCommand.edit(target) { fs in
            try fs.makeDirectory(
                try GuestCommand.path(path), parents: parents,
                options: WriteOptions(mode: bits, uid: ids?.uid, gid: ids?.gid))
        }
    }
}
