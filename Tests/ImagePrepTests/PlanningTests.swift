import ImagePrep
import Testing

/// Unit tests of planning over an in-memory guest (a supplement to the image tests).
@Suite struct PlanningTests {
    static func centosLike() -> MemoryGuestFiles {
        MemoryGuestFiles(
            [
                "/etc/redhat-release": "Red Hat Enterprise Linux Server release 7.9 (Maipo)\n",
                "/etc/waagent.conf": "Provisioning.DeleteRootPassword=y\nProvisioning.RegenerateSshHostKeyPair=n\n",
                "/etc/shadow": "bin:*:1::::::\nroot:$6$abc$def:1:0:99999:7:::\n",
                "/etc/ssh/ssh_host_rsa_key": "KEY",
                "/etc/hostname": "build.example.com\n",
                "/var/lib/dhclient/dhclient--eth0.lease": "lease",
                "/var/lib/waagent/ovf-env.xml": "<ns1:UserName>admin</ns1:UserName>",
                "/root/.bash_history": "ls\n",
                "/etc/resolv.conf": "nameserver 1.1.1.1\n",
                "/home/admin/.bashrc": "",
            ], links: ["/etc/localtime": "../usr/share/zoneinfo/UTC"])
    }

    static func plan(
        _ files: MemoryGuestFiles, _ options: Generalizer.Options = Generalizer.Options()
    ) throws
        -> (operations: [String], changes: [PlannedChange], findings: [Finding])
    {
        let inspection = try OSInspector(files: files).inspect()
        return try Generalizer.plan(files: files, inspection: inspection, options: options)
    }

    @Test func planningWritesNothingAndApplyingMatchesThePlan() throws {
        let files = Self.centosLike()
        let before = files.nodes
        let plan = try Self.plan(files)
        #expect(files.nodes == before && files.writes == 0)
        // The report never carries the root hash, only a mask.
        let shadowChange = try #require(plan.changes.first { $0.path == "/etc/shadow" })
        #expect(shadowChange.before == "root:<hash>:1:0:99999:7:::" && !(shadowChange.diff ?? "").contains("$6$"))
        #expect(
            Set(plan.changes.map(\.path)) == [
                "/etc/shadow", "/etc/hostname", "/var/lib/dhclient/dhclient--eth0.lease", "/var/lib/waagent",
                "/root/.bash_history",
                "/etc/resolv.conf",
            ])
        // RegenerateSshHostKeyPair=n: the key stays, and a finding says why.
        #expect(
            plan.findings.contains { $0.operation == "ssh-hostkeys" && $0.message.contains("RegenerateSshHostKeyPair") }
        )
        try PlanApplier.apply(plan.changes, to: files)
        #expect(files.text("/etc/shadow") == "root:*LOCK*:14600::::::\nbin:*:1::::::\n")
        #expect(files.text("/etc/hostname") == "localhost.localdomain\n")
        #expect(files.nodes["/var/lib/dhclient"] != nil && files.nodes["/var/lib/dhclient/dhclient--eth0.lease"] == nil)
        #expect(files.nodes["/var/lib/waagent"] == nil && files.nodes["/etc/ssh/ssh_host_rsa_key"] != nil)
        #expect(try Self.plan(files).changes.isEmpty)
    }

    @Test func agentDefaultsApplyWithoutWaagentConf() throws {
        let files = Self.centosLike()
        files.nodes["/etc/waagent.conf"] = nil
        let plan = try Self.plan(files)
        // Code defaults: DeleteRootPassword=n, RegenerateSshHostKeyPair=n.
        #expect(!plan.changes.contains { $0.path == "/etc/shadow" })
        #expect(plan.findings.contains { $0.message.contains("code defaults") })
    }

    @Test func deleteUserLeavesAHomeItDoesNotOwn() throws {
        let files = Self.centosLike()
        files.addFile("/etc/passwd", "root:x:0:0::/root:/bin/bash\nadmin:x:1000:1000::/usr/local:/bin/bash\n")
        files.addFile("/usr/local/bin/tool", "")
        let plan = try Self.plan(files, Generalizer.Options(deleteUser: true))
        #expect(!plan.changes.contains { $0.path.hasPrefix("/usr") })
        #expect(plan.findings.contains { $0.message.contains("left alone") && $0.path == "/usr/local" })
    }

    @Test func deleteUserReadsOvfEnvBeforeTheAgentDirGoes() throws {
        let files = Self.centosLike()
        files.addFile("/etc/passwd", "root:x:0:0::/root:/bin/bash\nadmin:x:1000:1000::/home/admin:/bin/bash\n")
        files.addFile("/etc/sudoers.d/waagent", "admin ALL=(ALL) ALL\n")
        let plan = try Self.plan(files, Generalizer.Options(deleteUser: true))
        #expect(plan.operations.contains("delete-user"))
        #expect(plan.changes.contains { $0.path == "/home/admin" && $0.action == .deleteTree })
        #expect(plan.changes.contains { $0.path == "/etc/sudoers.d/waagent" && $0.action == .delete })
        #expect(plan.changes.first { $0.path == "/etc/passwd" }?.after == "(nothing)")
    }

    @Test func stagedViewChainsEditsOfOneFile() throws {
        let files = MemoryGuestFiles([
            "/etc/sysconfig/network-scripts/ifcfg-eth0": "DEVICE=eth0\nHWADDR=00:11\nDHCP_HOSTNAME=vm\n",
            "/etc/redhat-release": "CentOS release 6.10 (Final)\n",
        ])
        let plan = try Self.plan(
            files, Generalizer.Options(selection: OperationSelection(only: ["hostname", "hwaddr"])))
        #expect(plan.changes.map(\.operation) == ["hostname", "hwaddr"])
        try PlanApplier.apply(plan.changes, to: files)
        #expect(files.text("/etc/sysconfig/network-scripts/ifcfg-eth0") == "DEVICE=eth0\n")
    }

    @Test func nmMacRemovesOnlyTheMACBindingOfEachKeyfile() throws {
        let keyfile = "/etc/NetworkManager/system-connections/eth0.nmconnection"
        let original =
            "[connection]\nid=eth0\nmac-address=ignored:in:connection\n\n[ethernet]\n  mac-address = 00:15:5D:01:02:03\ncloned-mac-address=stable\n\n[ipv4]\nmethod=auto\n"
        let files = Self.centosLike()
        files.addFile(keyfile, original)
        files.addFile("/etc/NetworkManager/system-connections/wifi.nmconnection", "[wifi]\nssid=x\n")
        let plan = try Self.plan(files, Generalizer.Options(selection: OperationSelection(only: ["nm-mac"])))
        #expect(plan.changes.map(\.path) == [keyfile])
        try PlanApplier.apply(plan.changes, to: files)
        #expect(
            files.text(keyfile)
                == "[connection]\nid=eth0\nmac-address=ignored:in:connection\n\n[ethernet]\ncloned-mac-address=stable\n\n[ipv4]\nmethod=auto\n"
        )
        let again = try Self.plan(files, Generalizer.Options(selection: OperationSelection(only: ["nm-mac"])))
        #expect(again.changes.isEmpty)
        #expect(try CheckerUnitTests.results(files).first { $0.id == "net.nm-mac" }?.verdict == .pass)
    }

    @Test func selectionRejectsUnknownNamesAndExpandsKeywords() throws {
        #expect(throws: ImagePrepError.self) {
            try OperationSelection(only: ["nope"]).select(from: Generalizer.catalog)
        }
        #expect(throws: ImagePrepError.self) {
            try OperationSelection(skip: ["nope"]).select(from: Generalizer.catalog)
        }
        let all = try OperationSelection(only: ["all"], skip: ["tmp"]).select(from: Generalizer.catalog)
        #expect(all.count == Generalizer.catalog.count - 1)
        let defaults = try OperationSelection().select(from: Generalizer.catalog).map(\.name)
        #expect(
            defaults.contains("machine-id") && defaults.contains("ssh-hostkeys") && !defaults.contains("delete-user")
                && !defaults.contains("secrets"))
    }

    @Test func globAndResolveStayInsideTheGuest() throws {
        let files = MemoryGuestFiles(
            ["/etc/ssh/ssh_host_rsa_key": "", "/etc/ssh/ssh_host_rsa_key.pub": "", "/etc/ssh/sshd_config": ""],
            links: ["/etc/escape": "../../../../etc/ssh", "/loop": "/loop"])
        #expect(
            try files.glob("/etc/ssh/ssh_host_*key*") == ["/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_rsa_key.pub"])
        #expect(try files.resolve("/etc/escape/sshd_config") == "/etc/ssh/sshd_config")
        #expect(try files.resolve("/loop") == nil)
    }

    @Test func shardsPartitionStably() throws {
        let items = (0..<10).map(String.init)
        var union: [String] = []
        for index in 0..<4 { union += try Shard(index: index, count: 4).select(items) }
        #expect(union.sorted() == items.sorted())
        #expect(try Shard(parsing: "1/4").select(items) == ["1", "5", "9"])
        #expect(throws: ImagePrepError.self) { try Shard(parsing: "4/4") }
        #expect(Manifest.parse("# c\na.vhd\n\n/abs/b.vhd\n", folder: "/farm") == ["/farm/a.vhd", "/abs/b.vhd"])
    }
}

