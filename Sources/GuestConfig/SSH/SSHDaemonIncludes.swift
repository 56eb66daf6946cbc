/// Where a global sshd setting comes from once `Include` lines are followed.
public struct SSHDaemonSetting: Sendable, Hashable {
    /// The guest path of the file that sets it.
    public var path: String
    /// 1-based line number in that file.
    public var line: Int
    /// The value as written.
    public var value: String
}

extension SSHDaemonConfig {
    /// The deepest chain of `Include`s followed (OpenSSH allows 16).
    public static let maximumIncludeDepth = 16

    /// The global value sshd uses for `keyword`, following `Include` lines in place, as sshd does: the first
    /// value met wins, whether in this file or in an included one (generalize.md §b.22).
    ///
    /// - Parameters:
    ///   - path: this file's guest path (default `/etc/ssh/sshd_config`); relative `Include` patterns are
    ///     taken relative to `/etc/ssh`.
    ///   - files: the texts of files that may be included (guest path → text). `Include` patterns (`*`, `?`)
    ///     are matched against these paths; matches are read in lexical order, like sshd's glob.
    ///   - keyword: the directive that names the included files (`Include`).
    /// - Returns: the winning setting, or nil when no global line sets the keyword.
    public func effectiveGlobalSetting(
        of keyword: String, path: String = "/etc/ssh/sshd_config", files: [String: String] = [:]
    ) -> SSHDaemonSetting? {
        var visited = 0
        return Self.firstGlobal(
            keyword.lowercased(), text: text, path: path, files: files, depth: 0, visited: &visited)
    }

    private static func firstGlobal(
        _ keyword: String, text: String, path: String, files: [String: String], depth: Int, visited: inout Int
    ) -> SSHDaemonSetting? {
        visited += 1
        guard depth <= maximumIncludeDepth, visited <= 1000 else { return nil }
        for directive in SSHDaemonConfig(text).directives where directive.isGlobal {
            let name = directive.keyword.lowercased()
            if name == keyword {
                return SSHDaemonSetting(
                    path: path, line: directive.lineIndex + 1, value: directive.value.trimmingSpaces)
            }
            guard name == "include" else { continue }
            for pattern in directive.value.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                let absolute = pattern.hasPrefix("/") ? String(pattern) : "/etc/ssh/" + pattern
                for included in files.keys.sorted() where GlobPattern(absolute).matches(included) {
                    // A Match block inside an included file ends with that file, as in sshd.
                    if let found = firstGlobal(
                        keyword, text: files[included]!, path: included, files: files, depth: depth + 1,
                        visited: &visited)
                    {
                        return found
                    }
                }
            }
        }
        return nil
    }
}

/// A shell-style path pattern: `*` and `?` within one path component, other characters literal.
struct GlobPattern {
    let components: [Substring]

    init(_ pattern: String) { components = pattern.split(separator: "/", omittingEmptySubsequences: true) }

    func matches(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count == components.count else { return false }
        return zip(components, parts).allSatisfy { GlobPattern.match(Array($0), Array($1)) }
    }

    /// Matches one component; `*` and `?` do not match a leading `.` (as glob(3) without GLOB_PERIOD).
    static func match(_ pattern: [Character], _ name: [Character]) -> Bool {
        if name.first == ".", pattern.first != "." { return false }
        // Iterative wildcard matching with one backtrack point: linear in practice, never exponential.
        var p = 0
        var n = 0
        var star = -1
        var mark = 0
        while n < name.count {
            if p < pattern.count, pattern[p] == "?" || pattern[p] == name[n] && pattern[p] != "*" {
                p += 1
                n += 1
            } else if p < pattern.count, pattern[p] == "*" {
                star = p
                mark = n
                p += 1
            } else if star >= 0 {
                p = star + 1
                mark += 1
                n = mark
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}
