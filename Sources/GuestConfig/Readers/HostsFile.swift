/// `/etc/hosts`, read only: this layer never edits it (waagent leaves it alone too).
public struct HostsFile: Sendable, Hashable {
    /// One address line.
    public struct Entry: Sendable, Hashable {
        /// The 1-based line number.
        public var line: Int
        /// The address (IP or MAC) as written.
        public var address: String
        /// The host names on the line.
        public var names: [String]
    }

    /// The entries, in file order.
    public var entries: [Entry]

    /// Parses `text`; never fails.
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
