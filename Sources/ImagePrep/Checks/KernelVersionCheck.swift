import GuestConfig

/// One installed kernel, read offline: its release string (`3.10.0-957.21.3.el7.x86_64`) and where it was seen.
public struct InstalledKernel: Sendable, Equatable {
    /// The release as `uname -r` prints it.
    public var release: String
    /// The guest path the release was read from (`/boot/vmlinuz-…` or `/lib/modules/…`).
    public var path: String
    /// The package version when the release alone does not carry the patch level (Debian's
    /// `linux-image-4.9.0-9-amd64` is version `4.9.168-1+deb9u3` in `/var/lib/dpkg/status`).
    public var packageVersion: String?

    /// A kernel of `release`, seen at `path`, with its package version when one is known.
    public init(release: String, path: String, packageVersion: String? = nil) {
        self.release = release
        self.path = path
        self.packageVersion = packageVersion
    }

    /// The kernels in `/boot/vmlinuz-*` and `/lib/modules/*` (one per release), with Debian package versions.
    public static func read(_ files: any GuestFiles) throws(ImagePrepError) -> [InstalledKernel] {
        var kernels: [InstalledKernel] = []
        var seen = Set<String>()
        func add(_ release: String, _ path: String) {
            guard !release.isEmpty, release.first?.isNumber == true, seen.insert(release).inserted else { return }
            kernels.append(InstalledKernel(release: release, path: path))
        }
        if try files.lstat("/boot")?.type == .directory {
            for name in try files.listDirectory("/boot").sorted() where name.hasPrefix("vmlinuz-") {
                add(String(name.dropFirst("vmlinuz-".count)), "/boot/" + name)
            }
        }
        for folder in ["/lib/modules", "/usr/lib/modules"] {
            guard
                try files.resolve(folder).flatMap({ path throws(ImagePrepError) in try files.lstat(path) })?.type
                    == .directory,
                let resolved = try files.resolve(folder)
            else { continue }
            for name in try files.listDirectory(resolved).sorted() { add(name, folder + "/" + name) }
        }
        if let status = try files.readText("/var/lib/dpkg/status", limit: 64 << 20) {
            let versions = DpkgStatus(status).installedVersions(prefix: "linux-image-")
            for index in kernels.indices {
                kernels[index].packageVersion = versions["linux-image-" + kernels[index].release]
            }
        }
        return kernels
    }
}

/// The kernel check for the TCP SACK vulnerabilities (CVE-2019-11477/11478/11479; generalize.md §b.21, the
/// certification FAQ's "SACK vulnerability patch verification").
///
/// The minimum patched kernels per distribution come from these sources (read 2026-12-02):
/// - FAQ: the Marketplace certification FAQ's table, "Troubleshoot virtual machine certification",
///   https://learn.microsoft.com/partner-center/marketplace-offers/azure-vm-certification-faq#sack-vulnerability-patch-verification
///   (RHEL/CentOS 6.10-8.1, Ubuntu's azure kernels and 14.04's 4.4.0-151, SLES 11 SP4-15 SP1, Debian jessie-buster).
/// - USN-4017-1, https://ubuntu.com/security/notices/USN-4017-1 (Ubuntu 16.04-19.04 generic kernels 4.4.0-151,
///   4.15.0-52, 4.18.0-22, 5.0.0-17; it fixed the azure kernels at 4.15.0-1047 and 4.18.0-1020, below the FAQ's
///   1049 and 1023, which this table keeps because certification applies the FAQ). Read through the package list
///   that Nessus plugin 125998 extracted from the notice, not the notice page itself.
/// - RHSA-2019:1488, https://access.redhat.com/errata/RHSA-2019:1488 (RHEL 6 kernel-2.6.32-754.15.3.el6, as the FAQ;
///   read through Nessus plugin 125975's extraction); the other RHEL entries rest on the FAQ alone.
/// - The upstream stable releases 4.4.182, 4.9.182, 4.14.127, 4.19.52 and 5.1.11 (Greg Kroah-Hartman on
///   oss-security, 2019-06-17, quoted in https://github.com/AOSC-Dev/aosc-os-abbs/issues/1878; 5.2 has the fix).
/// Entries no source confirmed (`Minimum/source` `nil`) never fail an image: below them is a warning.
/// The FAQ also lists Oracle Linux UEK and CoreOS kernels; those distributions are not placed here (a warning).
///
/// A kernel is compared with the entry of its own upstream version (and `-azure` flavour); a kernel of a newer
/// upstream version than every entry passes, an older one fails, and one the table cannot place is a warning
/// (never a guessed pass).
public enum KernelVersionCheck {
    /// A minimum patched kernel: upstream `base` (`3.10.0`), and the distribution release numbers
    /// (`957.21.3`) from which on the kernel is patched.
    struct Minimum: Sendable {
        var base: [Int]
        var release: [Int]
        var azureFlavour = false
        var text: String
        /// The distribution version the entry is limited to (`18.04`); `nil`: every version.
        var distributionVersion: String?
        /// The source that lists the entry (`FAQ`, `USN-4017-1`...); `nil`: not confirmed by any source read.
        var source: String?
        init(_ text: String, azure: Bool = false, version: String? = nil, source: String?) {
            self.text = text
            let parsed = KernelRelease(text)
            base = parsed.base
            release = parsed.release
            azureFlavour = azure
            distributionVersion = version
            self.source = source
        }
    }

