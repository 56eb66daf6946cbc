import ImagePrep
import Testing

/// §b.21 (SACK-patched kernel) and the NetworkManager part of §b.31 (MAC-bound keyfiles), over in-memory trees.
@Suite struct KernelAndProfileCheckTests {
    static func result(_ id: String, _ files: MemoryGuestFiles) throws -> [CheckResult] {
        try CheckerUnitTests.results(files).filter { $0.id == id }
    }

    static func kernel(_ release: String, release os: [String: String], extra: [String: String] = [:]) throws -> CheckResult {
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
        let files = MemoryGuestFiles(Self.centos7.merging([
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

    @Test func debianComparesThePackageVersionFromTheDpkgStatus() throws {
        func status(_ version: String) -> [String: String] {
            ["/var/lib/dpkg/status": """
                Package: bash
                Status: install ok installed
                Version: 4.4-5

                Package: linux-image-4.9.0-9-amd64
                Status: install ok installed
                Version: \(version)

                """]
        }
        #expect(try Self.kernel("4.9.0-9-amd64", release: Self.debian, extra: status("4.9.168-1+deb9u2")).verdict == .fail)
        let patched = try Self.kernel("4.9.0-9-amd64", release: Self.debian, extra: status("4.9.168-1+deb9u3"))
        #expect(patched.verdict == .pass)
        #expect(patched.evidence.contains("package 4.9.168-1+deb9u3"))
        #expect(try Self.kernel("4.9.0-9-amd64", release: Self.debian).verdict == .warn)
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
