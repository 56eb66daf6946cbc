/// The kind of a guest directory entry.
public enum GuestFileType: String, Codable, Sendable {
    case regular, directory, symlink, other
}

/// What `lstat` says about a guest path (the final component is not followed).
public struct GuestFileInfo: Sendable, Equatable {
    /// What kind of entry it is.
    public var type: GuestFileType
    /// Size in bytes (for a symlink: the length of its target).
    public var size: UInt64
    /// Permission bits (`0o7777`).
    public var mode: UInt16
    /// The owner's user id.
    public var uid: UInt32
    /// The owner's group id.
    public var gid: UInt32

    /// What `lstat` says, owner `root:root` unless given.
    public init(type: GuestFileType, size: UInt64, mode: UInt16, uid: UInt32 = 0, gid: UInt32 = 0) {
        self.type = type
        self.size = size
        self.mode = mode
        self.uid = uid
        self.gid = gid
    }
}

/// The guest filesystem operations image preparation needs, over absolute guest paths (`/etc/shadow`).
///
/// Everything in ImagePrep is written against this protocol, not against a filesystem driver, so that plans
/// can be computed over a staged view (``StagedGuestFiles``) and tested over an in-memory tree. The ext4
/// filesystem of an image conforms to it through an adapter. Paths are guest paths: an implementation must
/// keep them inside the guest root and must never touch a host path on behalf of one.
public protocol GuestFiles: AnyObject {
    /// What is at `path`, without following a final symlink; `nil` when nothing is there.
    func lstat(_ path: String) throws(ImagePrepError) -> GuestFileInfo?
    /// The bytes of the regular file at `path` (symlinks followed).
    ///
    /// - Throws: ``ImagePrepError/Code/unexpectedFile`` when the file is larger than `limit` bytes.
    func readFile(_ path: String, limit: Int) throws(ImagePrepError) -> [UInt8]
    /// The first `count` bytes (fewer when the file is shorter) of the regular file at `path` (symlinks followed).
    func readPrefix(_ path: String, count: Int) throws(ImagePrepError) -> [UInt8]
    /// Replaces the file at `path` with `contents`, keeping its mode and owner; creates it with `newFileMode`
    /// (owner root) when it does not exist. The parent directory must exist.
    func writeFile(_ path: String, contents: [UInt8], newFileMode: UInt16) throws(ImagePrepError)
    /// Removes the regular file or symlink at `path` (a symlink itself, never its target).
    func removeFile(_ path: String) throws(ImagePrepError)
    /// Removes the directory at `path` and everything under it.
    func removeTree(_ path: String) throws(ImagePrepError)
    /// The names in the directory at `path` (without `.` and `..`).
    func listDirectory(_ path: String) throws(ImagePrepError) -> [String]
    /// The target of the symlink at `path`, as stored.
    func readLink(_ path: String) throws(ImagePrepError) -> String
    /// `path` with every symlink resolved inside the guest root (absolute links against the guest root, `..`
    /// stopping at `/`); `nil` when a component is missing (a dangling link) or after 40 links.
    ///
    /// The default walks the path with ``lstat(_:)`` and ``readLink(_:)``, one prefix at a time; a view over a
    /// real filesystem answers from its own path walker (``Ext4GuestFiles``).
    func resolve(_ path: String) throws(ImagePrepError) -> String?
    /// The guest paths matching a shell pattern (`*`, `?`, `[...]` within one component, as Ext4's
    /// `GlobPattern` reads them; names starting with `.` only for a pattern starting with `.`), sorted.
    ///
    /// The default lists directories through ``listDirectory(_:)``; ``Ext4GuestFiles`` uses the filesystem's
    /// own `glob`.
    func glob(_ pattern: String) throws(ImagePrepError) -> [String]
    /// The entries of the directory at `path` with what `lstat` says of each (see GuestFiles+Entries.swift).
    func listEntries(_ path: String) throws(ImagePrepError) -> [GuestDirectoryEntry]
    /// Makes a symbolic link at `path` (nothing may be there) to `target`, stored as given (see GuestFiles+Entries.swift).
    func makeSymlink(_ path: String, target: String) throws(ImagePrepError)
}

/// The largest guest file ImagePrep reads into memory (configuration files are far smaller).
public let guestFileReadLimit = 8 << 20

extension GuestFiles {
    /// Whether anything (a dangling symlink too) is at `path`.
    public func exists(_ path: String) throws(ImagePrepError) -> Bool { try lstat(path) != nil }

    /// The text of the file at `path` (symlinks followed), or `nil` when there is no regular file there.
    public func readText(_ path: String, limit: Int = guestFileReadLimit) throws(ImagePrepError) -> String? {
        guard let resolved = try resolve(path), let info = try lstat(resolved), info.type == .regular else {
            return nil
        }
        return String(decoding: try readFile(resolved, limit: limit), as: UTF8.self)
    }

    /// `path` with every symlink resolved inside the guest root (absolute links against the guest root, `..`
    /// stopping at `/`); `nil` when a component is missing (a dangling link) or after 40 links. Walks the
    /// path one prefix at a time with ``lstat(_:)`` and ``readLink(_:)``.
    public func resolve(_ path: String) throws(ImagePrepError) -> String? {
        var pending = PathText.components(path)
        var done: [String] = []
        var links = 0
        while !pending.isEmpty {
            let name = pending.removeFirst()
            if name == "." { continue }
            if name == ".." { _ = done.popLast(); continue }
            let candidate = "/" + (done + [name]).joined(separator: "/")
            guard let info = try lstat(candidate) else { return nil }
            if info.type == .symlink {
                links += 1
                if links > 40 { return nil }
                let target = try readLink(candidate)
                if target.hasPrefix("/") { done = [] }
                pending = PathText.components(target) + pending
            } else {
                done.append(name)
            }
        }
        return "/" + done.joined(separator: "/")
    }

    /// The guest paths matching a shell pattern (`*`, `?`, `[...]` within one component), sorted.
    public func glob(_ pattern: String) throws(ImagePrepError) -> [String] {
        var matches = ["/"]
        for part in PathText.components(pattern) {
            var next: [String] = []
            for base in matches {
                if !PathText.hasWildcard(part) {
                    let candidate = PathText.join(base, part)
                    if try lstat(candidate) != nil { next.append(candidate) }
                    continue
                }
                guard let resolved = try resolve(base), try lstat(resolved)?.type == .directory else { continue }
                for name in try listDirectory(resolved).sorted() where PathText.matches(name, pattern: part) {
                    if name.hasPrefix(".") && !part.hasPrefix(".") { continue }
                    next.append(PathText.join(base, name))
                }
            }
            matches = next
        }
        return matches.filter { $0 != "/" }.sorted()
    }

    /// Every path under the directory `path` (depth first, `path` itself not included), at most `limit`.
    public func walk(_ path: String, limit: Int = 100_000) throws(ImagePrepError) -> [String] {
        var result: [String] = []
        var stack = [path]
        while let directory = stack.popLast(), result.count < limit {
            for name in try listDirectory(directory).sorted() {
                let child = PathText.join(directory, name)
                result.append(child)
                if try lstat(child)?.type == .directory { stack.append(child) }
            }
        }
        return result
    }
}
