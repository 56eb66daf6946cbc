import ImagePrep
import Testing

/// §b.21 (SACK-patched kernel) and the NetworkManager part of §b.31 (MAC-bound keyfiles), over in-memory trees.
@Suite struct KernelAndProfileCheckTests {
    static func result(_ id: String, _ files: MemoryGuestFiles) throws -> [CheckResult] {
        try CheckerUnitTests.results(files).filter { $0.id == id }
    }

    static func kernel(
        _ release: String, release os: [String: String], extra: [String: String] = [:]
    ) throws -> CheckResult {
        var tree = os
        tree["/boot/vmlinuz-\(release)"] = "kernel"
        for (path, text) in extra { tree[path] = text }
        return try #require(try result("kernel.sack", MemoryGuestFiles(tree)).first)
    }

    static let centos6 = ["/etc/redhat-release": "CentOS release 6.10 (Final)\n"]
    static let centos7 = ["/etc/os-release": "ID=\"centos\"\nVERSION_ID=\"7\"\nID_LIKE=\"rhel fedora\"\n"]
    static let ubuntu = ["/etc/os-release": "ID=ubuntu\nVERSION_ID=\"18.04\"\nID_LIKE=debian\n"]
    static let debian = ["/etc/os-release": "ID=debian\nVERSION_ID=\"9\"\n"]
    static let sles = ["/etc/os-release": "ID=\"sles\"\nVERSION_ID=\"12.4\"\nID_LIKE=\"suse\"\n"]
    static let arch = ["/etc/os-release": "ID=arch\n"]
    static func os(_ id: String, _ version: String, like: String = "debian") -> [String: String] {
        ["/etc/os-release": "ID=\(id)\nVERSION_ID=\"\(version)\"\nID_LIKE=\(like)\n"]
    }

    @Test func rhelKernelsAgainstTheirStream() throws {
        #expect(try Self.kernel("2.6.32-754.el6.x86_64", release: Self.centos6).verdict == .fail)
        #expect(try Self.kernel("2.6.32-754.15.3.el6.x86_64", release: Self.centos6).verdict == .pass)
        #expect(try Self.kernel("2.6.32-754.35.1.el6.x86_64", release: Self.centos6).verdict == .pass)
        #expect(try Self.kernel("3.10.0-957.5.1.el7.x86_64", release: Self.centos7).verdict == .fail)
        #expect(try Self.kernel("3.10.0-957.21.3.el7.x86_64", release: Self.centos7).verdict == .pass)
        #expect(try Self.kernel("3.10.0-1160.el7.x86_64", release: Self.centos7).verdict == .pass)
        #expect(try Self.kernel("3.10.0-123.el7.x86_64", release: Self.centos7).verdict == .fail)
        let failed = try Self.kernel("3.10.0-862.el7.x86_64", release: Self.centos7)
        #expect(failed.path == "/boot/vmlinuz-3.10.0-862.el7.x86_64")
        #expect(failed.evidence.contains("3.10.0-862.34.2"))
    }

    @Test func theNewestKernelDecidesAndOthersAreNamed() throws {
        let files = MemoryGuestFiles(
            Self.centos7.merging([
                "/boot/vmlinuz-3.10.0-862.el7.x86_64": "k", "/boot/vmlinuz-3.10.0-1062.4.1.el7.x86_64": "k",
            ]) { a, _ in a })
        let result = try #require(try Self.result("kernel.sack", files).first)
        #expect(result.verdict == .pass)
        #expect(result.path == "/boot/vmlinuz-3.10.0-1062.4.1.el7.x86_64")
        #expect(result.evidence.contains("also installed: 3.10.0-862.el7.x86_64"))
    }