    /// One distribution's minimums and how to read kernels between its entries.
    struct Table: Sendable {
        var entries: [Minimum]
        /// Whether a release stream above every listed stream of the same base counts as patched (RHEL's minor
        /// releases and Ubuntu's ABI numbers only grow; SUSE's streams are service packs, not ordered by date).
        var laterStreamsPatched = true
        /// Whether `uname -r` drops the last release number the package version has (SUSE: the package
        /// `4.12.14-95.19.1` installs `4.12.14-95.19-default`), so a minimum is compared only as far as the kernel's.
        var releaseDropsRebuild = false
    }

    static let rhel = Table(entries: [
        Minimum("2.6.32-754.15.3", source: "FAQ, RHSA-2019:1488"), Minimum("3.10.0-327.79.2", source: "FAQ"),
        Minimum("3.10.0-514.66.2", source: "FAQ"), Minimum("3.10.0-693.50.3", source: "FAQ"),
        Minimum("3.10.0-862.34.2", source: "FAQ"), Minimum("3.10.0-957.21.3", source: "FAQ"),
        Minimum("3.10.0-1062.1.1", source: "FAQ"), Minimum("4.18.0-80.4.2", source: "FAQ"),
        Minimum("4.18.0-147", source: "FAQ"),
    ])
    static let ubuntu = Table(entries: [
        // 14.04's own 3.13 kernel (USN-4017-2) is in neither source read.
        Minimum("3.13.0-171", source: nil),
        Minimum("4.4.0-151", source: "FAQ, USN-4017-1"), Minimum("4.15.0-52", source: "USN-4017-1"),
        Minimum("4.18.0-22", source: "USN-4017-1"), Minimum("5.0.0-17", source: "USN-4017-1"),
        Minimum("4.15.0-1049", azure: true, source: "FAQ"), Minimum("4.18.0-1023", azure: true, source: "FAQ"),
        Minimum("5.0.0-1025", azure: true, version: "18.04", source: "FAQ"),
        Minimum("5.0.0-1010", azure: true, version: "19.04", source: "FAQ"),
        Minimum("5.3.0-1004", azure: true, source: "FAQ"),
    ])
    static let suse = Table(
        entries: [
            Minimum("3.0.101-108.95.2", source: "FAQ"), Minimum("3.12.74-60.64.115.1", source: "FAQ"),
            Minimum("4.4.121-92.114.1", source: "FAQ"), Minimum("4.4.180-94.97.1", source: "FAQ"),
            // The FAQ prints this one as "4.4180-4.31.1 (kernel-azure)".
            Minimum("4.4.180-4.31.1", azure: true, source: "FAQ"), Minimum("4.12.14-95.19.1", source: "FAQ"),
            Minimum("4.12.14-6.15.2", azure: true, source: "FAQ"),
            Minimum("4.12.14-5.30.1", azure: true, source: "FAQ"),
            // SLES 15 SP1's default kernel: the FAQ lists only kernel-azure for SLES 15.
            Minimum("4.12.14-197.4.1", source: nil),
        ], laterStreamsPatched: false, releaseDropsRebuild: true)
    /// Debian compares the package version (`4.9.168-1+deb9u3`), not the ABI name in the file names.
    static let debian = Table(entries: [
        Minimum("3.16.68-2", source: "FAQ"), Minimum("4.9.168-1+deb9u3", source: "FAQ"),
        Minimum("4.19.37-5", source: "FAQ"),
    ])
    /// Upstream stable releases with the fix (5.2 and later have it).
    static let upstream = ["4.4.182", "4.9.182", "4.14.127", "4.19.52", "5.1.11"].map {
        Minimum($0, source: "upstream stable")
    }

