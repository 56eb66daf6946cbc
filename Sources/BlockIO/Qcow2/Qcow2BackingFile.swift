/// Finds and opens the backing file of a qcow2 image: its name taken relative to the image's folder (unless
/// absolute), opened read-only (shared lock), in the format the header names (`backing_fmt`: `raw`, `qcow2`,
/// `vpc`) or, without one, the format its content shows.
enum Qcow2BackingFile {
    /// Opens the backing file `name` of the image at `imagePath`.
    ///
    /// - Parameter ancestors: canonical paths of the images already in the chain, this one included.
    /// - Throws: ``BlockIOError/Code/parent`` naming `backing_file` and its offset: a missing file, a protocol
    ///   vhdedit does not open (`nbd:`, `json:` …), a loop, a chain deeper than 256, a file of another format
    ///   than `backing_fmt` says; ``BlockIOError/Code/unsupportedFormat`` for a backing format not read.
    static func open(
        name: String, format: String?, of imagePath: String, header: Qcow2Header, ancestors: [String]
    )
        throws(BlockIOError) -> DiskImage
    {
        func failure(_ code: BlockIOError.Code, _ message: String) -> BlockIOError {
            BlockIOError(
                code, message, path: imagePath, offset: header.backingFileOffset, structure: "qcow2 header",
                field: "backing_file")
        }
        var file = name
        if file.hasPrefix("file:") { file.removeFirst(5) }
        if let colon = file.firstIndex(of: ":"), !file[..<colon].contains("/") {
            throw failure(
                .parent, "backing file \"\(name)\" is not a file (a \(file[..<colon]) URL): vhdedit opens files only")
        }
        let path = HostPaths.join(HostPaths.directory(of: imagePath), file)
        guard HostPaths.isRegularFile(path) else {
            throw failure(.parent, "backing file \"\(name)\" not found (looked for \(path))")
        }
        let canonical = HostPaths.canonical(path) ?? path
        if ancestors.contains(canonical) {
            throw failure(.parent, "backing chain loops: \(path) is already a child in this chain")
        }
        guard ancestors.count < Qcow2Image.maximumDepth else {
            throw failure(.parent, "the backing chain is deeper than \(Qcow2Image.maximumDepth) images")
        }
        let store = try RecoveredStore(over: HostFile(path: path, access: .readOnly))
        let detected = try ImageFormatDetector.detect(store)
        switch format {
        case nil:
            return try DiskImage.opened(path: path, store: store, detected: detected, ancestors: ancestors)
        case "raw", "file":
            // As qemu: a declared raw backing file is raw whatever its bytes look like.
            return DiskImage(path: path, format: .raw, device: try RawImage(store: store), store: store)
        case "qcow2" where detected == .qcow2, "vpc" where detected == .vhd, "vhdx" where detected == .vhdx:
            return try DiskImage.opened(path: path, store: store, detected: detected, ancestors: ancestors)
        case "qcow2"?, "vpc"?, "vhdx"?:
            throw failure(
                .parent,
                "backing file \(path) is not a \(format!) image as backing_fmt says (its content is \(detected.name))")
        case let other?:
            throw failure(
                .unsupportedFormat,
                "backing file \(path) has format \"\(other)\", which vhdedit does not read (raw, qcow2 and vpc are read)"
            )
        }
    }
}

extension DetectedImageFormat {
    /// The format in words.
    var name: String {
        switch self {
        case .raw: "raw"
        case .vhd: "VHD"
        case .vhdx: "VHDX"
        case .qcow2: "qcow2"
        case .foreign(let format): format.name
        }
    }
}
