import GuestConfig

/// What an operation plans against: the staged guest view, what the inspector found, the agent settings, and
/// the report being built. Helpers stage one change each, and only when it changes something, so that a second
/// run plans nothing.
public final class PlanContext {
    /// The guest with every change planned so far applied (in memory).
    public let files: StagedGuestFiles
    /// What the guest is (read before planning).
    public let inspection: GuestInspection
    /// The guest's waagent.conf settings that gate operations.
    public let agent: AgentSettings
    /// The user to delete (`--delete-user`), when one is known.
    public let userToDelete: String?
    /// Every user to delete (`--user a,b --user c`); ``userToDelete`` is the first.
    public var usersToDelete: [String] = []
    /// The operations named in `--only` (not through `defaults` or `all`): they run even where the image's
    /// waagent.conf gates them off.
    public var namedOperations: Set<String> = []
    /// Whether the current operation was named in `--only`.
    public var isNamed: Bool { namedOperations.contains(operation) }
    /// The azure-prepare choices (swap, rootdelay); defaults for other runs.
    public var azureOptions = AzurePreparer.Options()
    /// The operation currently planning (set by the runner).
    public var operation = ""
    /// What planning noticed and did not change, in order.
    public private(set) var findings: [Finding] = []

    /// A context over `files` for a run; `userToDelete` is the user to delete, when one is known.
    public init(files: StagedGuestFiles, inspection: GuestInspection, agent: AgentSettings, userToDelete: String?) {
        self.files = files
        self.inspection = inspection
        self.agent = agent
        self.userToDelete = userToDelete
    }

    /// The guest's distribution family.
    public var family: Distribution.Family { inspection.distribution.family }

    /// Records a finding for the current operation.
    public func note(_ severity: Finding.Severity, _ message: String, path: String? = nil) {
        findings.append(Finding(severity, operation: operation, path: path, message))
    }

    /// Plans the removal of the file or symlink at `path`, when there is one.
    public func delete(_ path: String, _ reason: String) throws(ImagePrepError) {
        guard let info = try files.lstat(path) else { return }
        if info.type == .directory {
            try deleteTree(path, reason)
            return
        }
        let before: String
        switch info.type {
        case .symlink: before = "symlink → \(try files.readLink(path))"
        default: before = "\(info.type.rawValue) file, \(info.size) bytes"
        }
        files.stage(PlannedChange(operation: operation, path: path, action: .delete, reason: reason, before: before))
    }

    /// Plans the removal of the directory tree at `path`, when there is one.
    public func deleteTree(_ path: String, _ reason: String) throws(ImagePrepError) {
        guard let info = try files.lstat(path) else { return }
        guard info.type == .directory else { return try delete(path, reason) }
        let count = try files.walk(path).count
        files.stage(
            PlannedChange(
                operation: operation, path: path, action: .deleteTree, reason: reason,
                before: "directory, \(count) entr\(count == 1 ? "y" : "ies") inside"))
    }

    /// Plans the removal of everything inside the directory `path` (the directory is kept).
    public func deleteContents(_ path: String, _ reason: String) throws(ImagePrepError) {
        guard let resolved = try files.resolve(path), try files.lstat(resolved)?.type == .directory else { return }
        for name in try files.listDirectory(resolved).sorted() {
            try delete(PathText.join(resolved, name), reason)
        }
    }

    /// Plans emptying the regular file at `path` (symlinks followed), when it is not empty already.
    public func truncate(_ path: String, _ reason: String) throws(ImagePrepError) {
        guard let resolved = try files.resolve(path), let info = try files.lstat(resolved), info.type == .regular,
            info.size > 0
        else { return }
        files.stage(
            PlannedChange(
                operation: operation, path: resolved, action: .truncate, reason: reason, before: "\(info.size) bytes",
                after: "0 bytes"))
    }

    /// Plans replacing the text of `path` (symlinks followed) by `transform(old)`, when that changes it.
    /// Missing files are skipped (use ``create(_:_:mode:_:)``).
    public func edit(_ path: String, _ reason: String, _ transform: (String) -> String) throws(ImagePrepError) {
        guard let resolved = try files.resolve(path), try files.lstat(resolved)?.type == .regular,
            let old = try files.readText(resolved)
        else { return }
        let new = transform(old)
        guard new != old else { return }
        // Reports never show password hashes: shadow-style files are summarized with the hashes masked.
        let secret = Self.holdsPasswordHashes(resolved, agent: agent)
        let shownOld = secret ? Self.maskingHashes(old) : old, shownNew = secret ? Self.maskingHashes(new) : new
        let summary = ChangeSummary.lines(from: shownOld, to: shownNew)
        files.stage(
            PlannedChange(
                operation: operation, path: resolved, action: .rewrite, reason: reason, before: summary.before,
                after: summary.after,
                diff: ConfigEditResult(path: resolved, original: shownOld, edited: shownNew).unifiedDiff(),
                contents: Array(new.utf8)))
    }

    static func holdsPasswordHashes(_ path: String, agent: AgentSettings) -> Bool {
        ["/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-", agent.passwordPath].contains(path)
    }

    /// `text` with the second field of every `name:field:...` line replaced by `<hash>` when it holds a hash
    /// (anything but empty, `*`, `!`-style locks and `x`).
    static func maskingHashes(_ text: String) -> String {
        var lines = ConfigText(text)
        for (index, line) in lines.contents.enumerated() {
            var fields = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard fields.count > 2, let hash = fields.dropFirst().first, !hash.isEmpty, !hash.hasPrefix("*"),
                !hash.hasPrefix("!"), hash != "x"
            else { continue }
            fields[1] = "<hash>"
            lines.replaceContent(at: index, with: fields.joined(separator: ":"))
        }
        return lines.text
    }

    /// Plans writing a new file at `path` with `text`, when nothing is there and its folder exists.
    public func create(
        _ path: String, _ text: String, mode: UInt16 = 0o644, _ reason: String
    )
        throws(ImagePrepError)
    {
        guard try files.lstat(path) == nil else { return }
        let folder = try files.resolve(PathText.parent(path))
        let folderType = try folder.flatMap { (p) throws(ImagePrepError) in try files.lstat(p)?.type }
        guard folderType == .directory else {
            note(.warning, "cannot create it: \(PathText.parent(path)) does not exist", path: path)
            return
        }
        files.stage(
            PlannedChange(
                operation: operation, path: path, action: .create, reason: reason,
                after: ChangeSummary.lines(from: "", to: text).after,
                diff: ConfigEditResult(path: path, original: "", edited: text).unifiedDiff(),
                contents: Array(text.utf8),
                newFileMode: mode))
    }
}
