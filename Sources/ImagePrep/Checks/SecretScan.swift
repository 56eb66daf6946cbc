import Ext4
import GuestConfig

/// One piece of the build VM's secret material left in a guest.
public struct SecretFinding: Codable, Sendable, Equatable {
    /// What kind of secret it is (also the suffix of its check id, `secrets.private-key`...).
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// A backup of an account file that still holds password hashes (`/etc/shadow-`, `*.rpmsave`...).
        case passwordBackup = "password-backup"
        /// A private key (by its armor, whatever the file is called).
        case privateKey = "private-key"
        /// A cloud or tool credential file (`~/.aws/credentials`, `~/.docker/config.json` with auths...).
        case credentials
        /// An `authorized_keys` file that lets someone log in to every clone.
        case authorizedKeys = "authorized-keys"
        /// A shell or tool history.
        case history
    }

    /// What kind of secret it is.
    public var kind: Kind
    /// The guest path.
    public var path: String
    /// What was found (never the secret itself).
    public var detail: String
    /// Whether `path` is a directory (removed as a whole).
    public var isDirectory: Bool
    /// True when it is only worth a warning: the provisioned user's own `authorized_keys`, which go with the
    /// user (`generalize --delete-user`).
    public var warnOnly: Bool
}

/// Finds secret material in a guest: password hashes in account-file backups, private keys anywhere under
/// `/root` and `/home` (by content), cloud and tool credentials, `authorized_keys` and shell histories in every
/// account's home. Bounded: it reads at most the first ``Limits/headBytes`` of each file no larger than
/// ``Limits/largestKeyFile``, stops after ``Limits/maxBytes`` read, ``Limits/maxFiles`` entries or
/// ``Limits/seconds``, and says how much it covered.
public struct SecretScan {
    /// How far a scan goes.
    public struct Limits: Sendable, Equatable {
        /// Bytes read from the head of each candidate file (key armor is at the start of a key file).
        public var headBytes = 4096
        /// Files larger than this are not opened for the key check (no key file is that large).
        public var largestKeyFile: UInt64 = 1 << 20
        /// Files smaller than this cannot hold a private key (the shortest PEM EC key is about 220 bytes).
        public var smallestKeyFile: UInt64 = 64
        /// Total bytes read before the scan stops.
        public var maxBytes = 64 << 20
        /// Directory entries looked at before the scan stops.
        public var maxFiles = 500_000
        /// Seconds before the scan stops.
        public var seconds = 20.0

        /// The default limits.
        public init() {}
    }

    /// What a scan found and how much it covered.
    public struct Report: Sendable, Equatable {
        /// What was found, in scan order.
        public var findings: [SecretFinding] = []
        /// Directory entries looked at under the walked trees.
        public var entries = 0
        /// Files whose head was read for key armor.
        public var filesRead = 0
        /// Head bytes read (what ``Limits/maxBytes`` bounds).
        public var bytesRead = 0
        /// Bytes read from the disk for the heads when the filesystem reads the heads of neighbouring files
        /// together (0 otherwise).
        public var diskBytesRead = 0
        /// How many disk reads that took.
        public var diskReads = 0
        /// Files skipped for the key check because they are larger than ``Limits/largestKeyFile``.
        public var skippedLarge = 0
        /// Wall time in seconds.
        public var seconds = 0.0
        /// Why the scan stopped before covering everything, or `nil`.
        public var stoppedEarly: String?
        /// The trees walked in full (key check) and the homes looked at (named files only).
        public var trees: [String] = []
        /// The homes whose named files were looked at.
        public var homes: [String] = []

        /// One line saying how much was scanned.
        public var coverage: String {
            let kib = (bytesRead + 1023) / 1024
            let ms = Int((seconds * 1000).rounded())
            let disk = diskReads > 0 ? "; \((diskBytesRead + 1023) / 1024) KiB in \(diskReads) disk reads" : ""
            var text =
                "\(entries) entries under \(trees.isEmpty ? "nothing" : trees.joined(separator: ", ")), \(filesRead) file heads read (\(kib) KiB\(disk)), \(homes.count) home\(homes.count == 1 ? "" : "s") checked, \(ms) ms"
            if skippedLarge > 0 {
                text += "; \(skippedLarge) file\(skippedLarge == 1 ? "" : "s") over 1 MiB not opened"
            }
            if let stoppedEarly { text += "; stopped early: \(stoppedEarly)" }
            return text
        }
    }

