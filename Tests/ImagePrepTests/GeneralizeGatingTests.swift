import Foundation
import ImagePrep
import Testing
import _TestSupport

/// generalize: operations named in --only override waagent.conf's gates, host keys go only when something
/// makes new ones, --user lists, --delete-user after the agent's state is gone, machine-id by default on
/// systemd; checked with debugfs and e2fsck, and a second run plans nothing.
@Suite struct GeneralizeGatingTests {
    static func copyRaw(_ name: String, _ work: TemporaryDirectory) throws -> String {
        let raw = work.file("\(name)-\(UUID().uuidString).raw")
        try ExternalTool.check(["cp", "--sparse=always", try TestImageFarm.folder() + "/\(name).raw", raw])
        return raw
    }
    static func exists(_ raw: String, _ path: String) throws -> Bool { try SecretFixture.exists(raw, path) }
    static func cat(_ raw: String, _ path: String) throws -> String {
        try ExternalTool.check(["debugfs", "-R", "cat \"\(path)\"", "\(raw)?offset=\(1 << 20)"]).output
    }

    @Test func namedHostKeysGoWhenCloudInitMakesNewOnesAndStayWhenNothingDoes() throws {
        let work = try TemporaryDirectory()
        // Ubuntu 18.04: RegenerateSshHostKeyPair=n, but cloud-init's ssh module makes keys at boot.
        let ubuntu = try Self.copyRaw("ubuntu1804", work)
        let report = try ImagePreparation.generalize(
            ubuntu, options: Generalizer.Options(selection: OperationSelection(only: ["ssh-hostkeys"])), dryRun: false)
        let deleted = report.changes.filter { $0.operation == "ssh-hostkeys" }
        #expect(
            deleted.count == 8
                && deleted.allSatisfy {
                    $0.reason.contains("named in --only") && $0.reason.contains("cloud-init (ssh module)")
                })
        #expect(try !Self.exists(ubuntu, "/etc/ssh/ssh_host_rsa_key"))
        #expect(try Fixtures.fsck(ubuntu, offset: 1 << 20).status == 0)
        let pass = try #require(try ImagePreparation.check(ubuntu).results.first { $0.id == "ssh.host-keys" })
        #expect(pass.verdict == .pass && pass.evidence.contains("cloud-init"))

