import Foundation
import Testing
import _TestSupport

/// Hostile ext4 content through the CLI: symlink loops, very deep directories, 4096-byte paths, names with
/// control characters. Fixtures are made at test time: `mkfs.ext4 -d` from a host folder, and `debugfs -w` for
/// the paths longer than the host allows. Each case gives a typed error (exit 1, `vhdedit: PATH: why`) or a
/// clean answer, in bounded time, and a failing command changes no byte of the image.
@Suite struct HostileExt4Tests {
    static let longName = String(repeating: "n", count: 255)
    /// 16 components of 255 bytes: exactly 4096 bytes.
    static let longPath = String(repeating: "/" + longName, count: 16)
    static let depth = 2000

    /// A 32 MiB ext4 (no partition table): `/a` ↔ `/b` and `/self` symlink loops, `/dir/up` → `..`, a
    /// directory chain 2000 deep ending in `f`, two names with control characters in `/etc`, and (by debugfs)
    /// a 4096-byte directory path holding `f`.
    final class Image: @unchecked Sendable {
        let directory: TemporaryDirectory
        let path: String

        init() throws {
            directory = try TemporaryDirectory(prefix: "cli-hostile-ext4")
            let tree = directory.file("tree")
            let files = FileManager.default
            try files.createDirectory(atPath: tree + "/etc", withIntermediateDirectories: true)
            try files.createDirectory(atPath: tree + "/dir", withIntermediateDirectories: true)
            try files.createSymbolicLink(atPath: tree + "/a", withDestinationPath: "b")
            try files.createSymbolicLink(atPath: tree + "/b", withDestinationPath: "a")
            try files.createSymbolicLink(atPath: tree + "/self", withDestinationPath: "self")
            try files.createSymbolicLink(atPath: tree + "/dir/up", withDestinationPath: "..")
            try Data("red\n".utf8).write(to: URL(fileURLWithPath: tree + "/etc/red\u{1B}[31m"))
            try Data("bell\n".utf8).write(to: URL(fileURLWithPath: tree + "/etc/tab\tbell\u{07}"))
            let deep = tree + "/deep" + String(repeating: "/d", count: HostileExt4Tests.depth)
            try files.createDirectory(atPath: deep, withIntermediateDirectories: true)
            try Data("deep\n".utf8).write(to: URL(fileURLWithPath: deep + "/f"))
            path = directory.file("fs.img")
            try Fixtures.makeFilesystem(at: path, sizeMiB: 32, tree: tree)
            // The 4096-byte path: one component at a time, relative to debugfs's current directory.
            let content = directory.file("content")
            try Data("long\n".utf8).write(to: URL(fileURLWithPath: content))
            var script = ""
            for _ in 0..<16 { script += "mkdir \(HostileExt4Tests.longName)\ncd \(HostileExt4Tests.longName)\n" }
            script += "write \(content) f\n"
            let scriptFile = directory.file("debugfs.txt")
            try Data(script.utf8).write(to: URL(fileURLWithPath: scriptFile))
            try ExternalTool.check(["debugfs", "-w", "-f", scriptFile, path])
            let check = try Fixtures.debugfs(path, "cat \(HostileExt4Tests.longPath)/f")
            #expect(check == "long\n", "the fixture holds the long path")
        }

        func vhdedit(_ arguments: [String]) throws -> (result: ExternalTool.Result, seconds: Double) {
            let start = Date()
            let result = try CLI.run(arguments)
            return (result, Date().timeIntervalSince(start))
        }

