import ArgumentParser
import VHDEditKit

/// `vhdedit cat IMAGE PATH`.
struct CatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cat",
        abstract: "Print a file from inside the image (streamed; symlinks resolved inside the guest).",
        discussion: "Example: vhdedit cat disk.vhd /etc/os-release")

    @OptionGroup var target: ImageOptions
    @OptionGroup var sandbox: SandboxOptions
    @Argument(help: "The guest file.") var path: String

    func run() throws {
        try Self.run(image: target.image, partition: target.partition, volume: target.volume, path: path)
    }

    /// What `run()` does, callable without a parsed command (``DirectDispatch``).
    static func run(image: String, partition: Int?, volume: String? = nil, path: String) throws {
        try CommandFailure.reportingErrors {
            GuestSandbox.armForReading(decodesInitramfs: false)
            let guest = try GuestCommand.open(image: image, partition: partition, volume: volume, writable: false)
            try guest.filesystem.readChunks(try GuestCommand.path(path)) { GuestCommand.writeStandardOutput($0) }
        }
    }
}
