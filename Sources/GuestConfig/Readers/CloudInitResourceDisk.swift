/// What cloud-init will do with Azure's resource disk (`ephemeral0`): format it, mount it, and put swap on it,
/// decided from the guest's cloud-config files as cloud-init merges them. Pure: it reads texts it is given.
///
/// cloud-init's precedence, highest first: the file named by `CLOUD_CFG` in the environment (Azure's guides set
/// it with systemd's `DefaultEnvironment`), the datasource's own config (the Azure datasource adds
/// `disk_setup: {ephemeral0: {table_type: gpt, layout: [100], overwrite: true}}` and
/// `fs_setup: [{filesystem: ext4, device: ephemeral0.1}]` whenever the resource disk exists), then
/// `cloud.cfg.d/*.cfg` (a later name wins) over `/etc/cloud/cloud.cfg`. Mappings merge key by key; any other
/// value, lists included, is taken whole from the highest source that sets it. `cc_mounts` mounts `ephemeral0`
/// at `/mnt` unless `mounts` lists it, and makes a `swap:` file before it mounts anything.
public struct CloudInitResourceDisk: Sendable, Equatable {
    /// How good the resource-disk setup is.
    public enum Verdict: String, Sendable, Comparable {
        /// As Azure's guides set it up.
        case pass
        /// The resource disk or its swap is not set up as meant.
        case warn
        /// Swap on the OS disk.
        case fail

        /// pass < warn < fail.
        public static func < (a: Verdict, b: Verdict) -> Bool {
            let order: [Verdict] = [.pass, .warn, .fail]
            return order.firstIndex(of: a)! < order.firstIndex(of: b)!
        }
    }

    /// What a finding is about.
    public enum Topic: String, Sendable {
        /// cloud-init's module lists (disk_setup, mounts).
        case modules
        /// The resource disk's data partition: formatted and mounted.
        case resourceDisk
        /// A swap partition on the resource disk.
        case swapPartition
        /// A `swap:` file (made on the OS disk).
        case swapFile
    }

    /// One statement about the setup, with where it comes from.
    public struct Finding: Sendable, Equatable {
        /// What it is about.
        public var topic: Topic
        /// How good that is.
        public var verdict: Verdict
        /// What cloud-init will do, in words.
        public var message: String
        /// The config file that decided it (`nil` for cloud-init's own defaults).
        public var path: String?
        /// The 1-based line of the deciding key in ``path``.
        public var line: Int?
    }

    /// One cloud-config file.
    public struct Source: Sendable, Equatable {
        /// The guest path.
        public var path: String
        /// Its text.
        public var text: String

        /// The file at `path` holding `text`.
        public init(path: String, text: String) {
            self.path = path
            self.text = text
        }
    }

    /// Where the resource disk's data partition is mounted (`nil`: not mounted by cloud-init).
    public var mountPoint: String?
    /// The filesystem cloud-init makes on it (`nil`: not formatted by cloud-init).
    public var filesystem: String?
    /// Whether cloud-init makes swap anywhere (a swap partition on the resource disk, or a swap file).
    public var declaresSwap: Bool
    /// Swap cloud-init really makes on the resource disk (`ephemeral0.2`...), or `nil`.
    public var swapPartition: String?
    /// Every statement, in the order decided; the verdict is the worst of them.
    public var findings: [Finding]

    /// The worst verdict of ``findings`` (pass when there are none).
    public var verdict: Verdict { findings.map(\.verdict).max() ?? .pass }

    /// The setup decided from the base files (`/etc/cloud/cloud.cfg` then `cloud.cfg.d/*.cfg` in name order)
    /// and the file `CLOUD_CFG` names, when set.
    public init(base: [Source], environment: Source?) {
        // Each text is read once: the CLOUD_CFG file is often one of the base files too (same bytes, not only
        // canonically equal strings, share a reading).
        var read: [(text: String, document: CloudConfigYAML)] = []
        func parsed(_ text: String) -> CloudConfigYAML {
            if let known = read.first(where: { $0.text.utf8.elementsEqual(text.utf8) }) { return known.document }
            let document = CloudConfigYAML(text)
            read.append((text, document))
            return document
        }
        self.init(
            read: base.map { ($0.path, parsed($0.text)) }, environment: environment.map { ($0.path, parsed($0.text)) })
    }