    @Test func ubuntuFlavoursSuseAndUpstream() throws {
        #expect(try Self.kernel("4.15.0-1049-azure", release: Self.ubuntu).verdict == .pass)
        #expect(try Self.kernel("4.15.0-1040-azure", release: Self.ubuntu).verdict == .fail)
        #expect(try Self.kernel("4.15.0-51-generic", release: Self.ubuntu).verdict == .fail)
        #expect(try Self.kernel("4.15.0-213-generic", release: Self.ubuntu).verdict == .pass)
        #expect(try Self.kernel("5.15.0-1057-azure", release: Self.ubuntu).verdict == .pass)
        #expect(try Self.kernel("4.12.14-95.19.1-default", release: Self.sles).verdict == .pass)
        #expect(try Self.kernel("4.12.14-95.3-default", release: Self.sles).verdict == .fail)
        #expect(try Self.kernel("4.19.51-1-lts", release: Self.arch).verdict == .fail)
        #expect(try Self.kernel("4.19.52-1-lts", release: Self.arch).verdict == .pass)
        #expect(try Self.kernel("6.6.7-arch1-1", release: Self.arch).verdict == .pass)
        #expect(try Self.kernel("3.10.105", release: Self.arch).verdict == .fail)
    }

    /// The entries checked against the certification FAQ's table and USN-4017-1 (see KernelVersionCheck's sources).
    @Test func certificationTableEntries() throws {
        let rhel8 = Self.os("rhel", "8.1", like: "fedora")
        #expect(try Self.kernel("4.18.0-80.el8.x86_64", release: rhel8).verdict == .fail)
        #expect(try Self.kernel("4.18.0-80.4.2.el8_0.x86_64", release: rhel8).verdict == .pass)
        #expect(try Self.kernel("4.18.0-147.el8.x86_64", release: rhel8).verdict == .pass)
        let rhelFailure = try Self.kernel("3.10.0-693.21.1.el7.x86_64", release: Self.centos7)
        #expect(
            rhelFailure.verdict == .fail && rhelFailure.evidence.contains("below the minimum 3.10.0-693.50.3 (FAQ)"))
        // Ubuntu's 5.0 azure kernel: the FAQ's minimum is 1025 on 18.04 but 1010 on 19.04.
        #expect(try Self.kernel("5.0.0-1020-azure", release: Self.os("ubuntu", "18.04")).verdict == .fail)
        #expect(try Self.kernel("5.0.0-1025-azure", release: Self.os("ubuntu", "18.04")).verdict == .pass)
        #expect(try Self.kernel("5.0.0-1020-azure", release: Self.os("ubuntu", "19.04")).verdict == .pass)
        #expect(try Self.kernel("5.0.0-1009-azure", release: Self.os("ubuntu", "19.04")).verdict == .fail)
        #expect(try Self.kernel("5.3.0-1003-azure", release: Self.ubuntu).verdict == .fail)
        #expect(try Self.kernel("4.18.0-1020-azure", release: Self.ubuntu).verdict == .fail)
        let generic = try Self.kernel("4.4.0-150-generic", release: Self.os("ubuntu", "16.04"))
        #expect(generic.verdict == .fail && generic.evidence.contains("4.4.0-151 (FAQ, USN-4017-1)"))
        #expect(try Self.kernel("5.0.0-17-lowlatency", release: Self.os("ubuntu", "19.04")).verdict == .pass)
        #expect(try Self.kernel("4.18.0-21-generic-lpae", release: Self.os("ubuntu", "18.10")).verdict == .fail)
        // Flavours the table does not cover are not guessed from the generic minimum.
        let aws = try Self.kernel("4.15.0-1030-aws", release: Self.ubuntu)
        #expect(aws.verdict == .warn && aws.evidence.contains("-aws flavour"))
    }

    @Test func unconfirmedEntriesWarnInsteadOfFailing() throws {
        let trusty = Self.os("ubuntu", "14.04")
        let below = try Self.kernel("3.13.0-170-generic", release: trusty)
        #expect(below.verdict == .warn)
        #expect(below.evidence.contains("3.13.0-171, an entry no published source confirmed"))
        let above = try Self.kernel("3.13.0-171-generic", release: trusty)
        #expect(above.verdict == .pass && above.evidence.contains("no published source confirmed"))
        let sles15sp1 = Self.os("sles", "15.1", like: "suse")
        #expect(try Self.kernel("4.12.14-197.3-default", release: sles15sp1).verdict == .warn)
        #expect(try Self.kernel("4.12.14-197.4-default", release: sles15sp1).verdict == .pass)
    }

    @Test func suseReleasesWithoutTheRebuildNumberAndAzureKernels() throws {
        // `uname -r` of kernel-default-4.12.14-95.19.1 is 4.12.14-95.19-default.
        #expect(try Self.kernel("4.12.14-95.19-default", release: Self.sles).verdict == .pass)
        #expect(try Self.kernel("4.12.14-95.16-default", release: Self.sles).verdict == .fail)
        #expect(try Self.kernel("4.12.14-6.15-azure", release: Self.sles).verdict == .pass)
        #expect(try Self.kernel("4.12.14-6.12-azure", release: Self.sles).verdict == .fail)
        #expect(try Self.kernel("4.4.180-4.31-azure", release: Self.os("sles", "12.3", like: "suse")).verdict == .pass)
        #expect(
            try Self.kernel("3.12.74-60.64.110-default", release: Self.os("sles_sap", "12.1", like: "suse")).verdict
                == .fail)
        #expect(
            try Self.kernel("3.0.101-108.95-default", release: Self.os("sles", "11.4", like: "suse")).verdict == .pass)
        // A SUSE stream the table does not list is not inferred from another service pack's entry.
        let unlisted = try Self.kernel("4.12.14-150.22-default", release: Self.os("sles", "15", like: "suse"))
        #expect(unlisted.verdict == .warn && unlisted.evidence.contains("4.12.14-150 stream"))
    }

    @Test func debianComparesThePackageVersionFromTheDpkgStatus() throws {
        func status(_ version: String) -> [String: String] {
            [
                "/var/lib/dpkg/status": """
                Package: bash
                Status: install ok installed
                Version: 4.4-5

                Package: linux-image-4.9.0-9-amd64
                Status: install ok installed
                Version: \(version)

                """
            ]
        }
        #expect(
            try Self.kernel("4.9.0-9-amd64", release: Self.debian, extra: status("4.9.168-1+deb9u2")).verdict == .fail)
        let patched = try Self.kernel("4.9.0-9-amd64", release: Self.debian, extra: status("4.9.168-1+deb9u3"))
        #expect(patched.verdict == .pass)
        #expect(patched.evidence.contains("package 4.9.168-1+deb9u3"))
        #expect(try Self.kernel("4.9.0-9-amd64", release: Self.debian).verdict == .warn)
        func buster(_ version: String) -> [String: String] {
            [
                "/var/lib/dpkg/status":
                    "Package: linux-image-4.19.0-5-amd64\nStatus: install ok installed\nVersion: \(version)\n\n"
            ]
        }
        let debian10 = Self.os("debian", "10")
        #expect(
            try Self.kernel("4.19.0-5-amd64", release: debian10, extra: buster("4.19.37-5+deb10u1")).verdict == .pass)
        #expect(try Self.kernel("4.19.0-5-amd64", release: debian10, extra: buster("4.19.37-4")).verdict == .fail)
    }

    @Test func modulesDirectoriesCountAndNoKernelWarns() throws {
        let files = MemoryGuestFiles(Self.ubuntu)
        #expect(try Self.result("kernel.sack", files).first?.verdict == .warn)
        files.addFile("/lib/modules/4.18.0-1023-azure/modules.dep", "")
        let result = try #require(try Self.result("kernel.sack", files).first)
        #expect(result.verdict == .pass && result.path == "/lib/modules/4.18.0-1023-azure")
    }

    @Test func macBoundNetworkManagerProfilesFail() throws {
        let files = MemoryGuestFiles([
            "/etc/NetworkManager/system-connections/Wired.nmconnection":
                "[connection]\nid=Wired\ntype=ethernet\n\n[ethernet]\nmac-address=52:54:00:12:34:56\n\n[ipv4]\nmethod=auto\n",
            "/etc/NetworkManager/system-connections/cloned.nmconnection":
                "[connection]\nid=c\n[ethernet]\ncloned-mac-address=random\n",
        ])
        let results = try Self.result("net.nm-mac", files)
        #expect(results.count == 1)
        #expect(results.first?.verdict == .fail)
        #expect(results.first?.path == "/etc/NetworkManager/system-connections/Wired.nmconnection")
        #expect(results.first?.line == 6)
        #expect(try Self.result("net.nm-mac", MemoryGuestFiles()).map(\.verdict) == [.pass])
    }
}
