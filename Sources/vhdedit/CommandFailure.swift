import ArgumentParser
import BlockIO
import FoundationEssentials
import Glibc
import HostSystem

/// The one way commands turn library errors into output: the error's description on standard error, prefixed
/// with `vhdedit: `, and a non-zero exit code (1). Every command wraps its library call in ``reportingErrors(_:)``.
enum CommandFailure {
    /// Runs `body`; when it throws, prints the error to standard error and exits with status 1.
    static func reportingErrors<T>(_ body: () throws -> T) throws -> T {
        OutputCheck.install()
        do {
            return try body()
        } catch let exit as ExitCode {
            throw exit
        } catch {
            printError("vhdedit: \(error)")
            throw ExitCode.failure
        }
    }

    /// Writes `line` and a newline to standard error.
    static func printError(_ line: String) {
        StandardStreams.write(Array((line + "\n").utf8), to: 2)
    }

    /// Writes `text` to standard error without a newline (progress lines).
    static func printErrorInline(_ text: String) {
        StandardStreams.write(Array(text.utf8), to: 2)
    }

    /// Whether standard error is a terminal.
    static var standardErrorIsTerminal: Bool { isatty(2) == 1 }
}

/// A byte count given on the command line: plain bytes, or with a binary suffix K, M, G, T (`64M`, `2G`, `1T`).
struct ByteCountArgument: ExpressibleByArgument, Sendable {
    let bytes: UInt64

    init?(argument: String) {
        var text = argument.uppercased()
        if text.hasSuffix("IB") { text.removeLast(2) } else if text.hasSuffix("B") { text.removeLast() }
        let multipliers: [Character: UInt64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        var multiplier: UInt64 = 1
        if let last = text.last, let factor = multipliers[last] {
            multiplier = factor
            text.removeLast()
        }
        guard let value = UInt64(text) else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { return nil }
        bytes = product
    }
}

/// Human-readable sizes for messages.
enum SizeText {
    /// `67125248 bytes (64.0 MiB)`.
    static func describe(_ bytes: UInt64) -> String { "\(bytes) bytes (\(short(bytes)))" }

    /// `64.0 MiB`.
    static func short(_ bytes: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) B" }
        return "\((value * 10).rounded() / 10) \(units[unit])"
    }
}
