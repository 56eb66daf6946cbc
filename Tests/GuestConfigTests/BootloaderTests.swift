import Testing

@testable import GuestConfig

@Suite("GRUB legacy, GRUB 2, BLS and grubenv")
struct BootloaderTests {
    let azure = KernelArgumentEdit.azureGeneric

    // MARK: GRUB legacy

    @Test func centos6GrubConfGolden() {
        var menu = GrubLegacyMenu(BootCorpus.centos6GrubConf, path: "/boot/grub/grub.conf")
        #expect(menu.defaultEntry == "0")
        #expect(menu.timeout == 5)
        #expect(menu.isMenuHidden)
        #expect(menu.entries.count == 2)
        #expect(menu.entries[0].root == "(hd0,0)")
        #expect(menu.entries[0].kernel == "/vmlinuz-2.6.32-431.el6.x86_64")
        #expect(menu.entries[0].initrd == "/initramfs-2.6.32-431.el6.x86_64.img")
        let outcomes = menu.editKernelArguments(azure)
        #expect(outcomes.count == 2)
        #expect(menu.text == BootCorpus.centos6GrubConfAzure)
        var again = GrubLegacyMenu(menu.text)
        again.editKernelArguments(azure)
        #expect(!again.result.changed)
    }

    @Test func sles11MenuLstChosenEntryGolden() throws {
        var menu = GrubLegacyMenu(BootCorpus.sles11MenuLst, path: "/boot/grub/menu.lst")
        #expect(menu.entries.map(\.title).first == "SUSE Linux Enterprise Server 11 SP3 - 3.0.76-0.11")
        let edit = try KernelArgumentEdit(
            add: ["console=ttyS0", "earlyprintk=ttyS0", "rootdelay=300"],
            remove: ["libata.atapi_enabled=0", "reserve=0x1f0,0x8"])
        let outcomes = menu.editKernelArguments(edit, entries: .indices([0]))
        #expect(outcomes.map(\.entry) == [0])
        #expect(menu.text == BootCorpus.sles11MenuLstEdited)
        // Selecting by title picks the failsafe entry only.
        var byTitle = GrubLegacyMenu(BootCorpus.sles11MenuLst)
        byTitle.editKernelArguments(edit, entries: .titleContaining("Failsafe"))
        let diff = byTitle.result.unifiedDiff()
        #expect(
            diff.contains(
                "+    kernel /boot/vmlinuz-3.0.76-0.11-default root=/dev/disk/by-id/scsi-14d53465420202020-part2 showopts"
            ))
        #expect(diff.split(separator: "\n").filter { $0.hasPrefix("+") && !$0.hasPrefix("+++") }.count == 1)
    }

    @Test func globalCommandsKeepTheFileStyle() throws {
        var centos = GrubLegacyMenu(BootCorpus.centos6GrubConf)
        try centos.setTimeout(1)
        centos.setMenuHidden(false)
        try centos.setDefaultEntry(1)
        #expect(centos.text.contains("\ndefault=1\ntimeout=1\nsplashimage="))
        #expect(!centos.text.contains("hiddenmenu"))
        #expect(throws: GuestConfigError.self) { try centos.setDefaultEntry(5) }

        var sles = GrubLegacyMenu(BootCorpus.sles11MenuLst)
        sles.setMenuHidden(true)
        try sles.setTimeout(8)
        #expect(
            sles.text.hasPrefix(
                "# Modified by YaST2. Last modification on Mon Mar  3 10:10:10 UTC 2014\ndefault 0\ntimeout 8\n##YaST - generic_mbr\ngfxmenu (hd0,1)/boot/message\nhiddenmenu\n"
            ))
        // A menu without globals gets the command before the first title, with a space.
        var bare = GrubLegacyMenu("title x\n\tkernel /vmlinuz ro\n")
        try bare.setTimeout(3)
        #expect(bare.text == "timeout 3\ntitle x\n\tkernel /vmlinuz ro\n")
    }

    @Test func crlfAndMissingFinalNewlineAreKept() {
        let text = "default=0\r\ntitle A\r\n\tkernel /vmlinuz ro quiet\r\n\tinitrd /initrd.img"
        var menu = GrubLegacyMenu(text)
        menu.editKernelArguments(azure)
        #expect(
            menu.text
                == "default=0\r\ntitle A\r\n\tkernel /vmlinuz ro rootdelay=300 console=ttyS0 earlyprintk=ttyS0 net.ifnames=0\r\n\tinitrd /initrd.img"
        )
    }

    @Test func kernelCommandWrittenWithEquals() {
        var menu = GrubLegacyMenu("title A\nkernel=/vmlinuz ro quiet\n")
        #expect(menu.entries.first?.kernel == "/vmlinuz")
        menu.editKernelArguments(try! KernelArgumentEdit(remove: ["quiet"]))
        #expect(menu.text == "title A\nkernel=/vmlinuz ro\n")
    }

    @Test func xenEntriesAreReportedNotEdited() {
        let text = "title Xen\n\tkernel /xen.gz dom0_mem=1024M\n\tmodule /vmlinuz-xen ro quiet\n"
        var menu = GrubLegacyMenu(text)
        menu.editKernelArguments(azure)
        #expect(!menu.result.changed)
        #expect(menu.result.findings.contains { $0.kind == .skipped && $0.line == 2 })
    }

    // MARK: /etc/default/grub

    @Test func ubuntuDefaultGrubGolden() throws {
        var defaults = Grub2Defaults(BootCorpus.ubuntu2204DefaultGrub, path: "/etc/default/grub")
        #expect(defaults.defaultCommandLine.map(\.text) == ["quiet", "splash"])
        #expect(defaults.timeout == 0)
        try defaults.setTimeout(1)
        defaults.editKernelArguments(
            try KernelArgumentEdit(add: [
                "console=tty1", "console=ttyS0,115200n8", "earlyprintk=ttyS0,115200", "rootdelay=300",
            ]))
        #expect(defaults.text == BootCorpus.ubuntu2204DefaultGrubAzure)
        // The backquoted GRUB_DISTRIBUTOR is understood, not reported as malformed.
        #expect(!defaults.result.findings.contains { $0.kind == .malformedLine })
        // The shell reads the result as intended.
        let values = try Oracle.shellValues(
            defaults.text, keys: ["GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT", "GRUB_TIMEOUT"])
        #expect(
            values["GRUB_CMDLINE_LINUX"] == "console=tty1 console=ttyS0,115200n8 earlyprintk=ttyS0,115200 rootdelay=300"
        )
        #expect(values["GRUB_CMDLINE_LINUX_DEFAULT"] == "quiet splash")
        #expect(values["GRUB_TIMEOUT"] == "1")
    }

    @Test func centos7DefaultGrubGolden() throws {
        var defaults = Grub2Defaults(BootCorpus.centos7DefaultGrub)
        defaults.editKernelArguments(azure)
        #expect(defaults.text == BootCorpus.centos7DefaultGrubAzure)
        var again = Grub2Defaults(defaults.text)
        again.editKernelArguments(azure)
        #expect(!again.result.changed)
    }

    @Test func replacementHappensWhereTheArgumentIs() throws {
        let text = "GRUB_CMDLINE_LINUX_DEFAULT='quiet rootdelay=10'\nGRUB_CMDLINE_LINUX=ro\n"
        var defaults = Grub2Defaults(text)
        defaults.editKernelArguments(
            try KernelArgumentEdit(add: ["rootdelay=300", "console=ttyS0"], remove: ["quiet"]))
        #expect(
            defaults.text == "GRUB_CMDLINE_LINUX_DEFAULT='rootdelay=300'\nGRUB_CMDLINE_LINUX=\"ro console=ttyS0\"\n")
        let values = try Oracle.shellValues(defaults.text, keys: ["GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT"])
        #expect(values == ["GRUB_CMDLINE_LINUX": "ro console=ttyS0", "GRUB_CMDLINE_LINUX_DEFAULT": "rootdelay=300"])
        // Missing GRUB_CMDLINE_LINUX is created.
        var empty = Grub2Defaults("GRUB_TIMEOUT=5\n")
        empty.editKernelArguments(try KernelArgumentEdit(add: ["rootdelay=300"]))
        #expect(empty.text == "GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX=rootdelay=300\n")
        #expect(
            try Oracle.shellValues(empty.text, keys: ["GRUB_CMDLINE_LINUX"])["GRUB_CMDLINE_LINUX"] == "rootdelay=300")
    }

    // MARK: grub.cfg

    @Test func centos7GrubCfgGolden() {
        var config = Grub2Config(BootCorpus.centos7GrubCfg)
        #expect(config.kernelLines.map(\.command) == ["linux16"])
        #expect(config.kernelLines.first?.menuEntry == "CentOS Linux (3.10.0-1160.el7.x86_64) 7 (Core)")
        config.editKernelArguments(azure)
        #expect(config.text == BootCorpus.centos7GrubCfgAzure)
    }

    @Test func ubuntuGrubCfgKeepsTabsPathAndVariables() throws {
        var config = Grub2Config(BootCorpus.ubuntu2204GrubCfg)
        config.editKernelArguments(try KernelArgumentEdit(add: ["console=ttyS0"], remove: ["quiet", "splash"]))
        let expected = BootCorpus.ubuntu2204GrubCfg
            .replacingAll("ro  quiet splash $vt_handoff", with: "ro $vt_handoff console=ttyS0")
            .replacingAll("nomodeset dis_ucode_ldr\n", with: "nomodeset dis_ucode_ldr console=ttyS0\n")
        #expect(config.text == expected)
        #expect(config.result.findings.contains { $0.kind == .variableReference && $0.message.contains("$vt_handoff") })
    }

    @Test func linuxefiLinesAreEdited() {
        var config = Grub2Config("  linuxefi /vmlinuz-4.18 root=UUID=1 ro rhgb quiet\n  initrdefi /initramfs.img\n")
        config.editKernelArguments(azure)
        #expect(
            config.text
                == "  linuxefi /vmlinuz-4.18 root=UUID=1 ro rootdelay=300 console=ttyS0 earlyprintk=ttyS0 net.ifnames=0\n  initrdefi /initramfs.img\n"
        )
        // A kernel line without arguments gets a separating space.
        var bare = Grub2Config("linux /vmlinuz\n")
        bare.editKernelArguments(try! KernelArgumentEdit(add: ["ro"]))
        #expect(bare.text == "linux /vmlinuz ro\n")
    }

    // MARK: BLS and grubenv

    @Test func rhel8BLSReferencesKerneloptsAndGrubenvIsPatched() throws {
        var entry = BootLoaderSpecEntry(BootCorpus.rhel8BLSEntry)
        #expect(entry.referencesKernelopts)
        entry.editKernelArguments(azure, variablePolicy: .skipAdditions)
        #expect(!entry.result.changed)
        #expect(entry.result.findings.contains { $0.kind == .variableReference && $0.message.contains("$kernelopts") })

        let original = BootCorpus.grubenv(BootCorpus.rhel8GrubenvBody)
        var block = try GrubEnvironmentBlock(original)
        try block.editKernelArguments(azure)
        let expected = BootCorpus.grubenv(
            BootCorpus.rhel8GrubenvBody.replacingAll(
                "ro crashkernel=auto resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap rhgb quiet \n",
                with:
                    "ro resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap rootdelay=300 console=ttyS0 earlyprintk=ttyS0 net.ifnames=0 \n"
            ))
        #expect(block.text == expected)
        #expect(block.text.utf8.count == 1024)
        #expect(block.value(of: "saved_entry") == "3f1c7b0c2a6d4b2e9f8a7c6b5d4e3f2a-4.18.0-513.5.1.el8_9.x86_64")
    }

    @Test func rhel9BLSLiteralOptions() {
        var entry = BootLoaderSpecEntry(BootCorpus.rhel9BLSEntry)
        entry.editKernelArguments(azure)
        #expect(
            entry.value(of: "options")
                == "root=/dev/mapper/rhel-root ro crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap rootdelay=300 console=ttyS0 earlyprintk=ttyS0 net.ifnames=0"
        )
        #expect(entry.value(of: "linux") == "/vmlinuz-5.14.0-362.8.1.el9_3.x86_64")
        let diff = entry.result.unifiedDiff()
        #expect(diff.split(separator: "\n").filter { $0.hasPrefix("-") || $0.hasPrefix("+") }.count == 4)
    }

    @Test func grubenvRefusesToOverflowAndRejectsGarbage() throws {
        var block = try GrubEnvironmentBlock(BootCorpus.grubenv(BootCorpus.rhel8GrubenvBody))
        let long = String(repeating: "x", count: 900)
        #expect(throws: GuestConfigError.self) { try block.set("kernelopts", to: long) }
        #expect(block.text == BootCorpus.grubenv(BootCorpus.rhel8GrubenvBody))
        #expect(throws: GuestConfigError.self) { try GrubEnvironmentBlock("kernelopts=x\n####") }
        #expect(throws: GuestConfigError.self) { try GrubEnvironmentBlock("# GRUB Environment Block\nx=1\n##x#") }
        // A block of another size keeps its size and is reported.
        var odd = try GrubEnvironmentBlock(BootCorpus.grubenv(BootCorpus.rhel8GrubenvBody, size: 600))
        try odd.editKernelArguments(try KernelArgumentEdit(remove: ["quiet"]))
        #expect(odd.text.utf8.count == 600)
        #expect(odd.result.findings.contains { $0.severity == .warning })
    }

    // MARK: The set of files

    @Test func detectBootloaderPaths() {
        #expect(BootloaderFileKind.detect(path: "/boot/grub/menu.lst") == .grubLegacy)
        #expect(BootloaderFileKind.detect(path: "/boot/grub2/grub.cfg") == .grub2Config)
        #expect(BootloaderFileKind.detect(path: "/boot/efi/EFI/redhat/grub.cfg") == .grub2Config)
        #expect(BootloaderFileKind.detect(path: "/boot/efi/EFI/redhat/grubenv") == .grubenv)
        #expect(BootloaderFileKind.detect(path: "/boot/loader/entries/abc-4.18.conf") == .bls)
        #expect(BootloaderFileKind.detect(path: "/etc/default/grub") == .grub2Defaults)
        #expect(BootloaderFileKind.detect(path: "/etc/default/grub.d/50-cloudimg-settings.cfg") == .grub2Defaults)
        #expect(BootloaderFileKind.detect(path: "/etc/default/grub.d/x.cfg.bak") == nil)
        #expect(BootloaderFileKind.detect(path: "/boot/loader/entries/sub/x.conf") == nil)
        #expect(BootloaderFileKind.detect(path: "/etc/fstab") == nil)
    }

    @Test func rhel8FileSetIsEditedConsistently() throws {
        let files = [
            "/etc/default/grub":
                "GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX=\"crashkernel=auto resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap rhgb quiet\"\n",
            "/boot/grub2/grubenv": BootCorpus.grubenv(BootCorpus.rhel8GrubenvBody),
            "/boot/loader/entries/3f1c-4.18.0-513.5.1.el8_9.x86_64.conf": BootCorpus.rhel8BLSEntry,
            "/etc/fstab": "UUID=1 / xfs defaults 0 0\n",
        ]
        let results = azure.apply(toBootloaderFiles: files)
        #expect(
            results.map(\.path) == [
                "/boot/grub2/grubenv", "/boot/loader/entries/3f1c-4.18.0-513.5.1.el8_9.x86_64.conf",
                "/etc/default/grub",
            ])
        #expect(results.map(\.changed) == [true, false, true])
        for result in results { #expect(result.error == nil) }
        // Applying again to the outputs changes nothing.
        var edited = files
        for result in results { edited[result.path] = result.edit!.edited }
        #expect(azure.apply(toBootloaderFiles: edited).allSatisfy { !$0.changed })
        #expect(
            results[0].summary == [
                "kernelopts: added rootdelay=300 console=ttyS0 earlyprintk=ttyS0 net.ifnames=0; removed rhgb quiet crashkernel=auto"
            ])
        #expect(
            results[0].edit!.unifiedDiff().hasPrefix(
                "--- a/boot/grub2/grubenv\n+++ b/boot/grub2/grubenv\n@@ -1,5 +1,5 @@\n"))
    }

    @Test func withoutGrubenvBLSAdditionsAreMade() {
        let results = azure.apply(toBootloaderFiles: ["/boot/loader/entries/a.conf": "options $kernelopts quiet\n"])
        #expect(
            results.first?.edit?.edited
                == "options $kernelopts rootdelay=300 console=ttyS0 earlyprintk=ttyS0 net.ifnames=0\n")
    }

    @Test func badGrubenvIsReportedNotRewritten() {
        let results = azure.apply(toBootloaderFiles: ["/boot/grub2/grubenv": "garbage"])
        #expect(results.first?.error?.code == .malformed)
        #expect(results.first?.edit == nil)
    }

    @Test func debianKoptLineIsEditedWithAllEntries() throws {
        let text = """
            ### BEGIN AUTOMAGIC KERNELS LIST
            # kopt=root=UUID=3c1d ro quiet
            ## ## End Default Options ##
            title Ubuntu 8.04, kernel 2.6.24-19-server
            root (hd0,0)
            kernel /boot/vmlinuz-2.6.24-19-server root=UUID=3c1d ro quiet splash

            """
        let edit = try KernelArgumentEdit(add: ["console=ttyS0"], remove: ["quiet"])
        var all = GrubLegacyMenu(text)
        all.editKernelArguments(edit)
        #expect(
            all.text
                == text
                .replacingAll("# kopt=root=UUID=3c1d ro quiet\n", with: "# kopt=root=UUID=3c1d ro console=ttyS0\n")
                .replacingAll("ro quiet splash\n", with: "ro splash console=ttyS0\n"))
        var chosen = GrubLegacyMenu(text)
        chosen.editKernelArguments(edit, entries: .indices([0]))
        #expect(chosen.text.contains("# kopt=root=UUID=3c1d ro quiet\n"))
        #expect(chosen.result.findings.contains { $0.kind == .skipped && $0.line == 2 })
    }

    @Test func commandLinesForReadinessChecks() {
        let files = [
            "/boot/grub2/grub.cfg": BootCorpus.centos7GrubCfg,
            "/etc/default/grub": BootCorpus.ubuntu2204DefaultGrubAzure,
            "/boot/grub2/grubenv": BootCorpus.grubenv(BootCorpus.rhel8GrubenvBody),
            "/boot/loader/entries/x.conf": BootCorpus.rhel8BLSEntry,
            "/boot/grub/menu.lst": BootCorpus.sles11MenuLstEdited,
        ]
        let lines = BootloaderFileKind.commandLines(in: files)
        #expect(
            lines.map(\.location) == [
                "entry 0 (SUSE Linux Enterprise Server 11 SP3 - 3.0.76-0.11)",
                "entry 1 (Failsafe -- SUSE Linux Enterprise Server 11 SP3 - 3.0.76-0.11)",
                "line 9 (CentOS Linux (3.10.0-1160.el7.x86_64) 7 (Core))", "kernelopts", "options",
                "GRUB_CMDLINE_LINUX + GRUB_CMDLINE_LINUX_DEFAULT",
            ])
        // Line numbers as a plain split of the text finds the lines (an oracle independent of the readers).
        func lineNumber(_ path: String, _ isLine: (Substring) -> Bool) -> Int {
            files[path]!.split(separator: "\n", omittingEmptySubsequences: false).firstIndex(where: isLine)! + 1
        }
        #expect(
            lines.map(\.line) == [
                lineNumber("/boot/grub/menu.lst") { $0.contains("kernel ") },
                lineNumber("/boot/grub/menu.lst") { $0.contains("kernel ") && $0.contains("failsafe") }, 9,
                lineNumber("/boot/grub2/grubenv") { $0.hasPrefix("kernelopts=") },
                lineNumber("/boot/loader/entries/x.conf") { $0.hasPrefix("options") },
                lineNumber("/etc/default/grub") { $0.hasPrefix("GRUB_CMDLINE_LINUX=") },
            ])
        let linux = lines.last!
        #expect(linux.contains(name: "console", valuePrefix: "ttyS0"))
        #expect(linux.contains(name: "rootdelay", valuePrefix: "300"))
        #expect(!linux.contains(name: "net.ifnames"))
        #expect(linux.words.suffix(2) == ["quiet", "splash"])  // GRUB_CMDLINE_LINUX_DEFAULT's words come last
        #expect(lines[0].contains(name: "rootdelay"))
        #expect(!lines[1].contains(name: "console"))
    }

    /// `/etc/default/grub` is one command line (what a normal boot entry gets: `GRUB_CMDLINE_LINUX` then
    /// `GRUB_CMDLINE_LINUX_DEFAULT`), never one per variable, and is there even when neither is set, so that
    /// a check finds required arguments missing; a BLS entry without `options` likewise.
    @Test func defaultGrubAndBLSAlwaysHaveOneCommandLine() {
        let both =
            "GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX_DEFAULT=\"rootdelay=300\"\nGRUB_CMDLINE_LINUX=\"ro\"\nGRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX console=ttyS0\"\n"
        let lines = BootloaderFileKind.grub2Defaults.commandLines(of: both, path: "/etc/default/grub")
        #expect(lines.map(\.line) == [4])  // the winning GRUB_CMDLINE_LINUX assignment
        #expect(lines.map(\.words) == [["$GRUB_CMDLINE_LINUX", "console=ttyS0", "rootdelay=300"]])
        let onlyDefault = "GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n"
        #expect(
            BootloaderFileKind.grub2Defaults.commandLines(of: onlyDefault, path: "/etc/default/grub").map(\.line) == [2]
        )
        let neither = BootloaderFileKind.grub2Defaults.commandLines(of: "GRUB_TIMEOUT=5\n", path: "/etc/default/grub")
        #expect(neither.map(\.line) == [0] && neither.map(\.words) == [[]])
        let noOptions = BootloaderFileKind.bls.commandLines(
            of: "title x\nlinux /vmlinuz\n", path: "/boot/loader/entries/x.conf")
        #expect(noOptions.map(\.line) == [0] && noOptions.map(\.words) == [[]])
        // The options line is the line the arguments are read from (its keyword is `options`), not a line
        // that merely starts with the letters.
        let prefixed = BootloaderFileKind.bls.commandLines(
            of: "title x\noptionsfoo bar\n  options\troot=/dev/sda1 ro\n", path: "/boot/loader/entries/x.conf")
        #expect(prefixed.map(\.line) == [3] && prefixed.map(\.words) == [["root=/dev/sda1", "ro"]])
        // A grubenv without kernelopts, or one GRUB would reject, has none.
        let env = BootCorpus.grubenv(GrubEnvironmentBlock.header + "\nsaved_entry=x\n")
        #expect(BootloaderFileKind.grubenv.commandLines(of: env, path: "/boot/grub2/grubenv").isEmpty)
        #expect(BootloaderFileKind.grubenv.commandLines(of: "kernelopts=ro\n", path: "/boot/grub2/grubenv").isEmpty)
    }

    @Test func grubenvKerneloptsLineIsCountedAsConfigTextCountsLines() throws {
        let env = BootCorpus.grubenv(
            GrubEnvironmentBlock.header + "\nsaved_entry=x\r\ny=1\nkernelopts=root=/dev/sda1 ro\n")
        let lines = BootloaderFileKind.grubenv.commandLines(of: env, path: "/boot/grub2/grubenv")
        let expected = ConfigText(env).lines.firstIndex { $0.content.hasPrefix("kernelopts=") }! + 1
        #expect(expected == 4)
        #expect(lines.map(\.line) == [expected])
        #expect(lines.map(\.words) == [["root=/dev/sda1", "ro"]])
    }

    @Test func ubuntuCloudImageDropInIsEditedWithoutCreatingOverrides() throws {
        let files = [
            "/etc/default/grub": BootCorpus.ubuntu1604DefaultGrub,
            "/etc/default/grub.d/50-cloudimg-settings.cfg": BootCorpus.ubuntu1804CloudimgSettings,
        ]
        let edit = try KernelArgumentEdit(add: ["rootdelay=300", "console=ttyS0"], remove: ["quiet", "splash"])
        let results = edit.apply(toBootloaderFiles: files)
        #expect(results.map(\.path) == ["/etc/default/grub", "/etc/default/grub.d/50-cloudimg-settings.cfg"])
        // The main file gets the additions in GRUB_CMDLINE_LINUX (console=ttyS0 is already in the drop-in's
        // GRUB_CMDLINE_LINUX_DEFAULT but not in this file, so it is added here too).
        #expect(
            results[0].edit!.edited
                == BootCorpus.ubuntu1604DefaultGrub
                .replacingAll("GRUB_CMDLINE_LINUX_DEFAULT=\"quiet splash\"", with: "GRUB_CMDLINE_LINUX_DEFAULT=\"\"")
                .replacingAll("locale=en_US\"", with: "locale=en_US rootdelay=300 console=ttyS0\""))
        // The drop-in has no GRUB_CMDLINE_LINUX: nothing is created; rootdelay goes to the variable it has.
        #expect(
            results[1].edit!.edited
                == BootCorpus.ubuntu1804CloudimgSettings
                .replacingAll("earlyprintk=ttyS0\"", with: "earlyprintk=ttyS0 rootdelay=300\""))
        // What grub-mkconfig would see: source both, in order, and read the variables.
        let combined = results[0].edit!.edited + results[1].edit!.edited
        let values = try Oracle.shellValues(combined, keys: ["GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT"])
        let effective = KernelCommandLine(values["GRUB_CMDLINE_LINUX"]! + " " + values["GRUB_CMDLINE_LINUX_DEFAULT"]!)
        for wanted in ["rootdelay=300", "console=ttyS0", "console=tty1", "earlyprintk=ttyS0"] {
            #expect(effective.arguments.contains { $0.text == wanted }, "\(wanted)")
        }
        #expect(!effective.arguments.contains { $0.text == "quiet" || $0.text == "splash" })
    }

    @Test func deleteRootPasswordIsWaagentsLock() throws {
        var shadow = AccountDatabase(SystemCorpus.centos6Shadow, kind: .shadow)
        try shadow.deleteRootPassword()
        #expect(shadow.text.hasPrefix("root:*LOCK*:14600::::::\nbin:*:"))
        #expect(shadow.records.filter { $0.name == "root" }.count == 1)
    }

    @Test func severalBLSOptionsLinesShareOneCommandLine() throws {
        var entry = BootLoaderSpecEntry("title x\noptions root=UUID=1 ro rootdelay=10\noptions quiet\n")
        entry.editKernelArguments(try KernelArgumentEdit(add: ["rootdelay=300", "console=ttyS0"], remove: ["quiet"]))
        #expect(entry.text == "title x\noptions root=UUID=1 ro rootdelay=300\noptions console=ttyS0\n")
        var again = BootLoaderSpecEntry(entry.text)
        again.editKernelArguments(try KernelArgumentEdit(add: ["rootdelay=300", "console=ttyS0"], remove: ["quiet"]))
        #expect(!again.result.changed)
    }

    @Test func variableReferencesInDefaultGrubKeepWorking() throws {
        let text =
            "GRUB_CMDLINE_LINUX=\"ro quiet\"\nGRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX rhgb quiet\"\nGRUB_CMDLINE_LINUX_DEFAULT=$EXTRA\n"
        var defaults = Grub2Defaults(text)
        defaults.editKernelArguments(try KernelArgumentEdit(add: ["console=ttyS0"], remove: ["rhgb"]))
        #expect(
            defaults.text
                == "GRUB_CMDLINE_LINUX=\"ro quiet\"\nGRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX quiet console=ttyS0\"\nGRUB_CMDLINE_LINUX_DEFAULT=$EXTRA\n"
        )
        #expect(defaults.result.findings.contains { $0.kind == .skipped && $0.line == 3 })
        let values = try Oracle.shellValues("EXTRA=x\n" + defaults.text, keys: ["GRUB_CMDLINE_LINUX"])
        #expect(values["GRUB_CMDLINE_LINUX"] == "ro quiet quiet console=ttyS0")
    }

    @Test func rhel8GrubCfgKerneloptsFallbackMatchesGrubenv() throws {
        let files = [
            "/boot/grub2/grub.cfg": BootCorpus.rhel8GrubCfg,
            "/boot/grub2/grubenv": BootCorpus.grubenv(BootCorpus.rhel8GrubenvBody),
        ]
        let results = azure.apply(toBootloaderFiles: files)
        let expectedOptions =
            "root=/dev/mapper/rhel-root ro resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap rootdelay=300 console=ttyS0 earlyprintk=ttyS0 net.ifnames=0 "
        #expect(
            results[0].edit!.edited
                == BootCorpus.rhel8GrubCfg.replacingAll(
                    "root=/dev/mapper/rhel-root ro crashkernel=auto resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap rhgb quiet ",
                    with: expectedOptions))
        #expect(try GrubEnvironmentBlock(results[1].edit!.edited).value(of: "kernelopts") == expectedOptions)
        #expect(BootloaderFileKind.commandLines(in: files).count == 1)  // the fallback is not a kernel line
    }

    @Test func grubCfgTimeoutLines() throws {
        let text = """
            if [ x$feature_timeout_style = xy ] ; then
              set timeout_style=hidden
              set timeout=0
            # Fallback hidden-timeout code in case the timeout_style feature is
            # unavailable.
            elif sleep --interruptible 0 ; then
              set timeout=0
            fi
            if [ "${recordfail}" = 1 ] ; then set timeout=30 ; fi
            set timeout="5"

            """
        var config = Grub2Config(text)
        #expect(config.timeouts == [0, 0, 5])
        let changed = try config.setTimeout(1)
        #expect(changed)
        #expect(
            config.text
                == text
                .replacingAll("  set timeout=0\n", with: "  set timeout=1\n")
                .replacingAll("set timeout=\"5\"", with: "set timeout=\"1\""))
        let again = try config.setTimeout(1)
        #expect(!again)
        #expect(throws: GuestConfigError.self) { try config.setTimeout(-1) }
    }

    @Test func sles15DefaultGrubGolden() throws {
        var defaults = Grub2Defaults(BootCorpus.sles15DefaultGrub)
        defaults.editKernelArguments(
            try KernelArgumentEdit(
                add: ["console=ttyS0", "earlyprintk=ttyS0", "rootdelay=300"], remove: ["splash", "quiet"]))
        try defaults.setTimeout(1)
        #expect(
            defaults.text
                == BootCorpus.sles15DefaultGrub
                .replacingAll("GRUB_TIMEOUT=8", with: "GRUB_TIMEOUT=1")
                .replacingAll("\"splash=silent resume=", with: "\"resume=")
                .replacingAll("mitigations=auto quiet crashkernel", with: "mitigations=auto crashkernel")
                .replacingAll(
                    "GRUB_CMDLINE_LINUX=\"\"",
                    with: "GRUB_CMDLINE_LINUX=\"console=ttyS0 earlyprintk=ttyS0 rootdelay=300\""))
        // Both crashkernel= arguments stay: removal by exact value only matches crashkernel=auto.
        let values = try Oracle.shellValues(defaults.text, keys: ["GRUB_CMDLINE_LINUX_DEFAULT", "GRUB_DISTRIBUTOR"])
        #expect(values["GRUB_CMDLINE_LINUX_DEFAULT"]!.hasSuffix("crashkernel=282M,high crashkernel=72M,low"))
        #expect(values["GRUB_DISTRIBUTOR"] == "")
    }
}
