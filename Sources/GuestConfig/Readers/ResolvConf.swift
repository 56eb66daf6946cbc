/// `/etc/resolv.conf` (resolv.conf(5)): `keyword value...` lines.
public struct ResolvConf: Sendable {
    /// The `nameserver` lines, as written, in file order.
    public private(set) var nameserverLines: [String] = []

    /// Reads a file's text.
    public init(_ text: String) {
        // Only the kept lines become Strings; the others are looked at in place (at the bytes when the whole
        // text is one character per scalar, and so each of its lines).
        var lines: [String] = []
        let atBytes = text.isOneCharacterPerScalar
        ConfigText.forEachContent(of: text) { _, content in
            if content.firstWordIs("nameserver", atBytes: atBytes) { lines.append(String(content)) }
        }
        nameserverLines = lines
    }
}