    /// Account files whose backups are looked at, and the backup suffixes (`shadow-`, `shadow.rpmsave`...).
    static let accountFiles: [(name: String, kind: AccountFileKind)] = [
        ("shadow", .shadow), ("gshadow", .gshadow), ("passwd", .passwd),
    ]
    static let backupSuffixes = [
        "-", ".rpmsave", ".rpmorig", ".dpkg-old", ".dpkg-bak", ".dpkg-dist", ".bak", ".old", "~",
    ]
    /// History files, relative to a home.
    static let histories = [
        ".bash_history", ".zsh_history", ".sh_history", ".ash_history", ".histfile", ".local/share/fish/fish_history",
        ".config/fish/fish_history", ".python_history", ".mysql_history", ".psql_history", ".lesshst", ".viminfo",
        ".sqlite_history", ".node_repl_history", ".rediscli_history",
    ]
    /// Folders that only hold credentials, relative to a home.
    static let credentialFolders = [".azure", ".config/gcloud"]

    /// The guest's files.
    public let files: any GuestFiles
    /// The user whose `authorized_keys` only warn (the provisioned user; removed with the user).
    public let provisionedUser: String?
    /// How far the scan may go.
    public let limits: Limits

    /// A scan of `files`; `provisionedUser`'s authorized_keys only warn.
    public init(files: any GuestFiles, provisionedUser: String?, limits: Limits = Limits()) {
        self.files = files
        self.provisionedUser = provisionedUser
        self.limits = limits
    }

    /// Runs the scan.
    public func run() throws(ImagePrepError) -> Report {
        let clock = ContinuousClock()
        let start = clock.now
        var report = Report()
        // Kept apart from `report`, which the tree scans below update while they add findings.
        var findings: [SecretFinding] = []
        var seen = Set<String>()
        func add(_ finding: SecretFinding) {
            if seen.insert(finding.path).inserted { findings.append(finding) }
        }
        try passwordBackups(add)
        let homes = try self.homes()
        report.homes = homes.map(\.path)
        for home in homes { try namedFiles(in: home, add) }
        // Private keys, by content, anywhere under /root and /home.
        let deadline = start + .milliseconds(Int64(limits.seconds * 1000))
        for tree in ["/root", "/home"] {
            guard let resolved = try files.resolve(tree), try files.lstat(resolved)?.type == .directory else {
                continue
            }
            report.trees.append(tree)
            if let (filesystem, inside, prefix) = Self.ext4Tree(files, resolved) {
                try scanHeads(filesystem, inside, prefix: prefix, deadline: deadline, &report, add)
            } else {
                try walk(resolved, clock: clock, start: start, &report, add)
            }
            if report.stoppedEarly != nil { break }
        }
        report.seconds = Self.seconds(clock.now - start)
        report.findings = findings
        report.findings.sort { ($0.kind.rawValue, $0.path) < ($1.kind.rawValue, $1.path) }
        return report
    }

    /// The ext4 filesystem holding the whole tree at `path` (no other filesystem mounted below it), the path
    /// inside it, and the guest path of that filesystem's root.
    static func ext4Tree(_ files: any GuestFiles, _ path: String) -> (Ext4FileSystem, GuestPath, String)? {
        if let ext4 = files as? Ext4GuestFiles { return (ext4.filesystem, ext4.guestPath(path), "") }
        guard let mounted = files as? MountedGuestFiles,
            !mounted.mounts.contains(where: { $0.mountPoint.hasPrefix(path == "/" ? "/" : path + "/") })
        else { return nil }
        let target = mounted.route(path)
        guard let ext4 = target.files as? Ext4GuestFiles else { return nil }
        let prefix = target.path == path ? "" : String(path.dropLast(target.path == "/" ? 0 : target.path.utf8.count))
        return (ext4.filesystem, ext4.guestPath(target.path), prefix)
    }

