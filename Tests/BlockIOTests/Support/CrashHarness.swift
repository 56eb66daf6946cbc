import BlockIO
import Foundation
import Testing
import _TestSupport

/// Kills a real `vhdedit` process at its k-th mutating system call, with strace's syscall tampering
/// (`-e inject=SYSCALL:signal=KILL:when=K`, counted per syscall and per thread), for every such call the run
/// makes — or an even sample of them when there are more than `limit`.
///
/// Every point between two consecutive mutating calls is "just before the k-th call of some syscall", so
/// enumerating (syscall, k) for every syscall enumerates every instant a kill can hit. The page cache survives
/// a kill; power loss between writes is the job of the in-process ``FaultPlan`` tests.
enum CrashHarness {
    /// The calls that change files: data writes (convert's kernel copies included), length changes, syncs, and
    /// directory entry changes.
    static let mutatingCalls = [
        "pwrite64", "write", "pwritev", "copy_file_range", "fsync", "fdatasync", "ftruncate", "fallocate", "rename",
        "renameat", "renameat2", "unlink", "unlinkat",
    ]

    /// One place to kill the process: before the `occurrence`-th call (1-based) of `call`.
    struct KillPoint: CustomStringConvertible {
        var call: String
        var occurrence: Int
        var description: String { "\(call)#\(occurrence)" }
    }

    /// The `vhdedit` binary built beside the test runner (or `$VHDEDIT_BINARY`).
    static var binary: String {
        if let explicit = ProcessInfo.processInfo.environment["VHDEDIT_BINARY"] { return explicit }
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = runner.deletingLastPathComponent()
        // The Swift Testing runner may sit inside an .xctest bundle folder.
        while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("vhdedit").path),
            folder.path.count > 1
        {
            folder.deleteLastPathComponent()
        }
        return folder.appendingPathComponent("vhdedit").path
    }

    /// Whether strace can trace here and `vhdedit` has the subcommand `name`.
    static func available(subcommand name: String) -> Bool {
        guard FileManager.default.isExecutableFile(atPath: binary),
            let strace = try? ExternalTool.run(["strace", "-f", "-qq", "-o", "/dev/null", "true"]), strace.status == 0,
            let help = try? ExternalTool.run([binary, "--help"]), help.status == 0
        else { return false }
        return help.output.split(separator: "\n").contains {
            $0.trimmingCharacters(in: .whitespaces).hasPrefix(name + " ")
        }
    }

    /// Runs `arguments` once under strace and counts each mutating call the process tree makes.
    static func countCalls(_ arguments: [String], environment: [String: String]) throws -> [String: Int] {
        let dir = try TemporaryDirectory(prefix: "vhdedit-strace")
        let trace = dir.file("trace")
        let result = try ExternalTool.run(
            ["strace", "-f", "-qq", "-o", trace, "-e", "trace=" + mutatingCalls.joined(separator: ",")]
                + [binary] + arguments, environment: environment)
        guard result.status == 0 else {
            throw BlockIOError(.io, "\(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
        }
        var counts: [String: Int] = [:]
        for line in try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n") {
            // "1234 pwrite64(3, ..." (resumed lines start with "<... name resumed>" and are not counted twice)
            let call = line.drop { $0.isNumber }.drop { $0 == " " }
            guard let open = call.firstIndex(of: "(") else { continue }
            let name = String(call[..<open])
            if mutatingCalls.contains(name) { counts[name, default: 0] += 1 }
        }
        return counts
    }

    /// Every kill point for `counts`, or `limit` of them spread evenly over each call's occurrences.
    static func killPoints(_ counts: [String: Int], limit: Int) -> [KillPoint] {
        let all = counts.keys.sorted().flatMap { call in
            (1...counts[call]!).map { KillPoint(call: call, occurrence: $0) }
        }
        guard all.count > limit else { return all }
        return (0..<limit).map { all[$0 * all.count / limit] }
    }

    /// Runs `arguments`, sent `signal` (SIGKILL by default) on entering the call at `point`. Returns the exit
    /// status.
    @discardableResult
    static func run(
        _ arguments: [String], killedAt point: KillPoint, signal: String = "KILL", environment: [String: String]
    ) throws -> Int32 {
        try ExternalTool.run(
            [
                "strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=\(point.call)",
                "-e", "inject=\(point.call):signal=\(signal):when=\(point.occurrence)",
            ] + [binary] + arguments,
            environment: environment
        ).status
    }
}