    /// The setup decided from files already read, in the order and roles of ``init(base:environment:)``: for a
    /// caller that reads each file once for other questions too (`CloudConfigSwap.declaration(in:)`).
    public init(
        read base: [(path: String, document: CloudConfigYAML)], environment: (path: String, document: CloudConfigYAML)?
    ) {
        var merged = Merged()
        for source in base {
            merged.layer(source.document.root, from: source.path)
        }
        merged.layer(Self.azureDatasourceDefaults, from: nil)
        var environmentKeys = Set<String>()
        if let environment {
            let root = environment.document.root
            for pair in root.pairs ?? [] { environmentKeys.insert(pair.key) }
            merged.layer(root, from: environment.path)
        }
        self.init(merged, environmentKeys: environmentKeys)
    }

    /// What the Azure datasource adds whenever the resource disk exists (DataSourceAzure's
    /// `BUILTIN_CLOUD_EPHEMERAL_DISK_CONFIG`), as ``CloudConfigYAML`` reads ``azureDatasourceDefaultsText``
    /// (a test holds the two equal). Made each time, not kept in a global: a global tree of indirect enum boxes
    /// reads as a leak to LeakSanitizer, which the fuzz run treats as a failure.
    static var azureDatasourceDefaults: YAMLNode {
        func scalar(_ text: String, _ line: Int) -> YAMLNode { YAMLNode(.scalar(text), line: line) }
        func pair(_ key: String, _ node: YAMLNode, _ line: Int) -> YAMLPair {
            YAMLPair(key: key, node: node, line: line)
        }
        let ephemeral0 = YAMLNode(
            .mapping([
                pair("table_type", scalar("gpt", 3), 3),
                pair("layout", YAMLNode(.sequence([scalar("100", 4)]), line: 4), 4),
                pair("overwrite", scalar("true", 5), 5),
            ]), line: 3)
        let fileSystem = YAMLNode(
            .mapping([pair("filesystem", scalar("ext4", 7), 7), pair("device", scalar("ephemeral0.1", 8), 8)]),
            line: 7)
        return YAMLNode(
            .mapping([
                pair("disk_setup", YAMLNode(.mapping([pair("ephemeral0", ephemeral0, 2)]), line: 2), 1),
                pair("fs_setup", YAMLNode(.sequence([fileSystem]), line: 7), 6),
            ]), line: 1)
    }

    /// The Azure datasource's defaults as cloud-config text.
    static let azureDatasourceDefaultsText =
        "disk_setup:\n  ephemeral0:\n    table_type: gpt\n    layout: [100]\n    overwrite: true\nfs_setup:\n  - filesystem: ext4\n    device: ephemeral0.1\n"

    /// A top-level value and the file and line that set it (`nil` path: the datasource's default).
    struct Setting {
        var node: YAMLNode
        var path: String?
        var line: Int
    }

    /// The config keys and values cloud-init ends up with, each with the file that set it.
    struct Merged {
        var values: [String: Setting] = [:]

        /// Lays `root`'s keys over what is there (a higher-precedence source).
        mutating func layer(_ root: YAMLNode, from path: String?) {
            for pair in root.pairs ?? [] {
                let node = values[pair.key].flatMap { Self.merge(pair.node, over: $0.node) } ?? pair.node
                values[pair.key] = Setting(node: node, path: path, line: pair.line)
            }
        }

        /// Two mappings merged key by key (`top` wins); `nil` when either is not a mapping.
        static func merge(_ top: YAMLNode, over bottom: YAMLNode) -> YAMLNode? {
            guard let upper = top.pairs, var result = bottom.pairs else { return nil }
            // Where each key last is in `result`, looked up (a search of `result` per key is quadratic in keys).
            var lastIndex: [String: Int] = [:]
            for (index, pair) in result.enumerated() { lastIndex[pair.key] = index }
            for pair in upper {
                if let index = lastIndex[pair.key] {
                    result[index].node = merge(pair.node, over: result[index].node) ?? pair.node
                } else {
                    lastIndex[pair.key] = result.count
                    result.append(pair)
                }
            }
            return YAMLNode(.mapping(result), line: top.line)
        }

