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

    /// Shell-pattern match of one name (`*`, `?`, `[abc]`, `[a-z]`, `[!x]`), like fnmatch without flags.
    public static func matches(_ name: String, pattern: String) -> Bool {
        matches(Array(name.unicodeScalars), 0, Array(pattern.unicodeScalars), 0)
    }

    private static func matches(_ s: [Unicode.Scalar], _ i: Int, _ p: [Unicode.Scalar], _ j: Int) -> Bool {
        var i = i, j = j
        while j < p.count {
            switch p[j] {
            case "*":
                // Collapse runs of stars; then try every split.
                while j < p.count, p[j] == "*" { j += 1 }
                if j == p.count { return true }
                var k = i
                while k <= s.count {
                    if matches(s, k, p, j) { return true }
                    k += 1
                }
                return false
            case "?":
                guard i < s.count else { return false }
                i += 1; j += 1
            case "[":
                guard i < s.count, let (matched, next) = matchClass(s[i], p, j) else {
                    // An unterminated class matches a literal '['.
                    if i < s.count, s[i] == "[", classEnd(p, j) == nil { i += 1; j += 1; continue }
                    return false
                }
                guard matched else { return false }
                i += 1; j = next
            default:
                guard i < s.count, s[i] == p[j] else { return false }
                i += 1; j += 1
            }
        }
        return i == s.count
    }

    private static func classEnd(_ p: [Unicode.Scalar], _ start: Int) -> Int? {
        var k = start + 1
        if k < p.count, p[k] == "!" || p[k] == "^" { k += 1 }
        if k < p.count, p[k] == "]" { k += 1 }
        while k < p.count, p[k] != "]" { k += 1 }
        return k < p.count ? k : nil
    }

    private static func matchClass(_ c: Unicode.Scalar, _ p: [Unicode.Scalar], _ start: Int) -> (Bool, Int)? {
        guard let end = classEnd(p, start) else { return nil }
        var k = start + 1
        var negate = false
        if p[k] == "!" || p[k] == "^" { negate = true; k += 1 }
        var found = false
        while k < end {
            if k + 2 < end, p[k + 1] == "-" {
                if p[k].value <= c.value && c.value <= p[k + 2].value { found = true }
                k += 3
            } else {
                if p[k] == c { found = true }
                k += 1
            }
        }
        return (found != negate, end + 1)
    }
}
