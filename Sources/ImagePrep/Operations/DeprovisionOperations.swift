import GuestConfig

/// The default generalize operations: what `waagent -deprovision` does, gated by the image's own
/// `/etc/waagent.conf` (agent code defaults for absent keys). See shared/docs/generalize.md §a.1–a.4.
enum DeprovisionOperations {
    static let hostname = "localhost.localdomain"

    static let all: [PrepOperation] = [
        PrepOperation(
            "ssh-hostkeys", default: true,
            "delete /etc/ssh/ssh_host_*key* when Provisioning.RegenerateSshHostKeyPair=y (agent default n)"
        ) { c throws(ImagePrepError) in
            let keys = try c.files.glob(c.agent.sshDir + "/ssh_host_*key*")
            guard c.agent.regenerateSshHostKeyPair || c.isNamed else {
                if !keys.isEmpty {
                    c.note(
                        .info,
                        "\(keys.count) host key file(s) kept: Provisioning.RegenerateSshHostKeyPair is not y"
                            + (c.agent.path == nil ? " (no waagent.conf; agent default n)" : "")
                            + "; name ssh-hostkeys in --only to delete them anyway", path: c.agent.path)
                }
                return
            }
            guard !keys.isEmpty else { return }
            guard let regenerator = try HostKeyRegenerator.find(c.files, inspection: c.inspection, agent: c.agent)
            else {
                c.note(
                    .warning,
                    "\(keys.count) host key file(s) kept: nothing in the image makes new ones at boot (no agent with RegenerateSshHostKeyPair=y, no cloud-init, no sshd-keygen unit or init script running ssh-keygen), and sshd without host keys does not start"
                )
                return
            }
            let gate =
                c.agent.regenerateSshHostKeyPair
                ? "" : " (named in --only; waagent.conf's RegenerateSshHostKeyPair=n would keep them)"
            for key in keys {
                try c.delete(key, "host keys are private to the build VM; \(regenerator) makes new ones at boot" + gate)
            }
        },
        PrepOperation(
            "dhcp-leases", default: true,
            "delete DHCP client leases (/var/lib/dhclient, /var/lib/dhcpcd, /var/lib/dhcp contents; NetworkManager leases)"
        ) { c throws(ImagePrepError) in
            for folder in ["/var/lib/dhclient", "/var/lib/dhcpcd", "/var/lib/dhcp"] {
                try c.deleteContents(folder, "DHCP leases of the build VM")
            }
            for pattern in [
                "/var/db/dhclient.leases.*", "/var/lib/NetworkManager/dhclient-*.lease",
                "/var/lib/NetworkManager/internal-*.lease",
            ] {
                for path in try c.files.glob(pattern) { try c.delete(path, "DHCP leases of the build VM") }
            }
        },
        PrepOperation(
            "hostname", default: true,
            "hostname to localhost.localdomain: /etc/hostname, /etc/HOSTNAME, sysconfig HOSTNAME, ifcfg DHCP_HOSTNAME, dhclient.conf"
        ) { c throws(ImagePrepError) in
            for path in ["/etc/hostname", "/etc/HOSTNAME"] {
                try c.edit(path, "generic hostname; Azure sets the VM's name at provisioning") { old in
                    old.trimmingSpaces.trimmingCharacters("\n") == hostname ? old : hostname + "\n"
                }
            }
            try c.edit("/etc/sysconfig/network", "generic hostname (RHEL 6 style)") { old in
                var text = ShellVariableFile(old)
                if text.value(of: "HOSTNAME") != nil { _ = try? text.set("HOSTNAME", to: hostname) }
                return text.text
            }
            for path in try c.files.glob("/etc/sysconfig/network-scripts/ifcfg-*") {
                try c.edit(path, "the build VM's DHCP hostname") {
                    SysconfigNetwork.removingHostname($0, path: path).edited
                }
            }
            for path in ["/etc/dhcp/dhclient.conf", "/etc/dhcp3/dhclient.conf", "/etc/dhclient.conf"] {
                guard try c.files.exists(path) else { continue }
                try c.edit(path, "DHCP requests send the generic hostname") { old in
                    DhclientConf.sendGenericHostName(old)
                }
                break
            }
        },
        PrepOperation(
            "root-password", default: true,
            "lock root's password (root:*LOCK*) when Provisioning.DeleteRootPassword=y (agent default n)"
        ) { c throws(ImagePrepError) in
            let path = c.agent.passwordPath
            guard c.agent.deleteRootPassword || c.isNamed else {
                if let text = try c.files.readText(path), Accounts.rootHasPassword(text) {
                    c.note(
                        .info,
                        "root's password kept: Provisioning.DeleteRootPassword is not y; name root-password in --only to lock it anyway",
                        path: c.agent.path)
                }
                return
            }
            let gate =
                c.agent.deleteRootPassword
                ? "" : " (named in --only; waagent.conf's DeleteRootPassword=n would keep it)"
            try c.edit(path, "no default credentials in a published image" + gate) { Accounts.lockRoot($0) }
        },
        PrepOperation(
            "agent-state", default: true,
            "delete the agent's state (Lib.Dir /var/lib/waagent) and extension logs (Extension.LogDir /var/log/azure)"
        ) { c throws(ImagePrepError) in
            try c.deleteTree(c.agent.libDir, "ovf-env.xml, certificates, goal state and extensions of the build VM")
            try c.deleteTree(c.agent.extensionLogDir, "extension logs of the build VM")
        },
        PrepOperation("root-history", default: true, "delete /root/.bash_history") { c throws(ImagePrepError) in
            try c.delete("/root/.bash_history", "root's shell history")
        },
        PrepOperation("agent-log", default: true, "delete /var/log/waagent.log") { c throws(ImagePrepError) in
            try c.delete("/var/log/waagent.log", "the agent's log of the build VM")
        },
        PrepOperation(
            "resolv-conf", default: true,
            "delete /etc/resolv.conf, unless it is a symlink owned by systemd-resolved or resolvconf"
        ) { c throws(ImagePrepError) in
            let path = "/etc/resolv.conf"
            guard let info = try c.files.lstat(path) else { return }
            guard info.type == .symlink else {
                try c.delete(path, "the build VM's DNS servers; DHCP writes it at boot")
                return
            }
            let target = try c.files.readLink(path)
            if target.contains("systemd/resolve") {
                c.note(
                    .info, "resolv.conf is a symlink owned by systemd-resolved (→ \(target)): left alone", path: path)
            } else if target.contains("resolvconf") {
                c.note(
                    .info,
                    "resolv.conf is a symlink owned by resolvconf (→ \(target)): left alone; its static parts are cleared",
                    path: path)
                for part in ["/etc/resolvconf/resolv.conf.d/tail", "/etc/resolvconf/resolv.conf.d/original"] {
                    try c.delete(part, "resolvconf's copy of the build VM's DNS settings")
                }
            } else {
                c.note(
                    .warning,
                    "resolv.conf is a symlink to \(target), not owned by systemd-resolved or resolvconf: left alone",
                    path: path)
            }
        },
        PrepOperation(
            "agent-units", default: true,
            "delete the agent's firewall setup unit and cgroup drop-ins"
        ) { c throws(ImagePrepError) in
            for dir in ["/lib/systemd/system", "/usr/lib/systemd/system", "/etc/systemd/system"] {
                for service in ["waagent", "walinuxagent"] {
                    try c.delete("\(dir)/\(service)-network-setup.service", "written by the agent at runtime")
                    for dropIn in [
                        "10-Slice.conf", "11-CPUAccounting.conf", "12-CPUQuota.conf", "13-MemoryAccounting.conf",
                    ] {
                        try c.delete("\(dir)/\(service).service.d/\(dropIn)", "written by the agent at runtime")
                    }
                }
                try c.delete("\(dir)/azure-walinuxagent-logcollector.slice", "written by the agent at runtime")
            }
        },
        PrepOperation(
            "delete-user", default: false,
            "remove the provisioned user (ovf-env.xml UserName, or --user): passwd/shadow/group/gshadow, home, mail spool, sudoers.d lines"
        ) { c throws(ImagePrepError) in
            let users = c.usersToDelete.isEmpty ? [c.userToDelete].compactMap { $0 } : c.usersToDelete
            guard !users.isEmpty else {
                c.note(
                    .warning,
                    "no user to delete: no UserName in /var/lib/waagent/ovf-env.xml, no user of the agent's sudoers entry with a home, and no --user"
                )
                return
            }
            for user in users { try UserRemoval.plan(user, in: c) }
        },
    ]
}

/// Edits of `dhclient.conf` through GuestConfig's ``DhclientConfig``.
enum DhclientConf {
    /// Makes DHCP send `localhost.localdomain` unless the file already sends the running hostname.
    static func sendGenericHostName(_ old: String) -> String {
        var config = DhclientConfig(old)
        _ = try? config.sendHostName(DeprovisionOperations.hostname)
        return config.text
    }
}

extension String {
    func trimmingCharacters(_ set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return String(s)
    }
}
