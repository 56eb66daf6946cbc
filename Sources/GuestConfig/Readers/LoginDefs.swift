/// `/etc/login.defs` (login.defs(5)): `NAME value` lines, `#` comments. The last assignment of a name wins.
public struct LoginDefs: Sendable {
    /// Every name's value (the last assignment of a name).
    public private(set) var values: [String: String] = [:]

    /// Reads a login.defs text: `#` comments and lines with fewer than two words are skipped.
    public init(_ text: String) {
        for raw in ConfigText(text).contents {
            let line = raw.trimmingSpaces
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count >= 2 else { continue }
            values[String(words[0])] = String(words[1])
        }
    }

    /// `UID_MIN` (shadow-utils default 1000).
    public var uidMin: Int { values["UID_MIN"].flatMap { Int($0) } ?? 1000 }
    /// `UID_MAX` (shadow-utils default 60000).
    public var uidMax: Int { values["UID_MAX"].flatMap { Int($0) } ?? 60000 }
}
