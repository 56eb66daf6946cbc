import ArgumentParser
import VHDEditKit

/// `vhdedit get IMAGE PATH LOCALFILE`.
struct GetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Copy a file out of the image to a host file.",
        discussion: """
            The guest path is resolved inside the guest only; the host file is the one you name (an existing \
            host symlink there is refused, not followed).
            Example: vhdedit get disk.vhd /etc/waagent.conf ./waagent.conf
            """)

    @OptionGroup var target: ImageOptions
    @OptionGroup var sandbox: SandboxOptions
    @Argument(help: "The guest file.") var path: String
    @Argument(help: "The host file to write.") var localFile: String

    func run() throws {
        try CommandFailure.reportingErrors {
            GuestSandbox.armForCopyingOut(to: localFile)
            let guest = try GuestCommand.open(target, writable: false)
            let guestPath = try GuestCommand.path(path)
            // Resolve the guest file before the host file is created (or truncated): a missing file, a
            // symlink loop or a directory leaves the host side as it was.
            if try guest.filesystem.stat(guestPath).kind != .regular {
                try guest.filesystem.readChunks(guestPath) { _ in }  // throws the typed reason
            }
            try guest.image.refuseWriting(to: localFile)
            let output = try HostOutputFile(path: localFile)
            try guest.filesystem.readChunks(guestPath) { try output.write($0) }
            try output.finish()
        }
    }
}
