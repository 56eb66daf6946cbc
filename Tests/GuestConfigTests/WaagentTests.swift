import Foundation
import Testing
import _TestSupport

@testable import GuestConfig

@Suite("waagent.conf")
struct WaagentTests {
    @Test func effectiveValuesPerShippedVariant() {
        let standard = WaagentConfiguration(SystemCorpus.waagentDefault)
        #expect(standard.deletesRootPassword)
        #expect(standard.regeneratesSshHostKeys)
        #expect(standard.formatsResourceDisk)
        #expect(!standard.enablesSwap)
        #expect(standard.effectiveValue(of: "ResourceDisk.Filesystem") == .string("ext4"))
        // `None` means the code default; `# Logs.Console=y` is a comment.
        #expect(standard.value(of: "ResourceDisk.MountOptions") == nil)
        #expect(standard.effectiveValue(of: "OS.OpensslPath") == .string("/usr/bin/openssl"))
        #expect(standard.effectiveValue(of: "Logs.Console") == .boolean(true))

        let ubuntu = WaagentConfiguration(SystemCorpus.waagentUbuntu)
        #expect(ubuntu.deletesRootPassword)
        #expect(!ubuntu.regeneratesSshHostKeys)
        #expect(!ubuntu.formatsResourceDisk)
        #expect(ubuntu.autoUpdateEnabled)  // only in a comment: the code default (true)
        #expect(ubuntu.effectiveValue(of: "OS.RootDeviceScsiTimeout") == .string("300"))

        let coreos = WaagentConfiguration(SystemCorpus.waagentCoreOS)
        #expect(!coreos.deletesRootPassword)
        #expect(coreos.effectiveValue(of: "Provisioning.SshHostKeyPairType") == .string("ed25519"))
        #expect(coreos.passwordPath == "/etc/shadow")
    }

    @Test func absentKeysHaveTheAgentsCodeDefaults() {
        let empty = WaagentConfiguration("# nothing\n")
        #expect(!empty.regeneratesSshHostKeys)
        #expect(!empty.deletesRootPassword)
        #expect(empty.passwordPath == "/etc/shadow")
        #expect(empty.sshDirectory == "/etc/ssh")
        #expect(empty.sudoersDirectory == "/etc/sudoers.d")
        #expect(empty.libraryDirectory == "/var/lib/waagent")
        #expect(empty.effectiveValue(of: "Extension.LogDir") == .string("/var/log/azure"))
        #expect(empty.provisioningAgent == "auto")
        #expect(empty.effectiveValue(of: "Provisioning.SshHostKeyPairType") == .string("rsa"))
        #expect(empty.effectiveValue(of: "OS.SshClientAliveInterval") == .integer(180))
        #expect(!empty.formatsResourceDisk)
        #expect(!empty.enablesSwap)
        #expect(empty.autoUpdateEnabled)
        #expect(empty.effectiveValue(of: "HttpProxy.Port") == .none)
    }

    @Test func readingFollowsConfPy() {
        // Comment cut at '#', quotes and spaces stripped, case-insensitive y/n, later lines win,
        // a non-number integer means the default.
        let conf = WaagentConfiguration(
            """
            Provisioning.DeleteRootPassword = "Y"  # yes
            ResourceDisk.Format=y
            ResourceDisk.Format=n
            ResourceDisk.SwapSizeMB=lots
            Provisioning.RegenerateSshHostKeyPair=maybe
              # indented comment=ignored? no: conf.py only skips lines *starting* with #

            """)
        #expect(conf.deletesRootPassword)
        #expect(!conf.formatsResourceDisk)
        #expect(conf.effectiveValue(of: "ResourceDisk.SwapSizeMB") == .integer(0))
        #expect(!conf.regeneratesSshHostKeys)
        #expect(conf.findings.contains { $0.kind == .duplicateKey && $0.line == 3 })
        #expect(conf.findings.contains { $0.kind == .invalidValue && $0.line == 4 })
        #expect(conf.findings.contains { $0.kind == .invalidValue && $0.line == 5 })
        #expect(conf.entries.contains { $0.key == "# indented comment" })
    }

