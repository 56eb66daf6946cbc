/// `/etc/os-release` (or `/usr/lib/os-release`): shell-style `KEY=value` lines (os-release(5)).
public struct OSRelease: Sendable, Hashable {
    /// Every variable, last assignment winning.
    public var values: [String: String]

    public init(_ text: String) {
        var values: [String: String] = [:]
        for assignment in ShellVariableFile(text).assignments { values[assignment.key] = assignment.value }
        self.values = values
    }

    /// `ID`, for example `rhel`, `ubuntu`, `sles` (os-release(5) default `linux`).
    public var id: String { values["ID"] ?? "linux" }
    /// `ID_LIKE` split into words.
    public var idLike: [String] { (values["ID_LIKE"] ?? "").split(separator: " ").map(String.init) }
    /// `VERSION_ID`, for example `8.9` or `22.04`.
    public var versionID: String? { values["VERSION_ID"] }
    /// `PRETTY_NAME`, defaulting to `Linux` as os-release(5) says.
    public var prettyName: String { values["PRETTY_NAME"] ?? "Linux" }
    /// True when `ID` or `ID_LIKE` contains `family`.
    public func isLike(_ family: String) -> Bool { id == family || idLike.contains(family) }
}

/// `/etc/hostname`: the first line that is not a comment, trimmed (hostname(5)).
public enum HostnameFile {
    /// The host name, or nil when the file holds none.
    public static func hostname(in text: String) -> String? {
        for line in ConfigText(text).lines {
            let trimmed = line.content.trimmingWhitespace
            if !trimmed.isEmpty && !trimmed.hasPrefix("#") { return trimmed }
        }
        return nil
    }

    /// The text waagent writes (`localhost.localdomain`, no newline; generalize.md §a.2).
    public static let generic = "localhost.localdomain"
}

/// `/etc/hosts`, read only: this layer never edits it (waagent leaves it alone too).
public struct HostsFile: Sendable, Hashable {
    /// One address line.
    public struct Entry: Sendable, Hashable {
        public var line: Int
        public var address: String
        public var names: [String]
    }

    public var entries: [Entry]

    public init(_ text: String) {
        entries = ConfigText(text).lines.enumerated().compactMap { index, line in
            let beforeComment =
                line.content.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = beforeComment.split { $0 == " " || $0 == "\t" }.map(String.init)
            guard words.count >= 2 else { return nil }
            return Entry(line: index + 1, address: words[0], names: Array(words.dropFirst()))
        }
    }

    /// The names given to `address`.
    public func names(for address: String) -> [String] {
        entries.filter { $0.address == address }.flatMap(\.names)
    }
}
