import GuestConfig

/// The user the agent provisioned on the build VM: `UserName` in `ovf-env.xml`, or — once a generalize run
/// removed the agent's state — the user of the agent's own sudoers entry (`/etc/sudoers.d/waagent`) that is
/// still in /etc/passwd with a home folder.
public enum ProvisionedUser {
    /// The provisioned user, when either source names one.
    public static func find(_ files: any GuestFiles) throws(ImagePrepError) -> String? {
        let agent = try AgentSettings.read(from: files)
        if let user = try OSInspector(files: files).provisionedUser(libDir: agent.libDir) { return user }
        return try fromSudoers(files, agent: agent)
    }

    /// The first user of the agent's sudoers entry that has a passwd record and an existing home folder.
    static func fromSudoers(_ files: any GuestFiles, agent: AgentSettings) throws(ImagePrepError) -> String? {
        guard let sudoers = try files.readText(agent.sudoersDir + "/waagent", limit: 1 << 20),
            let passwd = try files.readText("/etc/passwd")
        else { return nil }
        let accounts = AccountDatabase(passwd, kind: .passwd)
        for line in ConfigText(sudoers).contents {
            let words = line.words
            guard let name = words.first, !name.hasPrefix("#"), !name.hasPrefix("%"), name != "Defaults",
                name != "root",
                let record = accounts.record(named: name), record.fields.count > 5
            else { continue }
            let home = record.fields[5]
            if home.hasPrefix("/"), PathText.components(home).count >= 2, try files.lstat(home)?.type == .directory {
                return name
            }
        }
        return nil
    }
}

/// What makes new SSH host keys at boot, if anything: the agent with `Provisioning.RegenerateSshHostKeyPair=y`,
/// cloud-init's ssh module, an sshd-keygen unit, or an sshd unit or init script that runs ssh-keygen.
public enum HostKeyRegenerator {
    /// Units and scripts looked at, and the words that mean "makes host keys".
    static let units = [
        "/usr/lib/systemd/system/sshd-keygen@.service", "/usr/lib/systemd/system/sshd-keygen.service",
        "/lib/systemd/system/sshd-keygen@.service", "/lib/systemd/system/sshd-keygen.service",
        "/usr/lib/systemd/system/sshd-keygen.target", "/etc/systemd/system/ssh-keygen.service",
        "/lib/systemd/system/ssh-keygen.service", "/etc/systemd/system/regenerate-ssh-host-keys.service",
        "/lib/systemd/system/regenerate_ssh_host_keys.service",
    ]
    static let scriptPatterns = [
        "/etc/init.d/ssh*", "/etc/rc.d/init.d/ssh*", "/lib/systemd/system/ssh*.service",
        "/usr/lib/systemd/system/ssh*.service",
        "/etc/systemd/system/ssh*.service",
    ]
    static let keygenWords = ["ssh-keygen", "sshd-gen-keys", "sshd-keygen"]

    /// Why new host keys appear at boot (`cloud-init (ssh module)`, `/etc/rc.d/init.d/sshd runs ssh-keygen`...),
    /// or `nil` when nothing in the image makes them.
    public static func find(
        _ files: any GuestFiles, inspection: GuestInspection, agent: AgentSettings
    ) throws(ImagePrepError) -> String? {
        if inspection.agent("WALinuxAgent") != nil, agent.regenerateSshHostKeyPair,
            agent.provisioningAgent != "disabled"
        {
            return "the agent (Provisioning.RegenerateSshHostKeyPair=y)"
        }
        if inspection.agent("cloud-init") != nil {
            let config = try files.readText("/etc/cloud/cloud.cfg", limit: 1 << 20) ?? ""
            // The ssh module is in cloud-init's default module list; a cloud.cfg that lists modules without it opts out.
            if !config.contains("cloud_init_modules") || config.contains("- ssh\n") || config.contains("- ssh\r")
                || config.contains("[ssh") || config.contains(" ssh,")
            {
                return "cloud-init (ssh module)"
            }
        }
        for unit in units where try files.exists(unit) { return unit }
        for pattern in scriptPatterns {
            for path in try files.glob(pattern) {
                guard try files.lstat(path)?.type == .regular, let text = try files.readText(path, limit: 1 << 20)
                else { continue }
                if keygenWords.contains(where: { text.contains($0) }) { return "\(path) runs ssh-keygen" }
            }
        }
        return nil
    }
}