    @Test func setEditsInPlaceValidatesAndKeepsUnknownKeys() throws {
        var conf = WaagentConfiguration(SystemCorpus.waagentDefault, path: "/etc/waagent.conf")
        try conf.set("ResourceDisk.Format", to: "n")
        try conf.set("ResourceDisk.EnableSwap", to: "n")
        try conf.set("Provisioning.Agent", to: "cloud-init")
        try conf.set("OS.SshClientAliveInterval", to: "180")
        try conf.set("LBProbeResponder", to: "n")
        #expect(
            conf.text == SystemCorpus.waagentDefault
                .replacingAll("ResourceDisk.Format=y", with: "ResourceDisk.Format=n")
                .replacingAll("Provisioning.Agent=auto", with: "Provisioning.Agent=cloud-init")
                .replacingAll("LBProbeResponder=y", with: "LBProbeResponder=n") + "OS.SshClientAliveInterval=180\n")
        #expect(conf.result.findings.contains { $0.kind == .unknownKey && $0.message.contains("LBProbeResponder") })
        for (key, bad) in [
            ("ResourceDisk.Format", "yes"), ("Provisioning.SshHostKeyPairType", "rsa1"),
            ("Provisioning.Agent", "cloudinit"), ("HttpProxy.Port", "70000"), ("OS.SshClientAliveInterval", "x"),
            ("ResourceDisk.Filesystem", "ntfs"),
        ] {
            #expect(throws: GuestConfigError.self, "\(key)=\(bad)") { try conf.set(key, to: bad) }
        }
        #expect(throws: GuestConfigError.self) { try conf.set("Bad Key", to: "y") }
        let again = try conf.set("Provisioning.Agent", to: "cloud-init")
        #expect(!again)
    }

    @Test func emptyValueBeforeACommentKeepsItsSpace() throws {
        var conf = WaagentConfiguration("HttpProxy.Host= # none\n")
        try conf.set("HttpProxy.Host", to: "proxy.example")
        #expect(conf.text == "HttpProxy.Host= proxy.example # none\n")
        #expect(conf.value(of: "HttpProxy.Host") == "proxy.example")
    }

    @Test func spacingAndTrailingCommentsSurviveSet() throws {
        var conf = WaagentConfiguration("ResourceDisk.Format = y   # format it\r\nOS.EnableFirewall=y")
        try conf.set("ResourceDisk.Format", to: "n")
        try conf.set("OS.EnableFirewall", to: "n")
        #expect(conf.text == "ResourceDisk.Format = n   # format it\r\nOS.EnableFirewall=n")
        let removed = conf.unset("OS.EnableFirewall")
        #expect(removed)
        #expect(conf.text == "ResourceDisk.Format = n   # format it\r\n")
    }
}

extension WaagentTests {
    @Test func suseCloudInitSettingsGolden() throws {
        var conf = try KeyValueConfigFile(path: "/etc/waagent.conf", text: SystemCorpus.waagentSUSE)
        try conf.apply(assignments: [
            "Provisioning.Agent=cloud-init", "ResourceDisk.Format=n", "ResourceDisk.EnableSwap=n",
        ])
        #expect(conf.result.edited == SystemCorpus.waagentSUSECloudInit)
        let typed = WaagentConfiguration(conf.result.edited)
        #expect(typed.provisioningAgent == "cloud-init" && !typed.formatsResourceDisk && !typed.enablesSwap)
        // The commented Lib.Dir is not read: the code default applies.
        #expect(typed.libraryDirectory == "/var/lib/waagent")
        #expect(typed.isEnabled("Provisioning.MonitorHostName"))
    }
}

@Suite("sshd_config")
struct SSHDaemonConfigTests {
    @Test func ubuntuGetsClientAliveIntervalBeforeAnyMatch() throws {
        var config = SSHDaemonConfig(SystemCorpus.ubuntu2204SshdConfig, path: "/etc/ssh/sshd_config")
        #expect(config.includes == ["/etc/ssh/sshd_config.d/*.conf"])
        #expect(config.findings.contains { $0.kind == .include && $0.line == 5 })
        #expect(config.globalValue(of: "clientaliveinterval") == nil)
        try config.setClientAliveInterval()
        // No real Match block (only a commented one): appended at the end.
        #expect(config.text == SystemCorpus.ubuntu2204SshdConfig + "ClientAliveInterval 180\n")
        #expect(config.globalValue(of: "ClientAliveInterval") == "180")
        var again = SSHDaemonConfig(config.text)
        let changed = try again.setClientAliveInterval()
        #expect(!changed)
    }

