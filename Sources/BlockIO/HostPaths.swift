#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Host path operations the image layer needs: resolving a differencing parent next to its child, and
/// replacing a destination file atomically.
enum HostPaths {
    /// The canonical absolute path of an existing file (`realpath(3)`), or `nil` when it does not exist.
    static func canonical(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Whether `path` names an existing regular file (following symlinks).
    static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// Whether `path` names an existing directory (following symlinks).
    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Whether anything exists at `path` (without following a final symlink).
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// The folder part of `path` (`"."` for a bare name).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The last component of `path`.
    static func fileName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// `name` inside `folder`, unless `name` is absolute.
    static func join(_ folder: String, _ name: String) -> String {
        if name.hasPrefix("/") { return name }
        if folder == "." { return name }
        return folder == "/" ? "/" + name : folder + "/" + name
    }

    /// Renames `source` to `destination`, replacing it (`rename(2)`, atomic on one filesystem).
    static func rename(_ source: String, to destination: String) throws(BlockIOError) {
        #if canImport(Glibc) || canImport(Musl)
        let result = Glibc.rename(source, destination)
        #else
        let result = Darwin.rename(source, destination)
        #endif
        guard result == 0 else {
            throw BlockIOError(.io, "cannot rename the temporary file to \(destination)", path: source, errno: errno)
        }
    }

    /// Makes a rename or create inside `folder` durable (`fsync` of the directory).
    static func syncDirectory(_ folder: String) {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    /// Removes `path`, ignoring errors.
    static func remove(_ path: String) { _ = unlink(path) }

    /// Whether the standard error stream is a terminal.
    static var standardErrorIsTerminal: Bool { isatty(2) == 1 }
}

/// The wall clock.
enum HostClock {
    /// Seconds since the Unix epoch.
    static func unixSeconds() -> Int { time(nil) }
}
