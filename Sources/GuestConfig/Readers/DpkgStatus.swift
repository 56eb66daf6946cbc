/// `/var/lib/dpkg/status`: stanzas of `Field: value` lines separated by a blank line (deb-control(5)), one per
/// package, with `Package:`, `Status:` and `Version:` among them.
public struct DpkgStatus: Sendable {
    /// One package stanza: the fields this reader keeps.
    public struct Package: Sendable, Hashable {
        /// `Package:` (the name).
        public var name: String
        /// `Version:`, when present.
        public var version: String?
        /// True when `Status:` ends in ` installed` (`install ok installed`).
        public var installed: Bool
    }

    /// The stanzas that name a package, in file order.
    public private(set) var packages: [Package] = []

    /// Reads a status file's text. Stanzas without `Package:` are skipped; the last of a repeated field wins.
    public init(_ text: String) {
        // Stanzas end at a blank line and lines at a line feed, as splitting the characters at "\n\n" and then
        // at "\n" does (empty pieces dropped), but found at the bytes in one pass, with each line a slice of the
        // text: a "\n" character is exactly a line feed byte not preceded by a carriage return (a CR LF pair is
        // one character, "\r\n", which neither split cuts), and both cuts fall on character boundaries.
        let bytes = Array(text.utf8)
        let utf8 = text.utf8
        var name: String?, version: String?, installed = false
        var packages: [Package] = []
        func endStanza() {
            if let name { packages.append(Package(name: name, version: version, installed: installed)) }
            name = nil
            version = nil
            installed = false
        }
        func line(_ start: Int, _ end: Int) {
            guard start < end else { return }
            let line = text[utf8.index(utf8.startIndex, offsetBy: start)..<utf8.index(utf8.startIndex, offsetBy: end)]
            if line.hasPrefix("Package: ") { name = line.dropFirst(9).trimmingSpaces }
            if line.hasPrefix("Version: ") { version = line.dropFirst(9).trimmingSpaces }
            if line.hasPrefix("Status: ") { installed = line.hasSuffix(" installed") }
        }
        var lineStart = 0
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "\n"), index == 0 || bytes[index - 1] != UInt8(ascii: "\r") else {
                index += 1
                continue
            }
            line(lineStart, index)
            if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\n") {
                // "\n\n": the stanza ends here, and the search goes on after the pair.
                endStanza()
                index += 2
            } else {
                index += 1
            }
            lineStart = index
        }
        line(lineStart, bytes.count)
        endStanza()
        self.packages = packages
    }

    /// The versions of the installed packages whose name starts with `prefix` (name → version; a later
    /// stanza of the same name wins).
    public func installedVersions(prefix: String) -> [String: String] {
        var result: [String: String] = [:]
        for package in packages where package.installed && package.name.hasPrefix(prefix) {
            if let version = package.version { result[package.name] = version }
        }
        return result
    }
}
