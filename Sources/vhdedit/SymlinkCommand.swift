import ArgumentParser
import VHDEditKit

/// `vhdedit symlink IMAGE TARGET PATH`.
struct SymlinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "symlink",
        abstract: "Create a symbolic link inside the image (the target is stored as given).",
        discussion: "Example: vhdedit symlink disk.vhd ../run/systemd/resolve/stub-resolv.conf /etc/resolv.conf")

    @OptionGroup var target: ImageOptions
    @OptionGroup var golden: GoldenImageOptions
    @OptionGroup var sandbox: SandboxOptions
    @Argument(help: "What the link points to (stored verbatim; escapes as ls prints them).") var linkTarget: String
    @Argument(help: "The guest path of the new link.") var path: String

    func run() throws {
        try GuestCommand.edit(target) { fs in
            try fs.makeSymlink(try GuestCommand.path(path), target: GuestName(escaped: linkTarget).bytes)
        }
    }
}
