import ArgumentParser
import VHDEditKit

/// The image argument and the `--partition` option every command that works inside an image takes
/// (`@OptionGroup var image: ImageOptions`).
struct ImageOptions: ParsableArguments {
    @Argument(
        help: """
            The disk image, recognised by its content: raw, VHD (fixed, dynamic, differencing), VHDX or qcow2 \
            (VHDX and qcow2 are read only: `vhdedit convert` makes a VHD to write to).
            """)
    var image: String

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The partition to work in, 1-based like /dev/sda1 (logical partitions from 5); default: the detected Linux root.",
            valueName: "N"))
    var partition: Int?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The LVM2 logical volume to work in, as VG/LV (like /dev/VG/LV), instead of a partition.",
            valueName: "VG/LV"))
    var volume: String?

    func validate() throws { try Self.validate(volume: volume, partition: partition) }

    /// A usage error unless `partition` counts from 1 and `volume` is `VG/LV`, not both given.
    static func validate(volume: String?, partition: Int?) throws {
        if let partition, partition < 1 {
            throw ValidationError("--partition counts from 1, like /dev/sda1 (got \(partition))")
        }
        guard let volume else { return }
        if partition != nil { throw ValidationError("use --partition N or --volume VG/LV, not both") }
        if LogicalVolumeName(volume) == nil {
            throw ValidationError("--volume takes VG/LV, like rootvg/rootlv (got '\(volume)')")
        }
    }

    /// Opens the image and chooses the volume to work in (the `--partition` one, or the detected Linux root).
    func openVolume(writable: Bool = false) throws -> ImageVolume {
        try ImageVolume.open(
            path: image, writable: writable, partition: partition, volume: volume.flatMap { LogicalVolumeName($0) },
            fstab: FstabRootProbe.line)
    }
}
