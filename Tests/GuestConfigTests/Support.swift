import Foundation
import _TestSupport

@testable import GuestConfig

/// Runs real tools on editor output: visudo, bash, diff.
enum Oracle {
    /// `visudo -c -f FILE` on `text`; returns (status, output).
    static func visudo(_ text: String) throws -> (Int32, String) {
        let dir = try TemporaryDirectory(prefix: "gc-sudoers")
        let path = dir.file("sudoers")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try ExternalTool.run(["visudo", "-c", "-f", path])
        return (result.status, result.output + result.stderr)
    }

    /// Sources `text` in bash with `set -u` and prints each variable's value between markers.
    static func shellValues(_ text: String, keys: [String]) throws -> [String: String] {
        let dir = try TemporaryDirectory(prefix: "gc-shell")
        let path = dir.file("vars")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var script = "set -u\n. \"\(path)\"\n"
        for key in keys { script += "printf '%s\\0%s\\0' \(key) \"${\(key)}\"\n" }
        let result = try ExternalTool.check(["bash", "-c", script])
        let parts = result.stdout.split(separator: 0, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        var values: [String: String] = [:]
        var index = 0
        while index + 1 < parts.count {
            values[parts[index]] = parts[index + 1]
            index += 2
        }
        return values
    }

    /// GNU `diff -u` between two texts, without the two header lines.
    static func gnuDiff(_ old: String, _ new: String) throws -> String {
        let dir = try TemporaryDirectory(prefix: "gc-diff")
        try old.write(toFile: dir.file("a"), atomically: true, encoding: .utf8)
        try new.write(toFile: dir.file("b"), atomically: true, encoding: .utf8)
        let result = try ExternalTool.run(["diff", "-u", dir.file("a"), dir.file("b")])
        return result.output.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false).dropFirst(2)
            .joined()
    }
}

/// True when every line of `old` that the diff deletes (changes or removes) satisfies `allowedToChange`:
/// all other lines survive byte for byte, terminator included.
func unchangedLinesPreserved(old: String, new: String, allowedToChange: (ConfigLine) -> Bool) -> Bool {
    let diff = UnifiedDiff(old: ConfigText(old), new: ConfigText(new))
    for op in diff.operations {
        if case .delete(let o) = op, !allowedToChange(diff.old[o]) { return false }
    }
    return true
}

extension Oracle {
    /// The path of a tool on PATH (plus /sbin, /usr/sbin), or throws.
    static func which(_ tool: String) throws -> String {
        let result = try ExternalTool.check(["sh", "-c", "PATH=$PATH:/usr/sbin:/sbin command -v \(tool)"])
        return result.output.trimmingWhitespace
    }

    /// `sshd -T -f FILE` with a throwaway host key; returns the value sshd reports for `keyword`.
    static func sshdEffective(_ text: String, keyword: String) throws -> String? {
        let dir = try TemporaryDirectory(prefix: "gc-sshd")
        // sshd refuses to run, even with -T, without its privilege separation directory (systemd normally
        // creates it at service start).
        try ExternalTool.check(["mkdir", "-p", "/run/sshd"])
        try ExternalTool.check(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir.file("key")])
        try ("HostKey \(dir.file("key"))\n" + text).write(
            toFile: dir.file("sshd_config"), atomically: true, encoding: .utf8)
        let result = try ExternalTool.check([try which("sshd"), "-T", "-f", dir.file("sshd_config")])
        return result.output.split(separator: "\n").first { $0.hasPrefix(keyword + " ") }.map {
            String($0.dropFirst(keyword.count + 1))
        }
    }
}
