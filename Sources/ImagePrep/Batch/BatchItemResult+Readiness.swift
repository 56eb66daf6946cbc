import FoundationEssentials

/// How many requirements of a readiness report passed, warned and failed.
public struct VerdictCounts: Codable, Sendable, Equatable {
    /// Requirements that passed.
    public var pass: Int
    /// Requirements that warned.
    public var warn: Int
    /// Requirements that failed.
    public var fail: Int

    /// Counts the verdicts of `results`.
    public init(_ results: [CheckResult]) {
        pass = results.filter { $0.verdict == .pass }.count
        warn = results.filter { $0.verdict == .warn }.count
        fail = results.filter { $0.verdict == .fail }.count
    }
}

extension BatchItemResult {
    /// When the job printed a readiness report (`vhdedit check --json`), carries its verdict counts and failed
    /// requirements, and says "not ready" with the count and ids instead of the bare exit status.
    public mutating func attachReadiness() {
        guard let text = result, let report = try? JSONDecoder().decode(ReadinessReport.self, from: Data(text.utf8))
        else { return }
        let counts = VerdictCounts(report.results)
        verdicts = counts
        failing = report.failures
        if !report.passed && status == 1 {
            let ids = report.failures.map(\.id).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            summary = "not ready: \(counts.fail) fail, \(counts.warn) warn (\(ids.joined(separator: ", ")))"
        } else if report.passed {
            summary = "ready: \(counts.pass) pass, \(counts.warn) warn"
        }
    }
}
