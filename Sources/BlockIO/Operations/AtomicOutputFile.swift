internal import HostSystem

/// A new image written under a temporary name in its destination's folder and renamed into place only when
/// complete, so that a crash never leaves a half-written destination.
///
/// `commit()` makes the data durable (`fsync`), renames the temporary file over the destination and syncs the
/// folder. Without a commit (an error, or the value released early) the temporary file is removed; a SIGINT,
/// SIGTERM, SIGHUP or SIGQUIT removes it too (a signal handler unlinks it before the default action). Only a
/// SIGKILL or a power loss can leave one: the temporary file is locked (`flock`) while written, so the next
/// output to the same destination removes every `.NAME.vhdedit-*.tmp` whose lock it can take (its writer is gone).
final class AtomicOutputFile {
    /// The final path.
    let destination: String
    /// The temporary path being written.
    let temporaryPath: String
    /// The open temporary file.
    let file: HostFile
    private var committed = false
    /// Removes `temporaryPath` when a signal ends the process; dropped once committed.
    private var signalGuard: SignalRemovalGuard?

    /// Creates the temporary file for `destination`.
    ///
    /// - Parameter overwrite: replace an existing destination; otherwise an existing one is an error.
    init(destination: String, overwrite: Bool) throws(BlockIOError) {
        if HostPaths.isDirectory(destination) {
            throw BlockIOError(.invalidArgument, "is a directory; name the image file to write", path: destination)
        }
        if !overwrite && HostPaths.exists(destination) {
            throw BlockIOError(.invalidArgument, "destination already exists (not overwritten)", path: destination)
        }
        try WriteProtection.checkReplacing(destination)
        let folder = HostPaths.directory(of: destination)
        if !HostPaths.isDirectory(folder) {
            throw BlockIOError(
                .invalidArgument, "cannot write here: the folder \(folder) does not exist", path: destination)
        }
        let name = HostPaths.fileName(of: destination)
        var generator = SystemRandomNumberGenerator()
        let suffix = String(UInt32.random(in: 0...UInt32.max, using: &generator), radix: 36)
        let prefix = ".\(name).vhdedit-"
        HostFileCalls.removeUnlockedFiles(in: folder, prefix: prefix, suffix: ".tmp")
        temporaryPath = HostPaths.join(folder, "\(prefix)\(suffix).tmp")
        self.destination = destination
        do {
            file = try HostFile(path: temporaryPath, access: .createNew)
        } catch {
            throw BlockIOError(
                .io, "cannot create the temporary file \(temporaryPath) in the destination's folder", path: destination,
                errno: error.errno)
        }
        signalGuard = SignalRemovalGuard(path: temporaryPath)
    }

    /// Makes the file durable and renames it to the destination.
    ///
    /// - Parameter sync: `false` renames without the two `fsync`s (data, then folder): other processes see a
    ///   complete file under the destination's name at once, but a crash or power loss may lose its data or
    ///   the rename.
    func commit(sync: Bool = true) throws(BlockIOError) {
        if sync { try file.sync() }
        try HostPaths.rename(temporaryPath, to: destination)
        committed = true
        signalGuard = nil
        if sync { HostPaths.syncDirectory(HostPaths.directory(of: destination)) }
    }

    deinit {
        if !committed {
            HostPaths.remove(temporaryPath)
            signalGuard = nil
        }
    }
}
