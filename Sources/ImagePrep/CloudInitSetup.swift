import GuestConfig

/// cloud-init's resource-disk setup read from a guest: `/etc/cloud/cloud.cfg`, `cloud.cfg.d/*.cfg`, and the file
/// `CLOUD_CFG` names in systemd's `DefaultEnvironment` (how Azure's guides make their drop-in win over the
/// datasource's defaults), judged by ``CloudInitResourceDisk``.
enum CloudInitSetup {
    /// The base config files, in the order cloud-init reads them.
    static func baseFiles(_ files: any GuestFiles) throws(ImagePrepError) -> [CloudInitResourceDisk.Source] {
        var sources: [CloudInitResourceDisk.Source] = []
        for path in ["/etc/cloud/cloud.cfg"] + (try files.glob("/etc/cloud/cloud.cfg.d/*.cfg")).sorted() {
            guard try files.lstat(path).map({ $0.type != .directory }) == true,
                let text = try files.readText(path, limit: 1 << 20)
            else { continue }
            sources.append(CloudInitResourceDisk.Source(path: path, text: text))
        }
        return sources
    }

    /// systemd's `DefaultEnvironment` from `system.conf` and its drop-ins (`/usr/lib`, then `/etc`, by name;
    /// an `/etc` drop-in hides the `/usr/lib` one of the same name).
    static func systemdEnvironment(_ files: any GuestFiles) throws(ImagePrepError) -> SystemdDefaultEnvironment {
        var dropIns: [String: String] = [:]
        for folder in ["/usr/lib/systemd/system.conf.d", "/lib/systemd/system.conf.d", "/etc/systemd/system.conf.d"] {
            for path in try files.glob(folder + "/*.conf") { dropIns[PathText.name(path)] = path }
        }
        var texts: [(path: String, text: String)] = []
        for path in ["/etc/systemd/system.conf"] + dropIns.sorted(by: { $0.key < $1.key }).map(\.value) {
            if let text = try files.readText(path, limit: 1 << 20) { texts.append((path, text)) }
        }
        return SystemdDefaultEnvironment(texts)
    }

    /// The setup cloud-init will make on this guest.
    static func resourceDisk(_ files: any GuestFiles) throws(ImagePrepError) -> CloudInitResourceDisk {
        var environment: CloudInitResourceDisk.Source?
        if let named = try systemdEnvironment(files).variables["CLOUD_CFG"]?.value, named.hasPrefix("/"),
            let text = try files.readText(named, limit: 1 << 20)
        {
            environment = CloudInitResourceDisk.Source(path: named, text: text)
        }
        return CloudInitResourceDisk(base: try baseFiles(files), environment: environment)
    }
}
