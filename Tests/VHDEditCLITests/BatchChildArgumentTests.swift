import Foundation
import Testing
import _TestSupport

/// A batch child gets every option of its command: each flag and option ArgumentParser lists for a batch command
/// (`--experimental-dump-help`, so an option added later is included without touching this test), set on a
/// one-image `--timeout` run, appears in the child's argv as strace saw the child exec it.
@Suite struct BatchChildArgumentTests {
    /// The options the parent keeps (``ImageBatchOptions``) or that end the run (`--list`, `--help`, `--version`).
    static let parentOnly: Set<String> = [
        "manifest", "shard", "shard-count", "jobs", "timeout", "partition", "volume", "json", "list", "help", "version",
    ]

    /// A value each command accepts for each of its options. An option missing here fails the test: give it a
    /// value, and its child then proves it is passed on.
    static let values: [String: [String: String]] = [
        "generalize": ["only": "defaults,machine-id", "skip": "ssh-hostkeys", "user": "tester"],
        "azure-prepare": ["only": "kernel-args,swap", "skip": "swap", "swap-mb": "1024", "rootdelay": "300"],
        "check": ["target": "marketplace", "data-disk": "/dev/null"],
        // $WORK: the test's folder; sizes in bytes, as the child gets them.
        "convert": ["to": "fixed", "size": "33554432", "grow-partition": "1", "output-dir": "$WORK/out"],
    ]

    /// The batch options each command's run gets besides `--timeout` (convert copies whole images: no
    /// `--partition`); the child gets them after `--json`.
    static func batchArguments(_ command: String) -> [String] {
        command == "convert" ? [] : ["--partition", "1"]
    }

    /// Flags left out because they contradict an option given above (`--no-swap` with `--swap-mb`); a Bool flag
    /// travels as every other flag does.
    static let contradicting: [String: Set<String>] = ["azure-prepare": ["no-swap"]]

    /// The long names of `command`'s flags and options, minus the parent's own, from ArgumentParser's dump.
    static func childOptions(_ command: String) throws -> [(name: String, isFlag: Bool)] {
        let dump = try CLI.run([command, "--experimental-dump-help"])
        let object = try #require(try JSONSerialization.jsonObject(with: dump.stdout) as? [String: Any])
        let arguments = try #require((object["command"] as? [String: Any])?["arguments"] as? [[String: Any]])
        return arguments.compactMap { argument in
            guard let kind = argument["kind"] as? String, kind != "positional",
                let names = argument["names"] as? [[String: Any]],
                let long = names.first(where: { $0["kind"] as? String == "long" })?["name"] as? String,
                !parentOnly.contains(long)
            else { return nil }
            return (long, kind == "flag")
        }
    }

    /// The argv of the child `execve` in an `strace -f -e trace=execve` log (the one run as /proc/self/exe).
    static func childArgv(_ trace: String) throws -> [String] {
        let line = try #require(trace.split(separator: "\n").first { $0.contains("execve(\"/proc/self/exe\"") })
        let list = line[line.range(of: "[")!.upperBound..<line.range(of: "]")!.lowerBound]
        let quoted = try Regex(#""((?:[^"\\]|\\.)*)""#)
        return list.matches(of: quoted).map { String(list[$0.range].dropFirst().dropLast()) }
    }

    /// Whether strace can trace here (ptrace may be refused in a container).
    static var straceWorks: Bool {
        (try? ExternalTool.run(["strace", "-f", "-qq", "-o", "/dev/null", "true"]))?.status == 0
    }

    @Test(
        .enabled(if: straceWorks, "strace cannot trace here"),
        arguments: ["generalize", "azure-prepare", "check", "convert"])
    func everyOptionReachesTheChild(command: String) throws {
        let work = try UsabilityTests.Work()
        try FileManager.default.createDirectory(atPath: work.file("out"), withIntermediateDirectories: false)
        var given: [String] = []
        for option in try Self.childOptions(command) {
            if option.isFlag {
                if Self.contradicting[command]?.contains(option.name) == true { continue }
                given.append("--\(option.name)")
            } else {
                let value = try #require(
                    Self.values[command]?[option.name], "no test value for \(command) --\(option.name)")
                given += ["--\(option.name)", value.replacingOccurrences(of: "$WORK", with: work.directory.path)]
            }
        }
        #expect(given.contains("--dry-run") || command == "check" || command == "convert")
        let trace = work.file("trace")
        let result = try ExternalTool.run(
            [
                "strace", "-f", "-qq", "-e", "trace=execve", "-s", "4096", "-o", trace, CLI.binary, command, work.image,
                "--timeout", "120",
            ] + Self.batchArguments(command) + given)
        #expect(result.status == 0 || command == "check", "\(result.stderr)")
        let child = try Self.childArgv(try String(contentsOfFile: trace, encoding: .utf8))
        #expect(child.first == "/proc/self/exe")
        #expect(child.dropFirst().first == command)
        for (index, argument) in given.enumerated() where argument.hasPrefix("--") {
            let position = try #require(child.firstIndex(of: argument), "\(argument) did not reach the child: \(child)")
            if index + 1 < given.count, !given[index + 1].hasPrefix("--") {
                #expect(child[position + 1] == given[index + 1], "\(argument)'s value")
            }
        }
        let tail = ["--json"] + Self.batchArguments(command) + [work.image]
        #expect(Array(child.suffix(tail.count)) == tail)
    }
}
