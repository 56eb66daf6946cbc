/// Whether a cloud-config file (`/etc/cloud/cloud.cfg`, `cloud.cfg.d/*.cfg`) puts swap somewhere: a top-level
/// `swap:` map with a `size` other than 0, or a `mounts:` entry of type `swap` (cc_mounts). A line-level reading of
/// the YAML that cloud images use (block style); flow-style maps are read too when on one line.
public enum CloudConfigSwap {
    /// The 1-based line that declares swap, or `nil`.
    public static func declaration(in text: String) -> Int? {
        var section = ""
        var swapLine: Int?
        for (index, raw) in ConfigText(text).contents.enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            guard !line.trimmingSpaces.isEmpty else { continue }
            let indented = line.first == " " || line.first == "\t" || line.first == "-"
            if !indented {
                section = String(line.prefix { $0 != ":" }).trimmingSpaces
                if section == "swap" {
                    swapLine = index + 1
                    let rest = line.drop { $0 != ":" }.dropFirst().trimmingSpaces
                    if rest.hasPrefix("{"), rest.contains("size"), !rest.contains("size: 0"), !rest.contains("size:0") { return index + 1 }
                }
                continue
            }
            let body = line.trimmingSpaces
            if section == "swap", body.hasPrefix("size:") {
                let value = body.dropFirst("size:".count).trimmingSpaces
                if !value.isEmpty, value != "0" { return swapLine ?? index + 1 }
            }
            if section == "mounts", body.hasPrefix("-"), body.contains("swap") { return index + 1 }
        }
        return nil
    }
}
