import Foundation

/// The outcome of one image in a batch.
public struct BatchItemResult: Codable, Sendable, Equatable {
    public var image: String
    /// Whether the image's job succeeded (for `check`: the image is ready).
    public var ok: Bool
    /// The process exit status of the job (0 success, 1 failed check or error, other: crash/signal).
    public var status: Int32
    /// Wall time in seconds.
    public var seconds: Double
    /// One line for a person (the summary line of the job, or the error).
    public var summary: String
    /// The job's own JSON result, when it printed one.
    public var result: String?

    public init(image: String, ok: Bool, status: Int32, seconds: Double, summary: String, result: String? = nil) {
        self.image = image
        self.ok = ok
        self.status = status
        self.seconds = seconds
        self.summary = summary
        self.result = result
    }
}

/// The totals of a batch.
public struct BatchSummary: Codable, Sendable, Equatable {
    public var total: Int
    public var succeeded: Int
    public var failed: Int
    public var seconds: Double
    /// The images that failed, in input order.
    public var failures: [String]

    public var text: String {
        "\(total) image\(total == 1 ? "" : "s"): \(succeeded) ok, \(failed) failed in \(String(format: "%.2f", seconds)) s"
            + (failures.isEmpty ? "" : "\nfailed: " + failures.joined(separator: " "))
    }
}

/// Runs one job per image with bounded parallelism; one image's failure never stops the others.
///
/// libext2fs is not thread-safe, so the runner does not open filesystems itself: each job is a closure, and the
/// one the command line uses (``ChildProcessJob``) runs each image in a child `vhdedit` process. That gives
/// real parallelism on every core, isolates crashes and hangs (a timeout kills the child), and keeps memory per
/// image bounded by the child's life. Library callers that run jobs in-process must serialize the libext2fs work.
public final class BatchRunner: @unchecked Sendable {
    /// How many jobs run at once (at least 1).
    public let jobs: Int
    /// Where the progress line goes (`nil`: no progress line).
    public let progress: BatchProgress?

    /// - Parameter jobs: parallel jobs; `nil` means the number of cores.
    public init(jobs: Int? = nil, progress: BatchProgress? = nil) {
        self.jobs = max(1, jobs ?? ProcessInfo.processInfo.activeProcessorCount)
        self.progress = progress
    }

    /// Runs `job` for each image; `onResult` is called once per image, serially, as results arrive.
    public func run(
        _ images: [String], job: @escaping @Sendable (String) -> BatchItemResult,
        onResult: @escaping (BatchItemResult) -> Void
    ) -> BatchSummary {
        let start = Date()
        final class State: @unchecked Sendable {
            let lock = NSLock()
            var next = 0
            var done = 0
            var failures = Set<Int>()
        }
        let state = State()
        let group = DispatchGroup()
        nonisolated(unsafe) let report = onResult
        let workers = min(jobs, max(images.count, 1))
        for _ in 0..<workers {
            group.enter()
            Thread.detachNewThread { [self] in
                defer { group.leave() }
                while true {
                    state.lock.lock()
                    guard state.next < images.count else { state.lock.unlock(); return }
                    let index = state.next
                    state.next += 1
                    state.lock.unlock()
                    let result = job(images[index])
                    state.lock.lock()
                    state.done += 1
                    if !result.ok { state.failures.insert(index) }
                    report(result)
                    progress?.update(
                        done: state.done, total: images.count, failures: state.failures.count,
                        elapsed: Date().timeIntervalSince(start))
                    state.lock.unlock()
                }
            }
        }
        group.wait()
        progress?.finish()
        let failed = state.failures.sorted().map { images[$0] }
        return BatchSummary(
            total: images.count, succeeded: images.count - failed.count, failed: failed.count,
            seconds: Date().timeIntervalSince(start), failures: failed)
    }
}

/// The progress line of a batch on a terminal: `[done/total] rate img/s, ETA, failures`, redrawn in place.
public final class BatchProgress: @unchecked Sendable {
    let write: (String) -> Void

    /// A progress line on standard error, or `nil` when standard error is not a terminal.
    public static func onTerminal() -> BatchProgress? {
        guard isatty(2) == 1 else { return nil }
        return BatchProgress { text in FileHandle.standardError.write(Data(text.utf8)) }
    }

    public init(write: @escaping (String) -> Void) { self.write = write }

    /// The line for a state (no control characters).
    public static func line(done: Int, total: Int, failures: Int, elapsed: Double) -> String {
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        return "[\(done)/\(total)] \(String(format: "%.1f", rate)) img/s, ETA \(String(format: "%.0f", eta)) s, \(failures) failed"
    }

    func update(done: Int, total: Int, failures: Int, elapsed: Double) {
        write("\r\u{1B}[K" + Self.line(done: done, total: total, failures: failures, elapsed: elapsed))
    }

    func finish() { write("\r\u{1B}[K") }
}

/// A batch job that runs one image in a child process (normally `vhdedit <command> --json IMAGE`) and reads
/// its JSON result from standard output.
public struct ChildProcessJob: Sendable {
    /// The program (the running `vhdedit`, `/proc/self/exe`).
    public var executable: String
    /// The arguments before the image path.
    public var arguments: [String]
    /// Seconds before the child is killed (a hang counts as a failure).
    public var timeout: Double

    public init(executable: String, arguments: [String], timeout: Double = 300) {
        self.executable = executable
        self.arguments = arguments
        self.timeout = timeout
    }

    /// Runs the child for `image`.
    public func run(_ image: String) -> BatchItemResult {
        let start = Date()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments + [image]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            return BatchItemResult(image: image, ok: false, status: -1, seconds: 0, summary: "cannot start \(executable): \(error)")
        }
        // SIGTERM first, SIGKILL a second later: a child spawned from a worker thread can inherit a mask that
        // blocks SIGTERM, and a child blocked in open(2) on a FIFO would then never go.
        let pid = process.processIdentifier
        let killer = DispatchWorkItem {
            guard process.isRunning else { return }
            process.terminate()
            DispatchQueue.global().asyncAfter(deadline: .now() + 1) { if process.isRunning { kill(pid, SIGKILL) } }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
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
        killer.cancel()
        let seconds = Date().timeIntervalSince(start)
        let output = String(decoding: outData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let errors = String(decoding: errData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        let lastError = errors.split(separator: "\n").last.map(String.init) ?? ""
        let summary: String
        if process.terminationReason == .uncaughtSignal {
            summary = seconds >= timeout ? "timed out after \(String(format: "%g", timeout)) s" : "killed by signal \(process.terminationStatus)"
        } else if status == 0 {
            summary = "ok"
        } else {
            summary = lastError.isEmpty ? "exit status \(status)" : lastError
        }
        return BatchItemResult(
            image: image, ok: status == 0, status: status, seconds: seconds, summary: summary,
            result: output.isEmpty ? nil : output)
    }
}