    /// The key check of one tree through the filesystem's own head scan: directories walked by inode, file
    /// heads read in batches sorted by their place on disk.
    func scanHeads(
        _ filesystem: Ext4FileSystem, _ tree: GuestPath, prefix: String, deadline: ContinuousClock.Instant,
        _ report: inout Report,
        _ add: (SecretFinding) -> Void
    ) throws(ImagePrepError) {
        let bounds = HeadScanLimits(
            headBytes: limits.headBytes, smallestFile: limits.smallestKeyFile, largestFile: limits.largestKeyFile,
            maxEntries: limits.maxFiles, maxBytes: limits.maxBytes, deadline: deadline)
        var progress = HeadScanProgress()
        progress.entries = report.entries
        progress.filesRead = report.filesRead
        progress.bytesRead = report.bytesRead
        progress.skippedLarge = report.skippedLarge
        progress.deviceBytesRead = report.diskBytesRead
        progress.deviceReads = report.diskReads
        do {
            try filesystem.scanFileHeads(under: tree, limits: bounds, progress: &progress) { file in
                guard let kind = SecretMaterial.privateKey(in: file.head) else { return }
                add(
                    SecretFinding(
                        kind: .privateKey, path: prefix + Ext4GuestFiles.text(file.path),
                        detail: "\(kind.rawValue) private key",
                        isDirectory: false, warnOnly: false))
            }
        } catch {
            throw Ext4GuestFiles.wrap(error, prefix + Ext4GuestFiles.text(tree))
        }
        report.entries = progress.entries
        report.filesRead = progress.filesRead
        report.bytesRead = progress.bytesRead
        report.skippedLarge = progress.skippedLarge
        report.diskBytesRead = progress.deviceBytesRead
        report.diskReads = progress.deviceReads
        switch progress.stop {
        case .entries: report.stoppedEarly = "more than \(limits.maxFiles) entries"
        case .time: report.stoppedEarly = "after \(Int(limits.seconds)) s"
        case .bytes: report.stoppedEarly = "after \(limits.maxBytes >> 20) MiB read"
        case nil: break
        }
    }

