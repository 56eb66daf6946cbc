import ArgumentParser
import BlockIO

/// `--force` of the commands that write an image: write it even when it has no write permission for anyone
/// (`chmod a-w`, a golden image), which vhdedit otherwise refuses, even for root.
///
/// The flag applies to the whole process as soon as the command line is parsed (``validate()``), so that every
/// image the command opens, and every batch child (``ImageBatchOptions/runBatch``), sees it.
struct GoldenImageOptions: ParsableArguments {
    @Flag(
        name: .customLong("force"),
        help: "Write the image even if it is write-protected (no write permission for anyone: a golden image).")
    var force = false

    func validate() throws { WriteProtection.allowWritingProtectedFiles(force) }
}