@Suite struct CheckerUnitTests {
    static func results(_ files: MemoryGuestFiles) throws -> [CheckResult] {
        let inspection = try OSInspector(files: files).inspect()
        return try ReadinessChecker(files: files, disk: nil, inspection: inspection).guestResults()
    }

    @Test func disabledVfatFailsAndUdfDependsOnCloudInit() throws {
        let files = MemoryGuestFiles([
            "/etc/modprobe.d/cis.conf":
                "install udf /bin/true\n# blacklist vfat\nblacklist vfat\ninstall usb-storage /bin/true\n"
        ])
        let found = try Self.results(files).filter { $0.id.hasPrefix("modules.") }
        #expect(found.map(\.id) == ["modules.udf", "modules.vfat"])
        #expect(found.map(\.verdict) == [.fail, .fail])
        #expect(found.map(\.line) == [1, 3])
        files.addFile("/usr/bin/cloud-init", "")
        files.addFile("/usr/lib/python3/dist-packages/cloudinit/version.py", "__VERSION__ = \"23.4\"\n")
        #expect(try Self.results(files).first { $0.id == "modules.udf" }?.verdict == .warn)
    }

    @Test func sshdKeepAliveFirstGlobalValueWins() throws {
        let files = MemoryGuestFiles([
            "/etc/ssh/sshd_config":
                "ClientAliveInterval 20\nClientAliveInterval 180\nMatch User x\n  ClientAliveInterval 100\n"
        ])
        let result = try #require(try Self.results(files).first { $0.id == "ssh.client-alive" })
        #expect(result.verdict == .fail && result.line == 1)
    }

    @Test func historiesOfEveryUserAreMeasured() throws {
        let files = MemoryGuestFiles([
            "/etc/passwd": "root:x:0:0::/root:/bin/bash\nann:x:1000:1000::/home/ann:/bin/bash\n",
            "/home/ann/.bash_history": String(repeating: "x", count: 1025),
            "/root/.bash_history": "ls\n",
        ])
        let result = try #require(try Self.results(files).first { $0.id == "history.size" })
        #expect(result.verdict == .fail && result.path == "/home/ann/.bash_history")
    }
}