    @Test func firstGlobalValueIsEditedDuplicatesReportedMatchUntouched() throws {
        let text = """
            clientaliveinterval=0
            PermitRootLogin no
            ClientAliveInterval 600
            Match User backup
            \tClientAliveInterval 30

            """
        var config = SSHDaemonConfig(text)
        try config.setClientAliveInterval(120)
        #expect(
            config.text == """
                clientaliveinterval=120
                PermitRootLogin no
                ClientAliveInterval 600
                Match User backup
                \tClientAliveInterval 30

                """)
        #expect(config.findings.contains { $0.kind == .duplicateKey && $0.line == 3 })
        try config.setClientAliveInterval(120)
        #expect(config.result.findings.filter { $0.kind == .duplicateKey }.count == 1)
        #expect(throws: GuestConfigError.self) { try config.setClientAliveInterval(29) }
        #expect(throws: GuestConfigError.self) { try config.setClientAliveInterval(236) }
    }

    @Test func insertsBeforeTheFirstMatchBlock() throws {
        var config = SSHDaemonConfig("UsePAM yes\r\nMatch Group sftp\r\n\tForceCommand internal-sftp\r\n")
        try config.setClientAliveInterval()
        #expect(
            config.text
                == "UsePAM yes\r\nClientAliveInterval 180\r\nMatch Group sftp\r\n\tForceCommand internal-sftp\r\n")
    }

    /// sshd itself is the oracle (openssh-server is in scripts/setup.sh): `sshd -T -f FILE` prints the
    /// value it would use, so first-value-wins and the Match handling are checked against the real parser.
    @Test func sshdAgrees() throws {
        let ubuntu = SystemCorpus.ubuntu2204SshdConfig.replacingAll(
            "/etc/ssh/sshd_config.d/*.conf", with: "/nonexistent.d/*.conf")
        let cases = [
            ubuntu,
            "ClientAliveInterval 10\nMatch User x\n\tX11Forwarding no\n",
            "clientaliveinterval=0\nClientAliveInterval 600\nMatch User backup\n\tClientAliveInterval 30\n",
            "Match Group sftp\n\tForceCommand internal-sftp\n",
        ]
        for text in cases {
            var config = SSHDaemonConfig(text)
            try config.setClientAliveInterval()
            #expect(try Oracle.sshdEffective(config.text, keyword: "clientaliveinterval") == "180", "\(config.text)")
            try config.setClientAliveInterval(45)
            #expect(try Oracle.sshdEffective(config.text, keyword: "clientaliveinterval") == "45")
        }
    }

    @Test func includedFilesAreFollowedInPlaceAndSshdAgrees() throws {
        let dir = try TemporaryDirectory(prefix: "gc-sshd-include")
        let cases: [(main: String, included: [String: String], expected: String?)] = [
            // Ubuntu 22.04 shape: Include first, so a drop-in wins over the main file.
            (
                "Include \(dir.path)/d/*.conf\nClientAliveInterval 180\n",
                [
                    "\(dir.path)/d/50-cloud-init.conf": "PasswordAuthentication no\n",
                    "\(dir.path)/d/60-azure.conf": "ClientAliveInterval 120\n",
                ], "120"
            ),
            // Lexical order: 10- before 20-.
            (
                "Include \(dir.path)/d/*.conf\n",
                [
                    "\(dir.path)/d/20-b.conf": "ClientAliveInterval 90\n",
                    "\(dir.path)/d/10-a.conf": "ClientAliveInterval 60\n",
                ], "60"
            ),
            // A Match block in an included file ends with it; the main file's later line is global again.
            (
                "Include \(dir.path)/d/*.conf\nClientAliveInterval 200\n",
                ["\(dir.path)/d/a.conf": "Match User x\n\tClientAliveInterval 33\n"], "200"
            ),
            // The main file's earlier line wins over an include after it.
            (
                "ClientAliveInterval 45\nInclude \(dir.path)/d/*.conf\n",
                ["\(dir.path)/d/a.conf": "ClientAliveInterval 99\n"], "45"
            ),
        ]
        for (main, included, expected) in cases {
            let ours = SSHDaemonConfig(main).effectiveGlobalSetting(of: "ClientAliveInterval", files: included)
            #expect(ours?.value == expected)
            // sshd reads the same files from the host temp dir (paths are the same strings).
            _ = try? ExternalTool.check(["rm", "-rf", dir.file("d")])
            try ExternalTool.check(["mkdir", "-p", dir.file("d")])
            for (path, text) in included { try text.write(toFile: path, atomically: true, encoding: .utf8) }
            #expect(try Oracle.sshdEffective(main, keyword: "clientaliveinterval") == expected ?? "0")
        }
        #expect(GlobPattern("/etc/ssh/sshd_config.d/*.conf").matches("/etc/ssh/sshd_config.d/50-cloud-init.conf"))
        #expect(!GlobPattern("/etc/ssh/sshd_config.d/*.conf").matches("/etc/ssh/sshd_config.d/.hidden.conf"))
        #expect(!GlobPattern("/etc/ssh/*.conf").matches("/etc/ssh/sshd_config.d/a.conf"))
        #expect(GlobPattern("/etc/ssh/a?c*").matches("/etc/ssh/abcdef"))
    }
}
