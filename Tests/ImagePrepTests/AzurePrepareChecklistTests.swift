import Foundation
import ImagePrep
import Testing
import _TestSupport

/// azure-prepare's checklist steps: numa=off, the masked udev generator, the agent settings the Marketplace
/// asks for, swap choices, Ubuntu's recordfail timeout, and no second console=ttyS0.
@Suite struct AzurePrepareChecklistTests {
    static func plan(
        _ files: MemoryGuestFiles, _ options: AzurePreparer.Options = AzurePreparer.Options()
    ) throws -> (changes: [PlannedChange], findings: [Finding]) {
        let result = try AzurePreparer.plan(
            files: files, inspection: try OSInspector(files: files).inspect(), options: options)
        return (result.changes, result.findings)
    }

    static func text(_ change: PlannedChange?) -> String { String(decoding: change?.contents ?? [], as: UTF8.self) }

    @Test func centos6WithTheGeneratorRuleThroughTheCLI() throws {
        let work = try TemporaryDirectory()
        let raw = work.file("centos6.raw")
        try ExternalTool.check(["cp", "--sparse=always", try TestImageFarm.folder() + "/centos6.raw", raw])
        let rule = work.file("rule")
        try "# generator\n".write(toFile: rule, atomically: true, encoding: .utf8)
        let fs = "\(raw)?offset=\(1 << 20)"
        try ExternalTool.check(["debugfs", "-w", "-R", "mkdir /lib/udev", fs])
        try ExternalTool.check(["debugfs", "-w", "-R", "mkdir /lib/udev/rules.d", fs])
        try ExternalTool.check([
            "debugfs", "-w", "-R", "write \(rule) /lib/udev/rules.d/75-persistent-net-generator.rules", fs,
        ])
        #expect(try ImagePreparation.check(raw).results.first { $0.id == "udev.net-generator" }?.verdict == .fail)

        let run = try VHDEditBinary.run(["azure-prepare", raw, "--swap-mb", "4096"])
        #expect(run.status == 0, "\(run.stderr)")
        let stat = try ExternalTool.check([
            "debugfs", "-R", "stat /etc/udev/rules.d/75-persistent-net-generator.rules", fs,
        ]).output
        #expect(stat.contains("Type: symlink") && stat.contains("\"/dev/null\""), "\(stat)")
        let conf = try ExternalTool.check(["debugfs", "-R", "cat /etc/waagent.conf", fs]).output
        for line in [
            "OS.RootDeviceScsiTimeout=300", "Provisioning.RegenerateSshHostKeyPair=y",
            "Provisioning.DeleteRootPassword=y",
            "ResourceDisk.EnableSwap=y", "ResourceDisk.SwapSizeMB=4096", "ResourceDisk.Format=y",
        ] {
            #expect(conf.contains(line + "\n"), "\(line)")
        }
        let grub = try ExternalTool.check(["debugfs", "-R", "cat /boot/grub/grub.conf", fs]).output
        #expect(grub.contains(" numa=off") && grub.contains("console=ttyS0 earlyprintk=ttyS0 rootdelay=300"))
        let fsck = try Fixtures.fsck(raw, offset: 1 << 20)
        #expect(fsck.status == 0, "\(fsck.output)")
        // A second run plans nothing; check agrees.
        #expect(
            try ImagePreparation.azurePrepare(raw, options: AzurePreparer.Options(swapMB: 4096), dryRun: true).changes
                .isEmpty)
        let check = try ImagePreparation.check(raw)
        for id in ["udev.net-generator", "boot.numa", "agent.scsi-timeout", "agent.resource-disk", "sudo.targetpw"] {
            #expect(
                check.results.filter { $0.id == id }.allSatisfy { $0.verdict == .pass }
                    && check.results.contains { $0.id == id }, "\(id)")
        }
        // The options are checked before the image is opened.
        let both = try VHDEditBinary.run(["azure-prepare", raw, "--swap-mb", "10", "--no-swap"])
        #expect(both.status == 64 && both.stderr.contains("contradict"))
    }

    @Test func noSecondConsoleBesideOneWithOptions() throws {
        let files = MemoryGuestFiles([
            "/etc/redhat-release": "CentOS Linux release 7.9.2009 (Core)\n",
            "/boot/vmlinuz-3.10.0-1160.el7.x86_64": "k",
            "/boot/grub2/grub.cfg":
                "set timeout=5\nmenuentry 'c' {\n\tlinux16 /vmlinuz ro console=tty0 console=ttyS0,115200n8\n}\n",
        ])
        let edited = Self.text(
            try Self.plan(files).changes.first { $0.path == "/boot/grub2/grub.cfg" && $0.operation == "kernel-args" })
        #expect(edited.contains("console=ttyS0,115200n8 earlyprintk=ttyS0 rootdelay=300"), "\(edited)")
        #expect(!edited.contains("console=ttyS0 "))
        #expect(try CheckerUnitTests.results(files).first { $0.id == "boot.kernel-args" }?.verdict == .fail)
        try PlanApplier.apply(try Self.plan(files).changes, to: files)
        #expect(
            try CheckerUnitTests.results(files).filter { $0.id == "boot.kernel-args" }.allSatisfy {
                $0.verdict == .pass
            })
    }

    @Test func ubuntuRecordfailTimeoutInDefaultGrub() throws {
        let tree = [
            "/etc/os-release": "ID=ubuntu\nVERSION_ID=\"22.04\"\nID_LIKE=debian\n",
            "/etc/default/grub": "GRUB_DEFAULT=0\nGRUB_TIMEOUT=10\nGRUB_CMDLINE_LINUX=\"\"\n",
        ]
        let changes = try Self.plan(MemoryGuestFiles(tree)).changes.filter { $0.path == "/etc/default/grub" }
        #expect(Self.text(changes.last).contains("GRUB_RECORDFAIL_TIMEOUT=1\n"))
        #expect(Self.text(changes.last).contains("GRUB_TIMEOUT=1\n"))
        var debian = tree
        debian["/etc/os-release"] = "ID=debian\nVERSION_ID=\"12\"\n"
        #expect(
            !Self.text(try Self.plan(MemoryGuestFiles(debian)).changes.filter { $0.path == "/etc/default/grub" }.last)
                .contains("RECORDFAIL"))
    }

    @Test func swapChoicesForTheAgentAndForCloudInit() throws {
        let agent = [
            "/etc/waagent.conf": "ResourceDisk.Format=n\nResourceDisk.EnableSwap=y\nResourceDisk.SwapSizeMB=2048\n"
        ]
        let off = Self.text(
            try Self.plan(MemoryGuestFiles(agent), AzurePreparer.Options(noSwap: true)).changes.first {
                $0.path == "/etc/waagent.conf"
            })
        #expect(off.contains("ResourceDisk.EnableSwap=n\n") && off.contains("ResourceDisk.Format=y\n"))
        var cloud = agent
        cloud["/usr/bin/cloud-init"] = "#!/usr/bin/python3\n"
        cloud["/etc/cloud/cloud.cfg.d/90_dpkg.cfg"] = "datasource_list: [ Azure ]\n"
        let files = MemoryGuestFiles(cloud)
        let planned = try Self.plan(files, AzurePreparer.Options(swapMB: 2048))
        let swapFile = try #require(planned.changes.first { $0.path == "/etc/cloud/cloud.cfg.d/00-azure-swap.cfg" })
        #expect(
            swapFile.action == .create && Self.text(swapFile).contains("filesystem: swap\n")
                && !Self.text(swapFile).contains("filename"))
        #expect(
            Self.text(planned.changes.first { $0.path == "/etc/waagent.conf" }).contains("ResourceDisk.EnableSwap=n\n"))
        try PlanApplier.apply(planned.changes, to: files)
        let removed = try Self.plan(files, AzurePreparer.Options(noSwap: true)).changes.filter {
            $0.path.hasPrefix("/etc/cloud")
        }
        #expect(removed.map(\.action) == [.delete])
        #expect(throws: ImagePrepError.self) { try AzurePreparer.Options(swapMB: 0).validate() }
    }

    /// --swap-mb on a cloud-init image writes Azure's guides' setup and names it in CLOUD_CFG, so that check's
    /// cloud-init.resource-disk passes; a swap file an earlier run or the builder left elsewhere is overridden;
    /// a second run plans nothing; --no-swap takes the swap out again.
    @Test func cloudInitSwapTheGuidesWay() throws {
        let files = MemoryGuestFiles([
            "/usr/bin/cloud-init": "#!/usr/bin/python3\n",
            "/etc/waagent.conf": "Provisioning.Agent=auto\nResourceDisk.Format=n\nResourceDisk.EnableSwap=n\n",
            "/etc/cloud/cloud.cfg": "users:\n - default\ncloud_init_modules:\n - disk_setup\n - mounts\n",
            "/etc/cloud/cloud.cfg.d/50-swapfile.cfg": "#cloud-config\nswap:\n  filename: /swap.img\n  size: 2G\n",
            "/etc/systemd/system.conf": "[Manager]\n#LogLevel=info\n",
        ])
        #expect(try CheckerUnitTests.results(files).first { $0.id == "cloud-init.resource-disk" }?.verdict == .fail)
        let planned = try Self.plan(files, AzurePreparer.Options(swapMB: 4096))
        let conf = try #require(planned.changes.first { $0.path == "/etc/systemd/system.conf" })
        #expect(
            Self.text(conf)
                == "[Manager]\n#LogLevel=info\nDefaultEnvironment=\"CLOUD_CFG=/etc/cloud/cloud.cfg.d/00-azure-swap.cfg\"\n"
        )
        #expect(
            Self.text(planned.changes.first { $0.path == "/etc/cloud/cloud.cfg.d/00-azure-swap.cfg" }).contains(
                "swap:\n  size: 0\n"))
        #expect(planned.findings.contains { $0.message.contains("33 %") })
        try PlanApplier.apply(planned.changes, to: files)
        let after = try CheckerUnitTests.results(files)
        let disk = try #require(after.first { $0.id == "cloud-init.resource-disk" })
        #expect(disk.verdict == .pass, "\(disk.evidence)")
        #expect(disk.evidence.contains("ephemeral0.2") && disk.evidence.contains("/mnt"))
        #expect(after.first { $0.id == "cloud-init.swap" }?.verdict == .pass)
        #expect(
            try Self.plan(files, AzurePreparer.Options(swapMB: 4096)).changes.filter {
                $0.path.hasPrefix("/etc/cloud") || $0.path.hasPrefix("/etc/systemd")
            }.isEmpty)
        let off = try Self.plan(files, AzurePreparer.Options(noSwap: true))
        #expect(off.changes.filter { $0.path.hasPrefix("/etc/cloud") }.map(\.action) == [.delete])
        #expect(
            off.findings.contains {
                $0.message.contains("--no-swap") && $0.path == "/etc/cloud/cloud.cfg.d/50-swapfile.cfg"
            })
    }
}
