/// The result of one generalize or azure-prepare run on one image: the changes (planned in a dry run, done in a
/// real run) and the findings. Codable, so `--json` prints it and batch runs collect it.
public struct PrepReport: Codable, Sendable, Equatable {
    /// Which kind of run made it.
    public enum Kind: String, Codable, Sendable {
        case generalize, azurePrepare = "azure-prepare", kernelArgs = "kernel-args", config
    }

    /// Which kind of run made it.
    public var kind: Kind
    /// The host image.
    public var image: String
    /// Whether nothing was written (the changes are a plan).
    public var dryRun: Bool
    /// The operations that ran, in order.
    public var operations: [String]
    /// The changes, in the order they are (or would be) made.
    public var changes: [PlannedChange]
    /// What the run noticed but did not change.
    public var findings: [Finding]

    /// A report of a `kind` run on `image`.
    public init(
        kind: Kind, image: String, dryRun: Bool, operations: [String], changes: [PlannedChange] = [],
        findings: [Finding] = []
    ) {
        self.kind = kind
        self.image = image
        self.dryRun = dryRun
        self.operations = operations
        self.changes = changes
        self.findings = findings
    }

    /// The unified diffs of every rewrite and create, in order.
    public var diffs: String { changes.compactMap(\.diff).filter { !$0.isEmpty }.joined() }

    /// The report as lines for a terminal: each change, each finding, and a count.
    public var text: String {
        var lines: [String] = []
        let verb = dryRun ? "would change" : "changed"
        for change in changes { lines.append((dryRun ? "plan: " : "done: ") + change.line) }
        for finding in findings { lines.append(finding.line) }
        lines.append(
            changes.isEmpty
                ? "\(image): nothing to do"
                : "\(image): \(verb) \(changes.count) path\(changes.count == 1 ? "" : "s")")
        return lines.joined(separator: "\n")
    }
}
