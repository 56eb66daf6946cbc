/// `/etc/resolv.conf` (resolv.conf(5)): `keyword value...` lines.
public struct ResolvConf: Sendable {
    /// The `nameserver` lines, as written, in file order.
    public private(set) var nameserverLines: [String] = []

    /// Reads a file's text.
    public init(_ text: String) {
        // Only the kept lines become Strings. A text of one character per scalar is read at its bytes (its words
        // split at spaces and tabs there); another line by line in place, as characters where a line needs it.
        var lines: [String] = []
        if text.isOneCharacterPerScalar {
            let bytes = Array(text.utf8)
            let keyword = Array("nameserver".utf8)
            ConfigText.forEachLine(in: bytes) { _, start, end in
                var first = start
                while first < end, SpaceSeparatedWords.isSeparator(bytes[first]) { first += 1 }
                let after = first + keyword.count
                guard after <= end, bytes[first..<after].elementsEqual(keyword),
                    after == end || SpaceSeparatedWords.isSeparator(bytes[after])
                else { return }
                lines.append(String(decoding: bytes[start..<end], as: UTF8.self))
            }
        } else {
            ConfigText.forEachContent(of: text) { _, content in
                if content.firstWordIs("nameserver", atBytes: content.isOneCharacterPerScalar) {
                    lines.append(String(content))
                }
            }
        }
        nameserverLines = lines
    }
}
