/// One change to one guest path, as planned by an operation: the shared model of dry runs, reports and tests.
///
/// A dry run prints the plan; a real run applies the same list in order and prints it as done. `before` and
/// `after` are short summaries for people (the lines removed and added, or what was deleted), not the data.
public struct PlannedChange: Codable, Sendable, Equatable {
    /// What happens to the path.
    public enum Action: String, Codable, Sendable {
        /// A regular file or symlink is removed.
        case delete
        /// A directory and everything under it is removed.
        case deleteTree = "delete-tree"
        /// A file's contents are replaced (mode and owner kept).
        case rewrite
        /// A file is emptied (mode and owner kept).
        case truncate
        /// A new file is written.
        case create
        /// A symbolic link is made (its target is ``PlannedChange/after``; nothing was at the path).
        case symlink
    }

    /// The operation that planned it (`ssh-hostkeys`, `kernel-args`...).
    public var operation: String
    /// The guest path changed (symlinks already resolved for rewrites).
    public var path: String
    /// What happens to the path.
    public var action: Action
    /// Why, in words.
    public var reason: String
    /// What was there (for example `HOSTNAME=build-vm`), when it says something useful.
    public var before: String?
    /// What will be there.
    public var after: String?
    /// A unified diff of a rewrite or create (`diff -u` style, guest path in the headers).
    public var diff: String?
    /// The new bytes of a rewrite or create (not part of reports).
    public var contents: [UInt8]?
    /// The mode of a created file.
    public var newFileMode: UInt16?

    enum CodingKeys: String, CodingKey { case operation, path, action, reason, before, after, diff }

    /// A change of `path` by `operation`, for `reason`.
    public init(
        operation: String, path: String, action: Action, reason: String, before: String? = nil,
        after: String? = nil, diff: String? = nil, contents: [UInt8]? = nil, newFileMode: UInt16? = nil
    ) {
        self.diff = diff
        self.operation = operation
        self.path = path
        self.action = action
        self.reason = reason
        self.before = before
        self.after = after
        self.contents = contents
        self.newFileMode = newFileMode
    }

    /// One line for a terminal: `operation  action  path  (reason)`.
    public var line: String {
        var text = "\(operation.padding(22)) \(action.rawValue.padding(11)) \(path)  — \(reason)"
        if let before, let after { text += " [\(before) → \(after)]" } else if let after { text += " [\(after)]" }
        return text
    }
}

/// Something a run noticed but did not (or cannot) change: "NetworkManager is installed: cannot uninstall
/// offline", "resolv.conf is a symlink owned by systemd-resolved: left alone".
public struct Finding: Codable, Sendable, Equatable {
    /// How much it matters: `info` (what was left alone and why) or `warning` (what a person should act on).
    public enum Severity: String, Codable, Sendable { case info, warning }
    /// How much it matters.
    public var severity: Severity
    /// The operation that noticed it.
    public var operation: String
    /// The guest path concerned, when there is one.
    public var path: String?
    /// What was noticed, in words.
    public var message: String

    /// A finding of `operation`, about `path` when there is one.
    public init(_ severity: Severity, operation: String, path: String? = nil, _ message: String) {
        self.severity = severity
        self.operation = operation
        self.path = path
        self.message = message
    }

    /// One line for a terminal.
    public var line: String {
        "\(severity == .warning ? "warning" : "note"): [\(operation)] \(path.map { "\($0): " } ?? "")\(message)"
    }
}

extension String {
    /// Pads with spaces on the right to `width` characters.
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