    /// The verdict for the image's kernels: the newest installed kernel decides (it is the default boot entry
    /// on every supported distribution); the evidence names every kernel seen.
    public static func result(kernels: [InstalledKernel], distribution: Distribution) -> CheckResult {
        let requirement = "kernel patched for TCP SACK (CVE-2019-11477/8/9) at the distribution's minimum"
        guard !kernels.isEmpty else {
            return CheckResult(
                "kernel.sack", .warn, requirement, "no kernel found (/boot/vmlinuz-*, /lib/modules/*)", path: "/boot")
        }
        let newest = kernels.max { KernelRelease(comparable($0)).less(than: KernelRelease(comparable($1))) }!
        let (verdict, why) = judge(newest, distribution: distribution)
        let others = kernels.filter { $0 != newest }.map(\.release)
        let evidence =
            "\(newest.release)\(newest.packageVersion.map { " (package \($0))" } ?? ""): \(why)"
            + (others.isEmpty ? "" : "; also installed: \(others.joined(separator: ", "))")
        return CheckResult("kernel.sack", verdict, requirement, evidence, path: newest.path)
    }

    static func comparable(_ kernel: InstalledKernel) -> String { kernel.packageVersion ?? kernel.release }

    /// pass/warn/fail for one kernel, with the reason.
    static func judge(_ kernel: InstalledKernel, distribution: Distribution) -> (CheckResult.Verdict, String) {
        let table: Table
        var release = KernelRelease(kernel.release)
        switch (distribution.family, distribution.id) {
        case (.rhel, _): table = rhel
        case (.suse, _): table = suse
        case (.debian, "ubuntu"):
            let flavour = KernelRelease.flavour(kernel.release)
            guard ["", "generic", "generic-lpae", "lowlatency", "azure"].contains(flavour) else {
                return (
                    .warn,
                    "no minimum listed for the -\(flavour) flavour (the table covers generic, lowlatency and azure)"
                )
            }
            table = ubuntu
        case (.debian, _):
            guard let version = kernel.packageVersion else {
                return (
                    .warn,
                    "the ABI name does not carry the Debian patch level and no linux-image package version was found"
                )
            }
            table = debian
            release = KernelRelease(version)
        default:
            guard !release.base.isEmpty else { return (.warn, "the release cannot be read as a version") }
            return judgeUpstream(release.base)
        }
        guard !release.base.isEmpty else { return (.warn, "the release cannot be read as a version") }
        let azure = kernel.release.hasSuffix("-azure")
        let flavoured = table.entries.contains { $0.azureFlavour }
        let candidates = table.entries.filter {
            ($0.azureFlavour == azure || !flavoured)
                && ($0.distributionVersion == nil || distribution.version == nil
                    || $0.distributionVersion == distribution.version)
        }
        let sameBase = candidates.filter { $0.base == release.base }
        if !sameBase.isEmpty {
            // The entry of the same release stream (first number), else the nearest lower stream.
            let stream = sameBase.filter { $0.release.first == release.release.first }
            let lower = sameBase.filter { ($0.release.first ?? 0) < (release.release.first ?? 0) }
            if let minimum = stream.first {
                return compare(release, with: minimum, in: table)
            }
            if let minimum = lower.max(by: { $0.release.lexicographicallyPrecedes($1.release) }) {
                guard table.laterStreamsPatched else {
                    return (
                        .warn,
                        "no minimum listed for the \(release.base.map(String.init).joined(separator: "."))-\(release.release.first ?? 0) stream"
                    )
                }
                return compare(release, with: minimum, in: table)
            }
            let minimum = sameBase.min { $0.release.lexicographicallyPrecedes($1.release) }!
            return below(minimum)
        }
        let bases = candidates.map(\.base)
        if let highest = bases.max(by: { $0.lexicographicallyPrecedes($1) }),
            highest.lexicographicallyPrecedes(release.base)
        {
            return (.pass, "newer than every listed minimum (the fix is upstream)")
        }
        if let lowest = candidates.min(by: { $0.base.lexicographicallyPrecedes($1.base) }),
            release.base.lexicographicallyPrecedes(lowest.base)
        {
            return below(lowest, "older than the oldest patched kernel")
        }
        return (.warn, "no minimum listed for kernel \(release.base.map(String.init).joined(separator: "."))")
    }

