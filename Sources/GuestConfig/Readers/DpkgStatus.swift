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
        for stanza in text.split(separator: "\n\n", omittingEmptySubsequences: true) {
            var name: String?, version: String?, installed = false
            for line in stanza.split(separator: "\n") {
                if line.hasPrefix("Package: ") { name = line.dropFirst(9).trimmingSpaces }
                if line.hasPrefix("Version: ") { version = line.dropFirst(9).trimmingSpaces }
                if line.hasPrefix("Status: ") { installed = line.hasSuffix(" installed") }
            }
            if let name { packages.append(Package(name: name, version: version, installed: installed)) }
        }
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
