/// A new image written under a temporary name in its destination's folder and renamed into place only when
/// complete, so that a crash never leaves a half-written destination.
///
/// `commit()` makes the data durable (`fsync`), renames the temporary file over the destination and syncs the
/// folder. Without a commit (an error, or the value released early) the temporary file is removed.
final class AtomicOutputFile {
    /// The final path.
    let destination: String
    /// The temporary path being written.
    let temporaryPath: String
    /// The open temporary file.
    let file: HostFile
    private var committed = false

    /// Creates the temporary file for `destination`.
    ///
    /// - Parameter overwrite: replace an existing destination; otherwise an existing one is an error.
    init(destination: String, overwrite: Bool) throws(BlockIOError) {
        if !overwrite && HostPaths.exists(destination) {
            throw BlockIOError(.invalidArgument, "destination already exists (not overwritten)", path: destination)
        }
        let folder = HostPaths.directory(of: destination)
        let name = HostPaths.fileName(of: destination)
        var generator = SystemRandomNumberGenerator()
        let suffix = String(UInt32.random(in: 0...UInt32.max, using: &generator), radix: 36)
        temporaryPath = HostPaths.join(folder, ".\(name).vhdedit-\(suffix).tmp")
        self.destination = destination
        file = try HostFile(path: temporaryPath, access: .createNew)
    }

    /// Makes the file durable and renames it to the destination.
    func commit() throws(BlockIOError) {
        try file.sync()
        try HostPaths.rename(temporaryPath, to: destination)
        committed = true
        HostPaths.syncDirectory(HostPaths.directory(of: destination))
    }

    deinit {
        if !committed { HostPaths.remove(temporaryPath) }
    }
}
