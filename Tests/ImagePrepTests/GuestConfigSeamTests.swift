import GuestConfig
import ImagePrep
import Testing

/// What the product does follows GuestConfig's readers: modprobe.d, resolv.conf, the dpkg status file and the
/// boot-loader catalogue are parsed there only, so the checks, the kernel list and the inspection report
/// exactly what those readers read (a change to a reader changes the product's answer).
@Suite struct GuestConfigSeamTests {
    @Test func modprobeVerdictsAreTheReadersCommands() throws {
        // CRLF lines, a tab between words, a comment, an install that really loads the module.
        let text =
            "blacklist\tudf\r\n# blacklist vfat\r\ninstall vfat /bin/false\r\n"
            + "install udf /sbin/modprobe --ignore-install udf\r\noptions vfat x=1\r\n"
        let files = MemoryGuestFiles(["/etc/modprobe.d/cis.conf": text])
        let found = try CheckerUnitTests.results(files).filter { $0.id.hasPrefix("modules.") }
        let read = ModprobeConfig(text).disabling(["udf", "vfat"])
        #expect(found.map(\.id) == read.map { "modules.\($0.module)" })
        #expect(found.map(\.line) == read.map(\.line))
        #expect(found.map(\.evidence) == read.map(\.text))
        // The reader's answer itself, so that the equalities above cannot hold vacuously.
        #expect(read.map(\.line) == [1, 3])
        #expect(found.map(\.evidence) == ["blacklist\tudf", "install vfat /bin/false"])
    }

    @Test func resolvConfEvidenceIsTheReadersNameserverLines() throws {
        let text = "search example.com\r\nnameserver 10.0.0.2\r\n#nameserver 10.0.0.9\nnameserver\t10.0.0.3\n"
        let files = MemoryGuestFiles(["/etc/resolv.conf": text])
        let result = try #require(try CheckerUnitTests.results(files).first { $0.id == "resolv.conf" })
        #expect(ResolvConf(text).nameserverLines == ["nameserver 10.0.0.2", "nameserver\t10.0.0.3"])
        #expect(result.evidence == ResolvConf(text).nameserverLines.joined(separator: "; "))
        #expect(result.verdict == .warn)
    }

    @Test func kernelPackageVersionsComeFromTheDpkgReader() throws {
        let status = """
            Package: linux-image-4.9.0-9-amd64
            Status: install ok installed
            Version: 4.9.168-1+deb9u3

            Package: linux-image-4.9.0-8-amd64
            Status: deinstall ok config-files
            Version: 4.9.144-3.1

            Package: bash
            Status: install ok installed
            Version: 5.2.15-2

            """
        let files = MemoryGuestFiles([
            "/boot/vmlinuz-4.9.0-9-amd64": "", "/boot/vmlinuz-4.9.0-8-amd64": "", "/var/lib/dpkg/status": status,
        ])
        let kernels = try InstalledKernel.read(files)
        let versions = DpkgStatus(status).installedVersions(prefix: "linux-image-")
        #expect(versions == ["linux-image-4.9.0-9-amd64": "4.9.168-1+deb9u3"])
        #expect(kernels.map(\.release) == ["4.9.0-8-amd64", "4.9.0-9-amd64"])
        #expect(kernels.map(\.packageVersion) == kernels.map { versions["linux-image-" + $0.release] })
        #expect(kernels.map(\.packageVersion) == [nil, "4.9.168-1+deb9u3"])
    }

    @Test func inspectionWalksGuestConfigsBootloaderCatalogue() throws {
        let files = MemoryGuestFiles(
            [
                "/boot/efi/EFI/redhat/grub.cfg": "linuxefi /vmlinuz root=/dev/sda2\n",
                "/etc/default/grub": "GRUB_CMDLINE_LINUX=\"quiet\"\n",
                "/boot/grub2/grubenv": "# GRUB Environment Block\nsaved_entry=x\n",
                "/boot/grub/grubenv": "# GRUB Environment Block\nkernelopts=root=/dev/sda2\n",
                "/boot/loader/entries/a.conf": "title A\noptions $kernelopts\n",
            ], links: ["/etc/grub2-efi.cfg": "/boot/efi/EFI/redhat/grub.cfg"])
        let found = try OSInspector(files: files).bootloaderFiles()
        #expect(
            found.map(\.path) == [
                "/etc/default/grub", "/boot/efi/EFI/redhat/grub.cfg", "/boot/grub/grubenv",
                "/boot/loader/entries/a.conf",
            ])
        // One set of names: the kind the inspection reports is the kind the editors detect for the path.
        #expect(found.map(\.kind) == found.map { BootloaderFileKind.detect(path: $0.path) })
        #expect(found.map(\.kind.rawValue) == ["grub2-defaults", "grub2-config", "grubenv", "bls"])
    }

    /// The readiness checks read kernel command lines through `BootloaderFileKind.commandLines(of:path:)`:
    /// `/etc/default/grub` is one line of both variables (rootdelay only in GRUB_CMDLINE_LINUX_DEFAULT still
    /// passes), a BLS entry without `options` is a line 0 without arguments (it fails), and every result sits
    /// on the line the reader gives.
    @Test func kernelArgumentVerdictsAreTheReadersCommandLines() throws {
        let grub =
            "GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet rootdelay=300\"\nGRUB_CMDLINE_LINUX=\"console=ttyS0 earlyprintk=ttyS0\"\n"
        let bls = "title RHEL\nlinux /vmlinuz\n"
        let files = MemoryGuestFiles(["/etc/default/grub": grub, "/boot/loader/entries/a.conf": bls])
        let found = try CheckerUnitTests.results(files).filter { $0.id == "boot.kernel-args" }
        let read =
            BootloaderFileKind.grub2Defaults.commandLines(of: grub, path: "/etc/default/grub")
            + BootloaderFileKind.bls.commandLines(of: bls, path: "/boot/loader/entries/a.conf")
        #expect(found.map(\.path) == read.map(\.path))
        #expect(found.map(\.line) == read.map(\.line))
        // The reader's answer itself, so that the equalities above cannot hold vacuously.
        #expect(read.map(\.line) == [3, 0])
        #expect(read[0].words == ["console=ttyS0", "earlyprintk=ttyS0", "quiet", "rootdelay=300"])
        #expect(found.map(\.verdict) == [.pass, .fail])
        let flagged = try CheckerUnitTests.results(files).filter { $0.id == "boot.flags" }
        #expect(flagged.map(\.line) == [3] && flagged.map(\.evidence) == ["has quiet"])
    }
}
