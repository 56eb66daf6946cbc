public import Foundation

/// Runs the real tools nobody here wrote (qemu-img, mkfs.ext4, debugfs, e2fsck, sfdisk, sgdisk) as test oracles
/// and fixture builders.
public enum ExternalTool {
    /// The outcome of one run.
    public struct Result: Sendable {
        /// The exit status.
        public var status: Int32
        /// Everything the tool wrote on stdout.
        public var stdout: Data
        /// Everything it wrote on stderr, as text.
        public var stderr: String
        /// ``stdout`` decoded as UTF-8.
        public var output: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs `arguments[0]` (searched in PATH plus /sbin and /usr/sbin) with the rest as its arguments.
    ///
    /// - Parameters:
    ///   - stdin: bytes written to the tool's standard input.
    ///   - environment: extra variables.
    ///   - arguments: the program and its arguments.
    @discardableResult
    public static func run(
        _ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:]
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = (env["PATH"] ?? "/usr/bin:/bin") + ":/sbin:/usr/sbin"
        env["LC_ALL"] = "C"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        signal(SIGPIPE, SIG_IGN)  // a tool that exits early must not kill the test runner
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        // Read both pipes concurrently so a chatty tool cannot block on a full pipe.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: outData, stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs a tool and throws when it exits non-zero.
    @discardableResult
    public static func check(_ arguments: [String], stdin: Data? = nil) throws -> Result {
        let result = try run(arguments, stdin: stdin)
        guard result.status == 0 else {
            throw ToolFailure(arguments: arguments, status: result.status, stderr: result.stderr)
        }
        return result
    }

    /// Makes a LUKS-encrypted image with `qemu-img create` (`arguments` after `qemu-img`), retrying a few times:
    /// qemu calibrates its PBKDF2 iteration count from the thread's CPU time, which can read 0 ms on a busy
    /// machine ("Unable to get accurate CPU usage"), a failure of the calibration, not of the image.
    public static func qemuImgCreateEncrypted(_ arguments: [String]) throws {
        var last: Result?
        for _ in 0..<5 {
            let result = try run(["qemu-img"] + arguments)
            if result.status == 0 { return }
            last = result
            guard result.stderr.contains("Unable to get accurate CPU usage") else { break }
        }
        throw ToolFailure(arguments: ["qemu-img"] + arguments, status: last?.status ?? -1, stderr: last?.stderr ?? "")
    }

    /// Runs a shell script with `bash -euo pipefail -c`.
    @discardableResult
    public static func shell(_ script: String) throws -> Result {
        try check(["bash", "-euo", "pipefail", "-c", script])
    }
}

/// A tool exited non-zero.
public struct ToolFailure: Error, CustomStringConvertible {
    /// The command line that failed.
    public var arguments: [String]
    /// Its exit status.
    public var status: Int32
    /// What it wrote on stderr.
    public var stderr: String
    /// The command line, the status and stderr, in one line.
    public var description: String { "\(arguments.joined(separator: " ")) exited \(status): \(stderr)" }
}
