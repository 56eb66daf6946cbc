import Dispatch
import FoundationEssentials
internal import HostSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The outcome of one image in a batch.
public struct BatchItemResult: Codable, Sendable, Equatable {
    /// The image's path, as given.
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
    /// For a `check` job: how many requirements passed, warned and failed (see BatchItemResult+Readiness.swift).
    public var verdicts: VerdictCounts?
    /// For a `check` job: the failed requirements, with their evidence.
    public var failing: [CheckResult]?

    /// The outcome of one image's job; `verdicts` and `failing` are filled in for `check` jobs.
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
    /// Images in the batch.
    public var total: Int
    /// Images whose job succeeded.
    public var succeeded: Int
    /// Images whose job failed.
    public var failed: Int
    /// Wall time of the whole batch in seconds.
    public var seconds: Double
    /// The images that failed, in input order.
    public var failures: [String]

    /// The summary for a person: `N images: A ok, B failed in S s`, then the failed images.
    public var text: String {
        "\(total) image\(total == 1 ? "" : "s"): \(succeeded) ok, \(failed) failed in \(DecimalText.fixed(seconds, digits: 2)) s"
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
    /// - Parameter progress: where progress lines go while the batch runs, or nil for none.
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
            let lock = Lock()
            var next = 0
            var done = 0
            var failures = Set<Int>()
        }
        let state = State()
        let group = DispatchGroup()
        nonisolated(unsafe) let report = onResult
        let workers = min(jobs, max(images.count, 1))
        for worker in 0..<workers {
            group.enter()
            // One serial queue per worker: each gets its own thread, since the jobs block.
            DispatchQueue(label: "vhdedit.batch.\(worker)").async { [self] in
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
        return BatchProgress { text in
            let bytes = Array(text.utf8); _ = Glibc.write(2, bytes, bytes.count)
        }
    }

    /// A progress line that goes to `write` (a terminal's standard error, or a test's buffer).
    public init(write: @escaping (String) -> Void) { self.write = write }

    /// The line for a state (no control characters).
    public static func line(done: Int, total: Int, failures: Int, elapsed: Double) -> String {
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        return
            "[\(done)/\(total)] \(DecimalText.fixed(rate, digits: 1)) img/s, ETA \(DecimalText.fixed(eta, digits: 0)) s, \(failures) failed"
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

    /// A job running `executable` with `arguments` and the image path, killed after `timeout` seconds.
    public init(executable: String, arguments: [String], timeout: Double = 300) {
        self.executable = executable
        self.arguments = arguments
        self.timeout = timeout
    }

    /// Runs the child for `image`.
    public func run(_ image: String) -> BatchItemResult {
        let start = Date()
        let outcome: ChildProcess.Outcome
        do {
            // The child gets an empty signal mask and default SIGTERM (a child spawned from a worker thread could
            // otherwise inherit a mask that blocks it); SIGKILL follows a second after SIGTERM on a timeout.
            outcome = try ChildProcess(program: executable, arguments: arguments + [image]).run(
                capture: true, timeout: timeout)
        } catch {
            return BatchItemResult(
                image: image, ok: false, status: -1, seconds: 0,
                summary: "cannot start \(executable): \(String(cString: strerror(error.code)))")
        }
        let seconds = Date().timeIntervalSince(start)
        let output = Self.trimmed(outcome.output)
        let errors = Self.trimmed(outcome.errors)
        let lastError = Self.withoutPrefixes(errors.split(separator: "\n").last.map(String.init) ?? "", image: image)
        let status: Int32
        let summary: String
        switch outcome.termination {
        case .signaled(let signal):
            status = 128 + signal
            summary =
                outcome.timedOut ? "timed out after \(DecimalText.general(timeout)) s" : "killed by signal \(signal)"
        case .exited(let code):
            status = code
            if status == 0 {
                summary = "ok"
            } else {
                summary = lastError.isEmpty ? "exit status \(status)" : lastError
            }
        }
        var item = BatchItemResult(
            image: image, ok: status == 0, status: status, seconds: seconds, summary: summary,
            result: output.isEmpty ? nil : output)
        item.attachReadiness()
        return item
    }

    /// A child's error line without the `vhdedit: ` and `IMAGE: ` it starts with (the result names the image).
    static func withoutPrefixes(_ line: String, image: String) -> String {
        var text = Substring(line)
        if text.hasPrefix("vhdedit: ") { text = text.dropFirst("vhdedit: ".count) }
        if text.hasPrefix(image + ": ") { text = text.dropFirst(image.count + 2) }
        return String(text)
    }

    /// UTF-8 text with leading and trailing whitespace and newlines removed.
    static func trimmed(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self).trimmingWhitespace()
    }
}

extension String {
    /// The string without leading and trailing whitespace and newlines (Unicode `isWhitespace`).
    func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return String(self[first...last])
    }
}

/// A mutual-exclusion lock (a semaphore of one), without Foundation's `NSLock`.
final class Lock: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 1)
    func lock() { semaphore.wait() }
    func unlock() { semaphore.signal() }
}
