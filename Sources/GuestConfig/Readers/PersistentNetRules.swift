/// udev rules that pin interface names to MAC addresses (`70-persistent-net.rules`, generalize.md §a.3).
public enum PersistentNetRules {
    /// The paths the tools delete or move.
    public static let paths = [
        "/etc/udev/rules.d/70-persistent-net.rules", "/etc/udev/rules.d/75-persistent-net-generator.rules",
        "/lib/udev/rules.d/75-persistent-net-generator.rules",
    ]

    /// One rule naming an interface after its MAC address.
    public struct Rule: Sendable, Hashable {
        /// The 1-based line number.
        public var line: Int
        /// The address (IP or MAC) as written.
        public var address: String
        /// The interface name the rule assigns.
        public var name: String
    }

    /// The rules with `SUBSYSTEM=="net"`, `ATTR{address}=="…"` and `NAME="…"`.
    public static func rules(in text: String) -> [Rule] {
        ConfigText(text).lines.enumerated().compactMap { index, line in
            let body = line.content
            guard !body.trimmingWhitespace.hasPrefix("#"), body.contains("SUBSYSTEM==\"net\"") else { return nil }
            guard let address = quoted(after: "ATTR{address}==\"", in: body),
                let name = quoted(after: "NAME=\"", in: body)
            else { return nil }
            return Rule(line: index + 1, address: address, name: name)
        }
    }

    static func quoted(after marker: String, in text: String) -> String? {
        guard let range = text.firstRange(of: marker) else { return nil }
        let rest = text[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }
}
