/// `/etc/resolv.conf` (resolv.conf(5)): `keyword value...` lines.
public struct ResolvConf: Sendable {
    /// The `nameserver` lines, as written, in file order.
    public private(set) var nameserverLines: [String] = []

    /// Reads a file's text.
    public init(_ text: String) {
        nameserverLines = ConfigText(text).contents.filter { $0.words.first == "nameserver" }
    }
}
