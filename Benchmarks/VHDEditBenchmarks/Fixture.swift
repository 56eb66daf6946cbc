import Foundation

/// A temporary folder of benchmark images, built with real tools by `Benchmarks/fixtures.sh` when a benchmark's
/// setup runs and removed by its teardown. Nothing it builds is ever committed.
final class FixtureFolder {
    /// What to build into the folder, in order (each is one `fixtures.sh` or `qemu-img` step).
    private let recipe: [[String]]
    /// The folder, once built.
    private(set) var path: String?

    /// `steps` are argument lists; `fixtures.sh` steps name its subcommand first, anything else is a tool.
    /// Paths in the steps are relative to the folder.
    init(_ steps: [[String]]) {
        recipe = steps
    }

    /// `folder/name`. Only valid after ``build()``.
    func file(_ name: String) -> String {
        guard let path else { fatalError("fixture used before its setup ran") }
        return "\(path)/\(name)"
    }

    /// Makes the folder and runs the recipe in it. Removes the folder again when a step fails.
    func build() throws {
        let folder = try Self.makeTemporaryFolder()
        path = folder
        do {
            for step in recipe {
                let arguments = Self.fixtureCommands.contains(step[0]) ? ["bash", Self.script] + step : step
                try Tool.run(arguments, in: folder)
            }
        } catch {
            remove()
            throw error
        }
    }

    /// Removes the folder and everything in it.
    func remove() {
        if let path { try? FileManager.default.removeItem(atPath: path) }
        path = nil
    }

    /// `fixtures.sh`, found beside this package's manifest.
    static let script: String = {
        let here = URL(fileURLWithPath: #filePath)  // Benchmarks/VHDEditBenchmarks/Fixture.swift
        return here.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("fixtures.sh").path
    }()

    private static let fixtureCommands: Set<String> = ["mixed-raw", "vhd", "guest-tree", "guest-disk"]

    private static func makeTemporaryFolder() throws -> String {
        var template = Array("\(FileManager.default.temporaryDirectory.path)/vhdedit-bench.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw FixtureError("mkdtemp failed: errno \(errno)") }
        return String(cString: made)
    }
}

/// Runs a real tool (qemu-img, cp, bash fixtures.sh) and throws when it fails.
enum Tool {
    static func run(_ arguments: [String], in folder: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = (environment["PATH"] ?? "/usr/bin:/bin") + ":/usr/sbin:/sbin"
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureError(
                "\(arguments.joined(separator: " ")) exited \(process.terminationStatus): "
                    + String(decoding: message, as: UTF8.self))
        }
    }

    /// A sparse copy of `source` at `destination` (outside the measured region of a benchmark that writes).
    static func copy(_ source: String, to destination: String) throws {
        try run(["cp", "--sparse=always", "-f", source, destination], in: "/")
    }
}

/// A fixture could not be built.
struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