    /// The kernel's release numbers against one minimum of its base.
    static func compare(
        _ release: KernelRelease, with minimum: Minimum, in table: Table
    ) -> (CheckResult.Verdict, String) {
        var required = minimum.release
        if table.releaseDropsRebuild && release.release.count < required.count {
            required = Array(required.prefix(release.release.count))
        }
        guard !release.release.lexicographicallyPrecedes(required) else { return below(minimum) }
        return minimum.source == nil
            ? (.pass, "at or above \(minimum.text), an entry no published source confirmed")
            : (.pass, "at or above the minimum \(minimum.text) (\(minimum.source!))")
    }

    /// Below a minimum: a failure when a source lists it, a warning otherwise.
    static func below(_ minimum: Minimum, _ phrase: String = "below the minimum") -> (CheckResult.Verdict, String) {
        guard let source = minimum.source else {
            return (
                .warn,
                "\(phrase) \(minimum.text), an entry no published source confirmed: check the distribution's notice"
            )
        }
        return (.fail, "\(phrase) \(minimum.text) (\(source))")
    }
}

extension KernelVersionCheck {
    /// An upstream kernel against the stable release of its series that carries the fix.
    static func judgeUpstream(_ base: [Int]) -> (CheckResult.Verdict, String) {
        let series = Array(base.prefix(2))
        if !series.lexicographicallyPrecedes([5, 2]) { return (.pass, "upstream 5.2 or later carries the fix") }
        if let minimum = upstream.first(where: { Array($0.base.prefix(2)) == series }) {
            return base.lexicographicallyPrecedes(minimum.base)
                ? (.fail, "below the patched stable release \(minimum.text)")
                : (.pass, "at or above the patched stable release \(minimum.text)")
        }
        if series.lexicographicallyPrecedes([4, 4]) {
            return (.fail, "older than every patched stable series (4.4.182 is the oldest)")
        }
        return (.warn, "series \(series.map(String.init).joined(separator: ".")) has no patched stable release listed")
    }
}

/// A kernel release or package version split for comparison: the upstream `base` (`[3, 10, 0]`) and the
/// distribution's release numbers up to the first token with a letter (`957.21.3.el7.x86_64` → `[957, 21, 3]`;
/// for Debian package versions such as `1+deb9u3`, every number: `[1, 9, 3]`).
struct KernelRelease: Equatable {
    var base: [Int]
    var release: [Int]

    init(_ text: String) {
        let dash = text.firstIndex(of: "-") ?? text.endIndex
        base = text[..<dash].split(separator: ".").map { Int($0.prefix(while: \.isNumber)) ?? 0 }
        let rest = dash < text.endIndex ? text[text.index(after: dash)...] : ""
        var numbers: [Int] = []
        if rest.contains("+deb") || rest.contains("~deb") {
            var current = ""
            for character in rest {
                if character.isNumber {
                    current.append(character)
                } else if !current.isEmpty {
                    numbers.append(Int(current) ?? 0); current = ""
                }
            }
            if !current.isEmpty { numbers.append(Int(current) ?? 0) }
        } else {
            for token in rest.split(whereSeparator: { $0 == "." || $0 == "-" || $0 == "_" }) {
                guard let number = Int(token) else { break }
                numbers.append(number)
            }
        }
        release = numbers
    }

    /// The flavour after the ABI number of an Ubuntu-style release (`4.15.0-52-generic-lpae` → `generic-lpae`,
    /// `5.4.0-1023-azure` → `azure`, `4.15.0-52` → "").
    static func flavour(_ text: String) -> String {
        guard let dash = text.firstIndex(of: "-") else { return "" }
        let rest = text[text.index(after: dash)...].drop { $0.isNumber || $0 == "." }
        return String(rest.hasPrefix("-") ? rest.dropFirst() : rest)
    }

    func less(than other: KernelRelease) -> Bool {
        base == other.base
            ? release.lexicographicallyPrecedes(other.release) : base.lexicographicallyPrecedes(other.base)
    }
}
