import Foundation
import ImagePrep
import Testing
import _TestSupport

/// The seeds' checklist items check judges beyond generalize.md §b: a pass case and a fail case for each, over
/// in-memory guests; the sudoers edits are accepted by `visudo -c -f`.
@Suite struct ChecklistCheckTests {
    static func results(_ id: String, _ tree: [String: String], links: [String: String] = [:]) throws -> [CheckResult] {
        try CheckerUnitTests.results(MemoryGuestFiles(tree, links: links)).filter { $0.id == id }
    }
    static func verdicts(
        _ id: String, _ tree: [String: String], links: [String: String] = [:]
    ) throws -> [CheckResult.Verdict] {
        try results(id, tree, links: links).map(\.verdict)
    }

    static let suse = ["/etc/os-release": "ID=\"sles\"\nVERSION_ID=\"12.5\"\nID_LIKE=\"suse\"\n"]

    @Test func targetpwInSudoersAndItsIncludes() throws {
        let clean = [
            "/etc/sudoers": "Defaults env_reset\nroot ALL=(ALL) ALL\n#includedir /etc/sudoers.d\n",
            "/etc/sudoers.d/admins": "%wheel ALL=(ALL) ALL\n", "/etc/sudoers.d/old.rpmsave": "Defaults targetpw\n",
        ]
        #expect(try Self.verdicts("sudo.targetpw", clean) == [.pass])
        var bad = clean
        bad["/etc/sudoers.d/suse"] = "Defaults targetpw   # ask for root's password\nALL\tALL=(ALL) ALL\n"
        bad["/etc/sudoers"] = "Defaults env_reset,targetpw\n#includedir /etc/sudoers.d\n"
        let found = try Self.results("sudo.targetpw", bad)
        #expect(found.map(\.verdict) == [.fail, .fail, .fail])
        #expect(
            found.map { "\($0.path ?? ""):\($0.line ?? 0)" } == [
                "/etc/sudoers:1", "/etc/sudoers.d/suse:1", "/etc/sudoers.d/suse:2",
            ])
    }

    @Test func azurePrepareFixesIncludedSudoersAndVisudoAcceptsThem() throws {
        let files = MemoryGuestFiles(
            Self.suse.merging([
                "/etc/sudoers": "Defaults env_reset\nroot ALL=(ALL) ALL\n#includedir /etc/sudoers.d\n",
                "/etc/sudoers.d/suse":
                    "Defaults targetpw   # ask for root's password\nALL\tALL=(ALL) ALL   # only with targetpw!\n",
            ]) { a, _ in a })
        let plan = try AzurePreparer.plan(
            files: files, inspection: try OSInspector(files: files).inspect(),
            selection: OperationSelection(only: ["sudoers-targetpw"]))
        #expect(plan.changes.map(\.path) == ["/etc/sudoers.d/suse"])
        try PlanApplier.apply(plan.changes, to: files)
        let work = try TemporaryDirectory()
        for path in ["/etc/sudoers", "/etc/sudoers.d/suse"] {
            let host = work.file(String(path.split(separator: "/").last!))
            try #require(files.text(path)).write(toFile: host, atomically: true, encoding: .utf8)
            let visudo = try ExternalTool.run(["visudo", "-c", "-f", host])
            #expect(visudo.status == 0, "\(path): \(visudo.output) \(visudo.stderr)")
        }
        #expect(try CheckerUnitTests.results(files).filter { $0.id == "sudo.targetpw" }.map(\.verdict) == [.pass])
    }

    static let agent = [
        "/usr/sbin/waagent": "#!/usr/bin/env python\n",
        "/usr/lib/python2.7/site-packages/azurelinuxagent/common/version.py": "AGENT_VERSION = '2.2.45'\n",
    ]

    @Test func resourceDiskAndScsiTimeoutForAnAgentImage() throws {
        let good = Self.agent.merging([
            "/etc/waagent.conf":
                "ResourceDisk.Format=y\nResourceDisk.EnableSwap=y\nResourceDisk.SwapSizeMB=2048\nOS.RootDeviceScsiTimeout=300\n"
        ]) { a, _ in a }
        #expect(try Self.verdicts("agent.resource-disk", good) == [.pass])
        #expect(try Self.verdicts("agent.scsi-timeout", good) == [.pass])
        let bad = Self.agent.merging(["/etc/waagent.conf": "ResourceDisk.Format=n\nResourceDisk.EnableSwap=y\n"]) {
            a, _ in a
        }
        #expect(try Self.verdicts("agent.resource-disk", bad) == [.warn])
        #expect(try Self.results("agent.scsi-timeout", bad).first?.evidence == "OS.RootDeviceScsiTimeout=(absent)")
        #expect(try Self.verdicts("agent.scsi-timeout", bad) == [.warn])
        let swapWithoutSize = Self.agent.merging([
            "/etc/waagent.conf": "ResourceDisk.Format=y\nResourceDisk.EnableSwap=y\nResourceDisk.SwapSizeMB=0\n"
        ]) { a, _ in a }
        #expect(try Self.verdicts("agent.resource-disk", swapWithoutSize) == [.warn])
    }

    @Test func suseDhcpHostnameAndLladdr() throws {
        let good = Self.suse.merging([
            "/etc/sysconfig/network/dhcp": "DHCLIENT_SET_HOSTNAME=\"no\"\n",
            "/etc/sysconfig/network/ifcfg-eth0": "BOOTPROTO='dhcp'\nSTARTMODE='auto'\n",
        ]) { a, _ in a }
        #expect(try Self.verdicts("net.dhclient-hostname", good) == [.pass])
        #expect(try Self.verdicts("net.lladdr", good) == [.pass])
        let bad = Self.suse.merging([
            "/etc/sysconfig/network/dhcp": "DHCLIENT_SET_HOSTNAME=\"yes\"\n",
            "/etc/sysconfig/network/ifcfg-eth0": "BOOTPROTO='dhcp'\nLLADDR='00:15:5d:11:22:33'\n",
        ]) { a, _ in a }
        #expect(try Self.verdicts("net.dhclient-hostname", bad) == [.fail])
        let lladdr = try Self.results("net.lladdr", bad)
        #expect(lladdr.map(\.verdict) == [.fail] && lladdr.first?.line == 2)
        // Not a SUSE guest: not judged.
        #expect(
            try Self.verdicts(
                "net.dhclient-hostname", ["/etc/sysconfig/network/dhcp": "DHCLIENT_SET_HOSTNAME=\"yes\"\n"]
            ).isEmpty)
    }

    @Test func networkServiceAtBootBySystemdSysVOrUpstart() throws {
        #expect(
            try Self.verdicts("service.network", [:], links: ["/etc/rc.d/rc3.d/S10network": "../init.d/network"]) == [
                .pass
            ])
        #expect(
            try Self.verdicts(
                "service.network", [:],
                links: [
                    "/etc/systemd/system/multi-user.target.wants/NetworkManager.service":
                        "/usr/lib/systemd/system/NetworkManager.service"
                ]) == [.pass])
        #expect(try Self.verdicts("service.network", ["/etc/init/networking.conf": "start on startup\n"]) == [.pass])
        #expect(try Self.verdicts("service.network", ["/etc/init.d/network": "#!/bin/sh\n"]) == [.warn])
    }

    @Test func numaOffOnKernelsOlderThan2637() throws {
        let old = [
            "/etc/redhat-release": "CentOS release 6.10 (Final)\n", "/boot/vmlinuz-2.6.32-754.35.1.el6.x86_64": "k",
            "/boot/grub/grub.conf":
                "default=0\ntitle c\n\tkernel /boot/vmlinuz-2.6.32-754.35.1.el6.x86_64 ro root=/dev/sda1\n",
        ]
        #expect(try Self.verdicts("boot.numa", old) == [.fail])
        var fixed = old
        fixed["/boot/grub/grub.conf"] =
            "default=0\ntitle c\n\tkernel /boot/vmlinuz-2.6.32-754.35.1.el6.x86_64 ro root=/dev/sda1 numa=off\n"
        #expect(try Self.verdicts("boot.numa", fixed) == [.pass])
        var new = old
        new["/boot/vmlinuz-3.10.0-1160.el7.x86_64"] = "k"
        #expect(try Self.verdicts("boot.numa", new).isEmpty)
        // azure-prepare adds it on the old kernel only.
        let files = MemoryGuestFiles(old)
        let plan = try AzurePreparer.plan(
            files: files, inspection: try OSInspector(files: files).inspect(),
            selection: OperationSelection(only: ["kernel-args"]))
        let edited = String(decoding: plan.changes.first?.contents ?? [], as: UTF8.self)
        #expect(edited.contains(" numa=off"))
        let newer = MemoryGuestFiles(new)
        let plan2 = try AzurePreparer.plan(
            files: newer, inspection: try OSInspector(files: newer).inspect(),
            selection: OperationSelection(only: ["kernel-args"]))
        let edited2 = String(decoding: plan2.changes.first?.contents ?? [], as: UTF8.self)
        #expect(!edited2.isEmpty && !edited2.contains("numa=off"))
    }

    @Test func humanAccountsWithUsablePasswords() throws {
        let passwd =
            "root:x:0:0::/root:/bin/bash\nann:x:1000:1000::/home/ann:/bin/bash\nsvc:x:998:998::/:/sbin/nologin\nnobody:x:65534:65534::/:/sbin/nologin\n"
        let locked = [
            "/etc/passwd": passwd,
            "/etc/shadow": "root:$6$a$b:1::::::\nann:!!:1::::::\nsvc:$6$c$d:1::::::\nnobody:*:1::::::\n",
        ]
        #expect(try Self.verdicts("accounts.passwords", locked) == [.pass])
        let usable = [
            "/etc/passwd": passwd,
            "/etc/shadow": "root:*:1::::::\nann:$6$x$y:1::::::\nsvc:*:1::::::\nnobody::1::::::\n",
        ]
        let found = try Self.results("accounts.passwords", usable)
        #expect(
            found.map(\.verdict) == [.fail] && found.first?.evidence.contains("ann (uid 1000)") == true
                && found.first?.line == 2)
        // An empty password counts; login.defs' UID_MIN decides who is human (svc, uid 998, with UID_MIN 500).
        let empty = [
            "/etc/passwd": passwd, "/etc/shadow": "ann::1::::::\nsvc:$6$c$d:1::::::\n",
            "/etc/login.defs": "UID_MIN 500\n",
        ]
        #expect(
            try Self.results("accounts.passwords", empty).map(\.evidence) == [
                "ann (uid 1000) has an empty password", "svc (uid 998) has a password hash",
            ])
    }

    @Test func pyasn1ForAgent20() throws {
        let old = ["/usr/sbin/waagent": "#!/usr/bin/env python\nGuestAgentVersion = \"WALinuxAgent-2.0.16\"\n"]
        let inspection = try OSInspector(files: MemoryGuestFiles(old)).inspect()
        try #require(inspection.agent("WALinuxAgent")?.version == "2.0.16")
        #expect(try Self.verdicts("agent.pyasn1", old) == [.fail])
        #expect(
            try Self.verdicts(
                "agent.pyasn1", old.merging(["/usr/lib/python2.6/site-packages/pyasn1/__init__.py": ""]) { a, _ in a })
                == [.pass])
        #expect(try Self.verdicts("agent.pyasn1", Self.agent).isEmpty)
    }

    /// cloud-init's disk_setup/fs_setup/mounts/swap judged as waagent's ResourceDisk settings are: Azure's
    /// guides' drop-in named by CLOUD_CFG passes, the same drop-in without it warns (the datasource's layout
    /// wins), a swap file fails (on the OS disk), the resource disk left out of mounts warns.
    @Test func cloudInitResourceDisk() throws {
        let guide =
            "#cloud-config\ndisk_setup:\n  ephemeral0:\n    table_type: mbr\n    layout: [66, [33, 82]]\n    overwrite: True\n"
            + "fs_setup:\n  - device: ephemeral0.1\n    filesystem: ext4\n  - device: ephemeral0.2\n    filesystem: swap\n"
            + "mounts:\n  - [\"ephemeral0.1\", \"/mnt\"]\n  - [\"ephemeral0.2\", \"none\", \"swap\", \"sw,nofail\", \"0\", \"0\"]\n"
        let cloud = [
            "/usr/bin/cloud-init": "#!/usr/bin/python3\n", "/etc/cloud/cloud.cfg": "users:\n - default\n",
            "/etc/cloud/cloud.cfg.d/00-azure-swap.cfg": guide,
        ]
        #expect(try Self.verdicts("cloud-init.resource-disk", ["/etc/waagent.conf": "ResourceDisk.Format=y\n"]).isEmpty)
        let named = cloud.merging([
            "/etc/systemd/system.conf":
                "[Manager]\nDefaultEnvironment=\"CLOUD_CFG=/etc/cloud/cloud.cfg.d/00-azure-swap.cfg\"\n"
        ]) { a, _ in a }
        #expect(try Self.verdicts("cloud-init.resource-disk", named) == [.pass])
        let unnamed = try Self.results("cloud-init.resource-disk", cloud)
        #expect(unnamed.map(\.verdict) == [.warn] && unnamed.first?.evidence.contains("CLOUD_CFG") == true)
        #expect(unnamed.first?.path == "/etc/cloud/cloud.cfg.d/00-azure-swap.cfg")
        let swapFile = try Self.results(
            "cloud-init.resource-disk",
            cloud.merging(["/etc/cloud/cloud.cfg.d/60-swap.cfg": AzurePreparerSwapText.text]) { a, _ in a })
        #expect(
            swapFile.map(\.verdict) == [.fail] && swapFile.first?.path == "/etc/cloud/cloud.cfg.d/60-swap.cfg"
                && swapFile.first?.line == 2)
        let defaults = ["/usr/bin/cloud-init": "#!/usr/bin/python3\n", "/etc/cloud/cloud.cfg": "users:\n - default\n"]
        #expect(try Self.verdicts("cloud-init.resource-disk", defaults) == [.pass])
        #expect(
            try Self.verdicts(
                "cloud-init.resource-disk",
                defaults.merging(["/etc/cloud/cloud.cfg.d/90-nomnt.cfg": "mounts:\n - [ ephemeral0 ]\n"]) { a, _ in a })
                == [.warn])
    }

    @Test func cloudInitSwapHasOneOwner() throws {
        let cloud = ["/usr/bin/cloud-init": "#!/usr/bin/python3\n", "/etc/cloud/cloud.cfg": "users:\n - default\n"]
        #expect(
            try Self.verdicts(
                "cloud-init.swap", cloud.merging(["/etc/waagent.conf": "ResourceDisk.EnableSwap=n\n"]) { a, _ in a })
                == [.pass])
        let both = cloud.merging([
            "/etc/waagent.conf": "ResourceDisk.EnableSwap=y\n",
            "/etc/cloud/cloud.cfg.d/00-azure-swap.cfg": AzurePreparerSwapText.text,
        ]) { a, _ in a }
        let found = try Self.results("cloud-init.swap", both)
        #expect(found.map(\.verdict) == [.fail] && found.first?.path == "/etc/cloud/cloud.cfg.d/00-azure-swap.cfg")
        #expect(
            try Self.verdicts(
                "cloud-init.swap", both.merging(["/etc/waagent.conf": "ResourceDisk.EnableSwap=n\n"]) { _, b in b })
                == [.pass])
        #expect(try Self.verdicts("cloud-init.swap", ["/etc/waagent.conf": "ResourceDisk.EnableSwap=y\n"]).isEmpty)
    }
}

/// A cloud-init drop-in that declares swap (a swap file).
enum AzurePreparerSwapText {
    static let text = "#cloud-config\nswap:\n  filename: /mnt/swapfile\n  size: 2147483648\n  maxsize: 2147483648\n"
}