        /// Runs a command that must fail with a typed error naming `words`, quickly, changing nothing.
        func expectError(
            _ arguments: [String], mentions words: [String], sourceLocation: SourceLocation = #_sourceLocation
        )
            throws
        {
            let before = try FileDigest.sha256(path)
            let (result, seconds) = try vhdedit(arguments)
            let what = arguments.map { $0.prefix(40) }.joined(separator: " ")
            #expect(
                result.status == 1, "\(what): exit \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
            #expect(result.stderr.hasPrefix("vhdedit: "), "\(what): \(result.stderr)", sourceLocation: sourceLocation)
            #expect(
                words.contains { result.stderr.contains($0) }, "\(what): \(result.stderr)",
                sourceLocation: sourceLocation)
            #expect(
                !result.stderr.contains { $0.asciiValue.map { $0 < 0x20 && $0 != 0x0A } ?? false },
                "\(what): raw control characters in the message", sourceLocation: sourceLocation)
            #expect(seconds < 10, "\(what): \(seconds) s", sourceLocation: sourceLocation)
            #expect(try FileDigest.sha256(path) == before, "\(what): the image changed", sourceLocation: sourceLocation)
        }
    }

    @Test func symlinkLoopsAreTypedErrors() throws {
        let image = try Image()
        let loop = "more than 40 symbolic links"
        for target in ["/a", "/b", "/self", "/a/x", "/dir/up/dir/up/self", "/self/"] {
            try image.expectError(["cat", image.path, target], mentions: [loop])
            try image.expectError(["get", image.path, target, image.directory.file("out")], mentions: [loop])
            if !target.hasPrefix("/a/") && !target.hasSuffix("/") {
                // ls lists a link it cannot follow itself, like GNU ls, with a warning.
                let (ls, seconds) = try image.vhdedit(["ls", image.path, target])
                #expect(
                    ls.status == 0 && ls.stderr.hasPrefix("vhdedit: warning: ") && ls.stderr.contains(loop),
                    "ls \(target): \(ls.status) \(ls.stderr)")
                #expect(seconds < 10)
            }
            try image.expectError(["stat", image.path, target, "--follow"], mentions: [loop])
            try image.expectError(["chmod", image.path, "600", target], mentions: [loop])
        }
        #expect(!FileManager.default.fileExists(atPath: image.directory.file("out")), "get left no host file")
        // Writes through a loop in a parent component fail too; the image is untouched.
        try image.expectError(
            ["put", image.path, image.directory.file("content"), "/a/x"], mentions: [loop, "not a directory"])
        try image.expectError(["mkdir", image.path, "/self/x", "-p"], mentions: [loop, "not a directory"])
        // lstat-style commands describe the link itself.
        let stat = try image.vhdedit(["stat", image.path, "/a"]).result
        #expect(stat.status == 0 && stat.output.contains("b"), "\(stat.stderr)")
        // ls -R does not enter symlinks: /dir/up → .. is listed once, not followed round.
        let (recursive, seconds) = try image.vhdedit(["ls", image.path, "/dir", "-R"])
        #expect(recursive.status == 0 && recursive.output == "/dir/up\n", "\(recursive.output)")
        #expect(seconds < 10)
    }

    @Test func veryDeepDirectoriesAreWalkedInBoundedTime() throws {
        let image = try Image()
        let before = try FileDigest.sha256(image.path)
        let deepFile = "/deep" + String(repeating: "/d", count: Self.depth) + "/f"
        let cat = try image.vhdedit(["cat", image.path, deepFile])
        #expect(cat.result.status == 0 && cat.result.output == "deep\n", "\(cat.result.stderr)")
        let (recursive, seconds) = try image.vhdedit(["ls", image.path, "/deep", "-R"])
        #expect(recursive.status == 0, "\(recursive.stderr)")
        let lines = recursive.output.split(separator: "\n")
        #expect(lines.count == Self.depth + 1 && lines.last.map(String.init) == deepFile)
        #expect(seconds < 20, "ls -R over \(Self.depth) levels took \(seconds) s")
        #expect(try FileDigest.sha256(image.path) == before, "reading commands change no byte")
        // Removing the whole chain is an edit that works and leaves a clean filesystem.
        let (removed, removeSeconds) = try image.vhdedit(["rm", image.path, "/deep", "-r"])
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(removeSeconds < 20)
        let fsck = try Fixtures.fsck(image.path)
        #expect(fsck.status == 0, "\(fsck.output)")
        #expect(!(try Fixtures.debugfs(image.path, "ls -p /")).contains("/deep/"))
    }

    @Test func pathsOf4096BytesAndLonger() throws {
        let image = try Image()
        // Exactly 4096 bytes: readable.
        let stat = try image.vhdedit(["stat", image.path, Self.longPath])
        #expect(stat.result.status == 0, "\(stat.result.stderr)")
        let listed = try image.vhdedit(["ls", image.path, Self.longPath])
        #expect(listed.result.status == 0 && listed.result.output == "f\n", "\(listed.result.stderr)")
        // Longer than 4096 bytes: a typed error before anything is looked up or written.
        let tooLong = Self.longPath + "/f"
        for arguments in [
            ["cat", image.path, tooLong], ["get", image.path, tooLong, image.directory.file("out")],
            ["put", image.path, image.directory.file("content"), tooLong + "x"],
            ["mkdir", image.path, tooLong + "x", "-p"], ["rm", image.path, tooLong],
            ["symlink", image.path, "/etc", tooLong + "x"],
        ] {
            try image.expectError(arguments, mentions: ["longer than 4096 bytes"])
        }
        // ls -R reaches the 4098-byte file path and prints it.
        let recursive = try image.vhdedit(["ls", image.path, "/" + Self.longName, "-R"])
        #expect(recursive.result.status == 0, "\(recursive.result.stderr)")
        #expect(recursive.result.output.hasSuffix(tooLong + "\n"))
    }

    @Test func controlCharactersInNamesAreEscaped() throws {
        let image = try Image()
        let before = try FileDigest.sha256(image.path)
        let ls = try image.vhdedit(["ls", image.path, "/etc"]).result
        #expect(ls.status == 0)
        #expect(ls.output.contains("red\\x1b[31m\n") && ls.output.contains("tab\\tbell\\x07\n"), "\(ls.output)")
        #expect(!ls.output.contains("\u{1B}") && !ls.output.contains("\u{07}") && !ls.output.contains("\t"))
        let json = try image.vhdedit(["ls", image.path, "/etc", "--json"]).result
        #expect(!json.output.contains("\u{1B}") && !json.output.contains("\u{07}"), "no raw control characters in JSON")
        let entries =
            (try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])?["entries"] as? [[String: Any]]
        let names = Set(entries?.compactMap { $0["name"] as? String } ?? [])
        #expect(names.contains("red\\x1b[31m") && names.contains("tab\\tbell\\x07"), "\(names)")
        // The escaped form names the file again, for cat and get.
        #expect(try image.vhdedit(["cat", image.path, "/etc/red\\x1b[31m"]).result.output == "red\n")
        let out = image.directory.file("bell.txt")
        #expect(try image.vhdedit(["get", image.path, "/etc/tab\\tbell\\x07", out]).result.status == 0)
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "bell\n")
        // Errors about such names escape them too.
        try image.expectError(["cat", image.path, "/etc/\u{1B}]0;title\u{07}"], mentions: ["\\x1b"])
        #expect(try FileDigest.sha256(image.path) == before)
    }
}
