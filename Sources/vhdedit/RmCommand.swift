import ArgumentParser
import VHDEditKit

/// `vhdedit rm IMAGE PATH [-r]`.
struct RmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Delete a file, symlink or (with -r, or when empty) directory inside the image.",
        discussion: """
            A symlink is deleted itself, never its target; -r never follows symlinks.
            Example: vhdedit rm disk.vhd /var/lib/waagent -r
            """)

    @OptionGroup var target: ImageOptions
    @OptionGroup var golden: GoldenImageOptions
    @OptionGroup var sandbox: SandboxOptions
    @Argument(help: "The guest path.") var path: String
    @Flag(name: [.customShort("r"), .long], help: "Delete a directory and everything in it.") var recursive = false

    func run() throws {
        try GuestCommand.edit(target) { fs in
            let guestPath = try GuestCommand.path(path)
            if try fs.lstat(guestPath).kind == .directory {
                try fs.removeDirectory(guestPath, recursive: recursive)
            } else {
                try fs.remove(guestPath)
            }
        }
    }
}
