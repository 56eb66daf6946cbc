import Foundation
import _TestSupport

/// The TestImages built once per test process by `TestImages/make.sh` into a temporary folder (guarded by the
/// static initializer, which Swift runs exactly once), and helpers to copy them.
enum TestImageFarm {
    private static let built: Result<TemporaryDirectory, any Error> = Result {
        let folder = try TemporaryDirectory(prefix: "vhdedit-testimages")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("TestImages/make.sh").path
        try ExternalTool.check(["bash", script, folder.path])
        return folder
    }

    /// The folder holding the built images.
    static func folder() throws -> String { try built.get().path }

    /// A fresh copy of `name` (for example `centos6-dynamic.vhd`) in `directory`.
    static func copy(_ name: String, to directory: TemporaryDirectory, as newName: String? = nil) throws -> String {
        let destination = directory.file(newName ?? name)
        try ExternalTool.check(["cp", "--sparse=always", try folder() + "/" + name, destination])
        return destination
    }

    /// The root filesystem UUID make.sh gave `image` (`centos6`...).
    static func uuid(_ image: String) throws -> String {
        try String(contentsOfFile: try folder() + "/\(image).uuid", encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines)
    }
}

/// The built `vhdedit` binary (beside the test runner).
enum VHDEditBinary {
    static var path: String {
        if let explicit = ProcessInfo.processInfo.environment["VHDEDIT_BINARY"] { return explicit }
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = runner.deletingLastPathComponent()
        // xctest bundles live in a folder inside the bin path
        for _ in 0..<4 where !FileManager.default.fileExists(atPath: folder.appendingPathComponent("vhdedit").path) {
            folder = folder.deletingLastPathComponent()
        }
        return folder.appendingPathComponent("vhdedit").path
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> ExternalTool.Result {
        try ExternalTool.run([path] + arguments, environment: environment)
    }
}