        subscript(_ key: String) -> Setting? { values[key] }
    }

    /// A resource-disk device name: `ephemeral0` (partition 1), `ephemeral0.N`, or a path to
    /// `/dev/disk/cloud/azure_resource[-partN]`; `nil` for any other device.
    static func resourcePartition(_ device: String, partition: String? = nil) -> Int? {
        var name = device
        if name.hasPrefix("ephemeral0") {
            name.removeFirst("ephemeral0".count)
            if name.isEmpty { return partition.flatMap { Int($0) } ?? 1 }
            guard name.first == "." else { return nil }
            return Int(name.dropFirst())
        }
        if let range = name.firstRange(of: "azure_resource") {
            let rest = name[range.upperBound...]
            if rest.isEmpty { return partition.flatMap { Int($0) } ?? 1 }
            guard rest.hasPrefix("-part") else { return nil }
            return Int(rest.dropFirst("-part".count))
        }
        return nil
    }

    static func isSwap(_ text: String?) -> Bool { text?.lowercased() == "swap" }

    private init(_ merged: Merged, environmentKeys: Set<String>) {
        var findings: [Finding] = []
        func say(_ topic: Topic, _ verdict: Verdict, _ message: String, _ source: Setting?) {
            findings.append(
                Finding(
                    topic: topic, verdict: verdict, message: message, path: source?.path,
                    line: source?.path == nil ? nil : source?.line))
        }

        // Modules: a module list that leaves out disk_setup or mounts means that step never runs.
        var modules = Set<String>()
        var moduleSource: Setting?
        for key in ["cloud_init_modules", "cloud_config_modules", "cloud_final_modules"] {
            guard let list = merged[key] else { continue }
            moduleSource = moduleSource ?? list
            for item in list.node.items ?? [] {
                if let name = item.scalar ?? item.items?.first?.scalar {
                    modules.insert(name.replacingAll("-", with: "_"))
                }
            }
        }
        let runsDiskSetup = moduleSource == nil || modules.contains("disk_setup")
        let runsMounts = moduleSource == nil || modules.contains("mounts")
        if !runsDiskSetup {
            say(
                .modules, .warn,
                "the disk_setup module is not in cloud-init's module lists: the resource disk is not partitioned or formatted",
                moduleSource)
        }
        if !runsMounts {
            say(
                .modules, .warn,
                "the mounts module is not in cloud-init's module lists: the resource disk is not mounted and no swap is set up",
                moduleSource)
        }

        // The partitions disk_setup makes (layout: [100] or [66, [33, 82]]; `true` is one partition).
        let diskSetup = merged["disk_setup"]
        let ephemeral = diskSetup?.node["ephemeral0"]
        var partitions: [(number: Int, type: String?)] = []
        if runsDiskSetup, let layout = ephemeral?["layout"] {
            if let items = layout.items {
                for (index, item) in items.enumerated() {
                    partitions.append((index + 1, item.items?.dropFirst().first?.scalar))
                }
            } else if layout.scalar?.lowercased() == "true" {
                partitions.append((1, nil))
            }
        }

        // The filesystems fs_setup makes on the resource disk.
        let fsSetup = merged["fs_setup"]
        var filesystems: [Int: String] = [:]
        if runsDiskSetup {
            for entry in fsSetup?.node.items ?? [] {
                guard let device = entry["device"]?.scalar,
                    let number = Self.resourcePartition(device, partition: entry["partition"]?.scalar),
                    let type = entry["filesystem"]?.scalar
                else { continue }
                filesystems[number] = type
            }
        }

        // Mounts: entries naming the resource disk; ephemeral0 at /mnt unless listed. An entry without a mount
        // point (`[ephemeral0]`, `[ephemeral0, null]`) takes the device out.
        let mounts = merged["mounts"]
        var mountPoint: String? = runsMounts ? "/mnt" : nil
        var dataPartition = 1
        var swapMounts: [Int] = []
        if runsMounts {
            for entry in mounts?.node.items ?? [] {
                guard let fields = entry.items, let device = fields.first?.scalar,
                    let number = Self.resourcePartition(device)
                else { continue }
                let target = fields.count > 1 ? fields[1].scalar : nil
                let type = fields.count > 2 ? fields[2].scalar : nil
                if Self.isSwap(type) || target == "swap" {
                    swapMounts.append(number)
                } else if let target, target.hasPrefix("/") {
                    mountPoint = target
                    dataPartition = number
                } else if number == dataPartition {
                    mountPoint = nil
                }
            }
        }
        self.mountPoint = mountPoint

        let dataFilesystem = filesystems[dataPartition]
        self.filesystem = dataFilesystem.flatMap { Self.isSwap($0) ? nil : $0 }
        if runsDiskSetup, runsMounts {
            if let filesystem, let mountPoint, partitions.contains(where: { $0.number == dataPartition }) {
                say(
                    .resourceDisk, .pass, "the resource disk is formatted \(filesystem) and mounted at \(mountPoint)",
                    mounts ?? fsSetup)
            } else if mountPoint == nil {
                say(.resourceDisk, .warn, "mounts leaves the resource disk out: it is not mounted", mounts)
            } else if filesystem == nil {
                say(
                    .resourceDisk, .warn,
                    "fs_setup makes no filesystem on the resource disk's partition \(dataPartition): it stays as Azure delivers it (NTFS)",
                    fsSetup)
            } else {
                say(
                    .resourceDisk, .warn,
                    "disk_setup makes no partition \(dataPartition) on the resource disk for \(mountPoint ?? "its mount")",
                    diskSetup)
            }
        }

        // Swap: a swap partition needs all three of disk_setup, fs_setup and mounts; a swap file is on the OS disk.
        var declared = false
        var madePartition: String?
        let swapFilesystems = filesystems.filter { Self.isSwap($0.value) }.map(\.key)
        let swapNumbers = Set(swapFilesystems + swapMounts).sorted()
        if runsMounts || runsDiskSetup, let number = swapNumbers.first {
            declared = true
            let name = "ephemeral0.\(number)"
            let inLayout = partitions.contains { $0.number == number }
            let formatted = swapFilesystems.contains(number)
            let mounted = swapMounts.contains(number)
            if inLayout, formatted, mounted {
                madePartition = name
                say(
                    .swapPartition, .pass,
                    "swap on the resource disk (\(name), made by disk_setup, fs_setup and mounts)", mounts)
            } else {
                var missing: [String] = []
                if !inLayout { missing.append("disk_setup's layout has no partition \(number)") }
                if !formatted { missing.append("fs_setup makes no swap on it") }
                if !mounted { missing.append("mounts has no swap entry for it") }
                var message = "swap on \(name) is declared but never made: " + missing.joined(separator: ", ")
                let overridden =
                    (!inLayout && !environmentKeys.contains("disk_setup"))
                    || (!formatted && !environmentKeys.contains("fs_setup"))
                if overridden, ephemeral != nil || fsSetup != nil {
                    message +=
                        " (the Azure datasource's own disk_setup and fs_setup override /etc/cloud's; Azure's guides name the file in CLOUD_CFG through systemd's DefaultEnvironment so that theirs win)"
                }
                // Name the file that asks for the swap (the datasource's own settings have no file).
                say(.swapPartition, .warn, message, [mounts, fsSetup, diskSetup].first { $0?.path != nil } ?? nil)
            }
        }
        if runsMounts, let swap = merged["swap"] {
            let size = swap.node["size"]?.scalar ?? "0"
            let file = swap.node["filename"]?.scalar ?? "/swap.img"
            if !["0", "false", ""].contains(size.lowercased()) {
                declared = true
                say(
                    .swapFile, .fail,
                    "swap: makes the swap file \(file) (size \(size)) before cc_mounts mounts the resource disk: swap on the OS disk",
                    swap)
            }
        }
        self.declaresSwap = declared
        self.swapPartition = madePartition
        self.findings = findings
    }
}
