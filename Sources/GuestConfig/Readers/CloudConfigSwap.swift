/// Whether a cloud-config file (`/etc/cloud/cloud.cfg`, `cloud.cfg.d/*.cfg`) puts swap somewhere: a top-level
/// `swap:` map with a `size` other than 0, or a `mounts:` entry of type `swap` (cc_mounts). Read with
/// ``CloudConfigYAML``; ``CloudInitResourceDisk`` judges where the swap ends up.
public enum CloudConfigSwap {
    /// The 1-based line that declares swap, or `nil`.
    public static func declaration(in text: String) -> Int? { declaration(in: CloudConfigYAML(text)) }

    /// The 1-based line that declares swap in an already read cloud-config, or `nil`.
    public static func declaration(in yaml: CloudConfigYAML) -> Int? {
        let root = yaml.root
        for pair in root.pairs ?? [] {
            switch pair.key {
            case "swap":
                let size = pair.node["size"]?.scalar ?? "0"
                if !["0", "false", ""].contains(size.lowercased()) { return pair.line }
            case "mounts":
                for entry in pair.node.items ?? [] {
                    guard let fields = entry.items, fields.count > 2 || fields.count == 2 else { continue }
                    if fields.count > 2, fields[2].scalar?.lowercased() == "swap" { return entry.line }
                    if fields[1].scalar == "swap" { return entry.line }
                }
            default: continue
            }
        }
        return nil
    }
}
