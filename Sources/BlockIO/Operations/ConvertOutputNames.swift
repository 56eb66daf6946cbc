/// The destinations of a convert into an output folder (`vhdedit convert IMAGE... --output-dir DIR`): each
/// source's file name without its last extension, plus the output format's extension, in the folder.
///
/// `ubuntu.qcow2` → `DIR/ubuntu.vhd` (fixed or dynamic), `DIR/ubuntu.raw` (raw); a name without an extension
/// keeps it whole (`disk` → `DIR/disk.vhd`), and a name that is only an extension (`.img`) too. The plan is
/// checked before any image is converted: two sources that would get the same destination, and a destination
/// that is one of the sources (under any name: same device and inode), are refused.
public enum ConvertOutputNames {
    /// The file name extension of an output format, with its dot: `.raw`, `.vhd`.
    public static func fileExtension(for format: ImageConverter.OutputFormat) -> String {
        format == .raw ? ".raw" : ".vhd"
    }

    /// The destination of one source in `folder`.
    public static func destination(of source: String, in folder: String, format: ImageConverter.OutputFormat) -> String
    {
        var name = Substring(HostPaths.fileName(of: trimmingTrailingSlashes(source)))
        if let dot = name.lastIndex(of: "."), dot != name.startIndex { name = name[..<dot] }
        let directory = trimmingTrailingSlashes(folder)
        return (directory == "/" ? "/" : directory + "/") + name + fileExtension(for: format)
    }

    /// The destinations of `sources` in `folder`, in the same order.
    ///
    /// - Throws: ``BlockIOError/Code/invalidArgument`` when `folder` is not a directory, when two sources
    ///   would be written to one destination (naming both), or when a destination is one of the sources.
    public static func plan(
        sources: [String], folder: String, format: ImageConverter.OutputFormat
    ) throws(BlockIOError) -> [String] {
        guard HostPaths.isDirectory(folder) else {
            throw BlockIOError(.invalidArgument, "the output folder does not exist or is not a directory", path: folder)
        }
        let destinations = sources.map { destination(of: $0, in: folder, format: format) }
        var firstSource: [String: String] = [:]
        for (source, destination) in zip(sources, destinations) {
            if let earlier = firstSource[destination] {
                throw BlockIOError(
                    .invalidArgument,
                    "\(earlier) and \(source) would both be written to this destination: rename one, or convert "
                        + "them into different folders",
                    path: destination)
            }
            firstSource[destination] = source
        }
        let inputs = sources.map { (path: $0, identity: FileIdentity.of(path: $0)) }
        for (source, destination) in zip(sources, destinations) {
            let target = FileIdentity.of(path: destination)
            if let input = inputs.first(where: { $0.path == destination || (target != nil && $0.identity == target) }) {
                throw BlockIOError(
                    .invalidArgument,
                    "is where \(source) would be converted to, but it is an input image (\(input.path)): choose "
                        + "another --output-dir",
                    path: destination)
            }
        }
        return destinations
    }

    private static func trimmingTrailingSlashes(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        return String(trimmed)
    }
}
