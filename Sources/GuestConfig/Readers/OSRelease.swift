/// `/etc/os-release` (or `/usr/lib/os-release`): shell-style `KEY=value` lines (os-release(5)).
public struct OSRelease: Sendable, Hashable {
    /// Every variable, last assignment winning.
    public var values: [String: String]

    /// Parses `text`; never fails.
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
