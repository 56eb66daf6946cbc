import Foundation

/// Builds test disk images with real tools.
public enum Fixtures {
    /// Makes an ext4 (or `fsType`) filesystem image of `sizeMiB` at `path`, filled from the folder `tree`
    /// with `mkfs -d`.
    public static func makeFilesystem(
        at path: String, sizeMiB: Int, fsType: String = "ext4", tree: String? = nil, extraOptions: [String] = []
    ) throws {
        var arguments = ["mkfs.\(fsType)", "-q", "-F"]
        arguments += extraOptions
        if let tree { arguments += ["-d", tree] }
        arguments += [path, "\(sizeMiB)M"]
        try ExternalTool.check(arguments, environment: ["E2FSPROGS_FAKE_TIME": "1700000000"])
    }

    /// Writes `files` (guest path → contents) under `root`, creating folders.
    public static func writeTree(_ files: [String: String], under root: String) throws {
        for (guestPath, contents) in files {
            let hostPath = root + guestPath
            try FileManager.default.createDirectory(
                atPath: (hostPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(contents.utf8).write(to: URL(fileURLWithPath: hostPath))
        }
    }

    /// `e2fsck -fn` on `path` (optionally a partition at a byte offset): exit status and output.
    public static func fsck(_ path: String, offset: UInt64? = nil) throws -> ExternalTool.Result {
        let target = offset.map { "\(path)?offset=\($0)" } ?? path
        return try ExternalTool.run(["e2fsck", "-fn", target])
    }

    /// `debugfs -R REQUEST` on `path`; the request's standard output.
    public static func debugfs(_ path: String, _ request: String) throws -> String {
        try ExternalTool.check(["debugfs", "-R", request, path]).output
    }
}

extension ExternalTool {
    /// Runs a tool with extra environment variables and throws when it exits non-zero.
    @discardableResult
    public static func check(_ arguments: [String], environment: [String: String]) throws -> Result {
        let result = try run(arguments, environment: environment)
        guard result.status == 0 else {
            throw ToolFailure(arguments: arguments, status: result.status, stderr: result.stderr)
        }
        return result
    }
}
