import ArgumentParser
import VHDEditKit

/// The image argument and the `--partition` option every command that works inside an image takes
/// (`@OptionGroup var image: ImageOptions`).
struct ImageOptions: ParsableArguments {
    @Argument(help: "The disk image: raw, or VHD (fixed, dynamic, differencing).")
    var image: String

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The partition to work in, 1-based like /dev/sda1 (logical partitions from 5); default: the detected Linux root.",
            valueName: "N"))
    var partition: Int?

    func validate() throws {
        if let partition, partition < 1 {
            throw ValidationError("--partition counts from 1, like /dev/sda1 (got \(partition))")
        }
    }

    /// Opens the image and chooses the volume to work in (the `--partition` one, or the detected Linux root).
    func openVolume(writable: Bool = false) throws -> ImageVolume {
        try ImageVolume.open(path: image, writable: writable, partition: partition)
    }
}
