import Ext4

/// Helpers for absolute guest paths (strings; no host path is ever derived from them).
enum PathText {
    /// The non-empty components of `path`, split at its `/` bytes (as the kernel does; splitting by `Character`
    /// would also cost a grapheme-breaking pass over every path).
    public static func components(_ path: String) -> [String] {
        path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
            .map { String(decoding: $0, as: UTF8.self) }
    }

    /// `base/name` without doubled slashes.
    public static func join(_ base: String, _ name: String) -> String {
        base.hasSuffix("/") ? base + name : base + "/" + name
    }

    /// The folder that holds `path` (`/` for a top-level name).
    public static func parent(_ path: String) -> String {
        let parts = components(path)
        return parts.count <= 1 ? "/" : "/" + parts.dropLast().joined(separator: "/")
    }

    /// The last component of `path`.
    public static func name(_ path: String) -> String { components(path).last ?? "/" }

    /// Whether `path` is `ancestor` or lies under it.
    public static func isInside(_ path: String, _ ancestor: String) -> Bool {
        ancestor == "/" || path == ancestor || path.hasPrefix(ancestor.hasSuffix("/") ? ancestor : ancestor + "/")
    }

    /// Whether a pattern component holds a shell wildcard.
    static func hasWildcard(_ part: String) -> Bool { part.contains(where: { "*?[".contains($0) }) }

    /// Shell-pattern match of one name (`*`, `?`, `[abc]`, `[a-z]`, `[!x]`, `\\` quoting), by Ext4's
    /// ``GlobPattern`` on the names' bytes (display escapes undone): the one matcher the filesystem's own glob
    /// uses, so a staged or in-memory view matches what the image would. As glob(3) without `GLOB_PERIOD`, a
    /// name starting with `.` matches only a pattern starting with `.`.
    public static func matches(_ name: String, pattern: String) -> Bool {
        GlobPattern(bytes: GuestName(escaped: pattern).bytes).matches(GuestName(escaped: name).bytes)
    }
}