    /// The key check of one tree through any ``GuestFiles`` (listing then reading each candidate's head).
    func walk(
        _ tree: String, clock: ContinuousClock, start: ContinuousClock.Instant, _ report: inout Report,
        _ add: (SecretFinding) -> Void
    )
        throws(ImagePrepError)
    {
        var stack = [tree]
        while let directory = stack.popLast() {
            for entry in try files.listEntries(directory) {
                report.entries += 1
                let elapsed = Self.seconds(clock.now - start)
                if report.entries > limits.maxFiles {
                    report.stoppedEarly = "more than \(limits.maxFiles) entries"; return
                }
                if elapsed > limits.seconds { report.stoppedEarly = "after \(Int(limits.seconds)) s"; return }
                if report.bytesRead >= limits.maxBytes {
                    report.stoppedEarly = "after \(limits.maxBytes >> 20) MiB read"; return
                }
                let path = PathText.join(directory, entry.name)
                switch entry.info.type {
                case .directory: stack.append(path)
                case .regular:
                    guard entry.info.size >= limits.smallestKeyFile else { continue }
                    guard entry.info.size <= limits.largestKeyFile else { report.skippedLarge += 1; continue }
                    let head = try files.readPrefix(path, count: limits.headBytes)
                    report.filesRead += 1
                    report.bytesRead += head.count
                    if let kind = SecretMaterial.privateKey(in: head) {
                        add(
                            SecretFinding(
                                kind: .privateKey, path: path, detail: "\(kind.rawValue) private key",
                                isDirectory: false, warnOnly: false))
                    }
                default: continue
                }
            }
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    /// `/etc/shadow-`, `/etc/gshadow-`, `/etc/passwd-` and `.rpmsave`/`.dpkg-old`... copies that hold hashes.
    func passwordBackups(_ add: (SecretFinding) -> Void) throws(ImagePrepError) {
        for (name, kind) in Self.accountFiles {
            for suffix in Self.backupSuffixes {
                let path = "/etc/" + name + suffix
                guard try files.lstat(path)?.type == .regular, let text = try files.readText(path, limit: 16 << 20)
                else { continue }
                let accounts = SecretMaterial.accountsWithHashes(text, kind: kind)
                guard !accounts.isEmpty else { continue }
                add(
                    SecretFinding(
                        kind: .passwordBackup, path: path,
                        detail:
                            "password hash\(accounts.count == 1 ? "" : "es") of \(accounts.prefix(5).joined(separator: ", "))\(accounts.count > 5 ? "…" : "")",
                        isDirectory: false, warnOnly: false))
            }
        }
    }

    /// A home folder and the accounts that use it.
    struct Home {
        var path: String
        var users: [String]
    }

    /// `/root`, every folder in `/home`, and the home of every account in /etc/passwd that is a folder (not `/`).
    func homes() throws(ImagePrepError) -> [Home] {
        var byPath: [String: [String]] = ["/root": ["root"]]
        if let passwd = try files.readText("/etc/passwd") {
            for record in AccountDatabase(passwd, kind: .passwd).records where record.fields.count > 5 {
                let home = record.fields[5]
                guard home.hasPrefix("/"), PathText.components(home).count >= 1 else { continue }
                byPath[home, default: []].append(record.name)
            }
        }
        if let home = try files.resolve("/home"), try files.lstat(home)?.type == .directory {
            for entry in try files.listEntries(home) where entry.info.type == .directory {
                let path = "/home/" + entry.name
                if byPath[path] == nil { byPath[path] = [entry.name] }
            }
        }
        var result: [Home] = []
        for (path, users) in byPath.sorted(by: { $0.key < $1.key }) {
            guard try files.lstat(path)?.type == .directory else { continue }
            result.append(Home(path: path, users: users))
        }
        return result
    }

    /// Histories, credentials and authorized_keys in one home.
    func namedFiles(in home: Home, _ add: (SecretFinding) -> Void) throws(ImagePrepError) {
        let owner = home.users.joined(separator: "/")
        for name in Self.histories {
            let path = PathText.join(home.path, name)
            guard let info = try files.lstat(path), info.type == .regular, info.size > 0 else { continue }
            add(
                SecretFinding(
                    kind: .history, path: path, detail: "\(owner)'s history, \(info.size) bytes", isDirectory: false,
                    warnOnly: false))
        }
        for name in Self.credentialFolders {
            let path = PathText.join(home.path, name)
            guard try files.lstat(path)?.type == .directory, !(try files.listDirectory(path).isEmpty) else { continue }
            add(
                SecretFinding(
                    kind: .credentials, path: path,
                    detail: "\(owner)'s \(name == ".azure" ? "Azure CLI" : "gcloud") tokens", isDirectory: true,
                    warnOnly: false))
        }
        let checks: [(String, String, (String) -> Bool)] = [
            (".aws/credentials", "AWS access keys", SecretMaterial.hasEntries),
            (".docker/config.json", "Docker registry auths", SecretMaterial.dockerConfigHasCredentials),
            (".kube/config", "Kubernetes cluster credentials", SecretMaterial.hasEntries),
            (".git-credentials", "git credentials", SecretMaterial.hasEntries),
            (".netrc", "a .netrc password", SecretMaterial.netrcHasPassword),
            (".pgpass", "PostgreSQL passwords", SecretMaterial.hasEntries),
            (".my.cnf", "a MySQL password", SecretMaterial.myCnfHasPassword),
        ]
        for (name, what, holds) in checks {
            let path = PathText.join(home.path, name)
            guard try files.lstat(path)?.type == .regular, let text = try files.readText(path, limit: 4 << 20),
                holds(text)
            else { continue }
            add(
                SecretFinding(
                    kind: .credentials, path: path, detail: "\(owner)'s \(what)", isDirectory: false, warnOnly: false))
        }
        for name in [".ssh/authorized_keys", ".ssh/authorized_keys2"] {
            let path = PathText.join(home.path, name)
            guard try files.lstat(path)?.type == .regular, let text = try files.readText(path, limit: 4 << 20) else {
                continue
            }
            let count = SecretMaterial.authorizedKeyCount(text)
            guard count > 0 else { continue }
            let own = provisionedUser.map { home.users.contains($0) } ?? false
            add(
                SecretFinding(
                    kind: .authorizedKeys, path: path,
                    detail: "\(count) key\(count == 1 ? "" : "s") that log in as \(owner)"
                        + (own ? " (the provisioned user: removed with it by --delete-user)" : ""),
                    isDirectory: false, warnOnly: own))
        }
    }
}