        // Ubuntu 12.04: no cloud-init, the agent will not regenerate (n), upstart's ssh job runs no ssh-keygen.
        let precise = try Self.copyRaw("ubuntu1204", work)
        let refused = try ImagePreparation.generalize(
            precise, options: Generalizer.Options(selection: OperationSelection(only: ["ssh-hostkeys"])), dryRun: false)
        #expect(refused.changes.isEmpty)
        #expect(
            refused.findings.contains {
                $0.severity == .warning && $0.message.contains("nothing in the image makes new ones at boot")
            })
        #expect(try Self.exists(precise, "/etc/ssh/ssh_host_rsa_key"))
        // Keys removed by hand: check fails, since sshd would not start.
        for key in ["rsa", "dsa"] {
            for suffix in ["", ".pub"] {
                try ExternalTool.check([
                    "debugfs", "-w", "-R", "rm /etc/ssh/ssh_host_\(key)_key\(suffix)", "\(precise)?offset=\(1 << 20)",
                ])
            }
        }
        let fail = try #require(try ImagePreparation.check(precise).results.first { $0.id == "ssh.host-keys" })
        #expect(fail.verdict == .fail && fail.evidence.contains("sshd will not start"))
    }

    @Test func namedRootPasswordOverridesTheGate() throws {
        let files = MemoryGuestFiles([
            "/etc/waagent.conf": "Provisioning.DeleteRootPassword=n\n",
            "/etc/shadow": "root:$6$a$b:19000:0:99999:7:::\n",
        ])
        let inspection = try OSInspector(files: files).inspect()
        let gated = try Generalizer.plan(files: files, inspection: inspection, options: Generalizer.Options())
        #expect(!gated.changes.contains { $0.operation == "root-password" })
        #expect(gated.findings.contains { $0.message.contains("name root-password in --only") })
        let named = try Generalizer.plan(
            files: files, inspection: inspection,
            options: Generalizer.Options(selection: OperationSelection(only: ["root-password"])))
        let change = try #require(named.changes.first)
        #expect(
            change.reason.contains("named in --only")
                && String(decoding: change.contents ?? [], as: UTF8.self).hasPrefix("root:*LOCK*:"))
    }

    @Test func userListsAndDeleteUserAfterOvfEnvIsGone() throws {
        let work = try TemporaryDirectory()
        let raw = try Self.copyRaw("centos6", work)
        // --user repeatable and comma lists, through the CLI (a dry run).
        let dry = try VHDEditBinary.run([
            "generalize", raw, "--user", "azureuser,builder", "--user", "builder", "--dry-run", "--json",
        ])
        #expect(dry.status == 0, "\(dry.stderr)")
        let planned = try JSONDecoder().decode(PrepReport.self, from: dry.stdout)
        #expect(
            Set(planned.changes.filter { $0.action == .deleteTree }.map(\.path)).isSuperset(of: [
                "/home/azureuser", "/home/builder",
            ]))
        // A default run removes /var/lib/waagent (and ovf-env.xml with it) but keeps the user.
        _ = try ImagePreparation.generalize(raw, dryRun: false)
        #expect(try !Self.exists(raw, "/var/lib/waagent/ovf-env.xml"))
        #expect(try Self.cat(raw, "/etc/passwd").contains("azureuser:"))
        // --delete-user later still finds azureuser: in passwd, in the agent's sudoers entry, with a home.
        let report = try ImagePreparation.generalize(raw, options: Generalizer.Options(deleteUser: true), dryRun: false)
        #expect(report.changes.contains { $0.path == "/home/azureuser" && $0.action == .deleteTree })
        #expect(try !Self.cat(raw, "/etc/passwd").contains("azureuser:"))
        #expect(try !Self.exists(raw, "/etc/sudoers.d/waagent") && !Self.exists(raw, "/home/azureuser"))
        #expect(try Self.exists(raw, "/home/builder"))
        #expect(try Fixtures.fsck(raw, offset: 1 << 20).status == 0)
        #expect(
            try ImagePreparation.generalize(raw, options: Generalizer.Options(deleteUser: true), dryRun: true).changes
                .isEmpty)
    }

    @Test func machineIdIsEmptiedByDefaultUnderSystemdOnly() throws {
        let work = try TemporaryDirectory()
        let ubuntu = try Self.copyRaw("ubuntu1804", work)
        let report = try ImagePreparation.generalize(ubuntu, dryRun: false)
        #expect(
            report.changes.contains {
                $0.operation == "machine-id" && $0.path == "/etc/machine-id" && $0.action == .truncate
            })
        let stat = try ExternalTool.check(["debugfs", "-R", "stat /etc/machine-id", "\(ubuntu)?offset=\(1 << 20)"])
            .output
        #expect(stat.contains("Size: 0"))
        #expect(try ImagePreparation.check(ubuntu).results.first { $0.id == "machine-id" }?.verdict == .pass)
        #expect(try ImagePreparation.generalize(ubuntu, dryRun: true).changes.isEmpty)
        // CentOS 6 (no systemd): the dbus id stays unless machine-id is named.
        let centos = try Self.copyRaw("centos6", work)
        #expect(
            try !ImagePreparation.generalize(centos, dryRun: true).changes.contains { $0.operation == "machine-id" })
        let named = try ImagePreparation.generalize(
            centos, options: Generalizer.Options(selection: OperationSelection(only: ["machine-id"])), dryRun: true)
        #expect(named.changes.map(\.path) == ["/var/lib/dbus/machine-id"])
    }
}
