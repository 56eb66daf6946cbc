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

    /// The regular files `path` names when its components are matched ignoring case, as Windows matches
    /// them: `[path]` when it names a regular file as written; otherwise every regular file whose path equals it
    /// letter for letter up to case (each component that does not exist as written is looked up in its folder
    /// ignoring case). More than one result means names that differ only in case: the caller must not pick one.
    static func regularFilesIgnoringCase(_ path: String) -> [String] {
        if isRegularFile(path) { return [path] }
        let absolute = path.hasPrefix("/")
        var prefixes = [absolute ? "/" : ""]
        for component in path.split(separator: "/", omittingEmptySubsequences: true).map(String.init) {
            var next: [String] = []
            for prefix in prefixes {
                let exact = prefix + component
                if component == "." || component == ".." || exists(exact) {
                    next.append(exact)
                    continue
                }
                let wanted = component.lowercased()
                for name in names(in: prefix.isEmpty ? "." : prefix) where name.lowercased() == wanted {
                    next.append(prefix + name)
                }
            }
            prefixes = next.map { $0 + "/" }
            if prefixes.isEmpty { return [] }
        }
        return prefixes.map { String($0.dropLast()) }.filter(isRegularFile)
    }

    /// The files to try as a differencing disk's parent, from its `candidates` paths (best first): those that
    /// exist as written, then those found only by matching names ignoring case (Windows does; a parent copied
    /// from Windows keeps the case its file had, the child names it as it was typed).
    ///
    /// - Parameter ambiguous: the error for a candidate that matches several files differing only in case
    ///   (called with the candidate and the files).
    /// - Throws: that error: picking one of them could read the wrong disk.
    static func parentFiles(
        _ candidates: [String], ambiguous: (String, [String]) -> BlockIOError
    ) throws(BlockIOError) -> [String] {
        var files = candidates.filter(isRegularFile)
        for candidate in candidates where !isRegularFile(candidate) {
            let matches = regularFilesIgnoringCase(candidate)
            if matches.count > 1 { throw ambiguous(candidate, matches.sorted()) }
            if let match = matches.first, !files.contains(match) { files.append(match) }
        }
        return files
    }

    /// The names in `folder` (`readdir(3)`), without `.` and `..`; empty when it cannot be read.
    static func names(in folder: String) -> [String] {
        guard let directory = opendir(folder) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
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
