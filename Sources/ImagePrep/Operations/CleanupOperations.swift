import GuestConfig

/// Opt-in generalize operations beyond the agent's: cloud-init clean, machine-id, persistent network names,
/// MAC pinning, other users' history, logs, temp files and package caches (virt-sysprep's and cloud-init's
/// lists, shared/docs/generalize.md §a.2–a.5). Enable with `--only defaults,NAME,...` or `--only all`.
enum CleanupOperations {
    static let logPatterns = [
        "/var/log/*.log", "/var/log/*.log.*", "/var/log/*.log-*", "/var/log/messages*", "/var/log/secure*",
        "/var/log/maillog*", "/var/log/cron*", "/var/log/boot.log*", "/var/log/dmesg*", "/var/log/syslog*",
        "/var/log/debug*", "/var/log/btmp*", "/var/log/wtmp*", "/var/log/lastlog*", "/var/log/faillog*",
        "/var/log/tallylog*", "/var/log/spooler*", "/var/log/xferlog*", "/var/log/grubby*", "/var/log/firewalld*",
        "/var/log/audit/*", "/var/log/journal/*", "/var/log/apt/*", "/var/log/anaconda/*", "/var/log/installer/*",
        "/var/log/tuned/tuned.log", "/var/log/sa/*", "/var/lib/logrotate.status", "/root/install.log",
        "/root/install.log.syslog", "/root/anaconda-ks.cfg", "/root/anaconda-post.log", "/root/original-ks.cfg",
        "/root/initial-setup-ks.cfg",
    ]

    static let all: [PrepOperation] = [
        PrepOperation(
            "cloud-init-clean", default: false,
            "cloud-init clean --logs: /var/lib/cloud (seed kept), cloud-init logs, /etc/sudoers.d/90-cloud-init-users"
        ) { c throws(ImagePrepError) in
            if let resolved = try c.files.resolve("/var/lib/cloud"), try c.files.lstat(resolved)?.type == .directory {
                for name in try c.files.listDirectory(resolved).sorted() where name != "seed" {
                    try c.delete(PathText.join(resolved, name), "cloud-init state of the build VM's instance")
                }
            }
            for pattern in ["/var/log/cloud-init.log*", "/var/log/cloud-init-output.log*"] {
                for path in try c.files.glob(pattern) { try c.delete(path, "cloud-init log of the build VM") }
            }
            try c.delete("/etc/sudoers.d/90-cloud-init-users", "sudo rules cloud-init wrote for the build VM's user")
        },
        PrepOperation(
            "machine-id", default: true,
            "empty /etc/machine-id where systemd makes a new one at first boot (default); remove a dbus copy; without systemd only when named in --only (deletes both)"
        ) { c throws(ImagePrepError) in
            let etc = "/etc/machine-id", dbus = "/var/lib/dbus/machine-id"
            if c.inspection.systemd {
                // systemd treats an empty /etc/machine-id as "first boot": it generates a fresh id.
                if try c.files.lstat(etc)?.type == .regular {
                    try c.truncate(etc, "each clone must get its own machine id")
                }
                if try c.files.lstat(dbus)?.type == .regular {
                    try c.delete(dbus, "a copy of the machine id; dbus falls back to /etc/machine-id")
                }
            } else if c.isNamed {
                // No systemd: dbus-uuidgen --ensure (the messagebus init script) makes a new one when missing.
                for path in [etc, dbus] where try c.files.lstat(path)?.type == .regular {
                    try c.delete(path, "each clone must get its own machine id")
                }
            }
        },
        PrepOperation(
            "udev-persistent-net", default: false,
            "delete /etc/udev/rules.d/70-persistent-net.rules (NIC names pinned to the build VM's MACs)"
        ) { c throws(ImagePrepError) in
            try c.delete("/etc/udev/rules.d/70-persistent-net.rules", "pins eth0 to the build VM's MAC address")
        },
        PrepOperation(
            "hwaddr", default: false,
            "remove HWADDR= (RHEL) and LLADDR= (SUSE) from ifcfg files"
        ) { c throws(ImagePrepError) in
            for path in try c.files.glob("/etc/sysconfig/network-scripts/ifcfg-*") {
                try c.edit(path, "pins the interface to the build VM's MAC address") {
                    SysconfigNetwork.removingHardwareAddress($0, path: path).edited
                }
            }
            for path in try c.files.glob("/etc/sysconfig/network/ifcfg-*") {
                try c.edit(path, "pins the interface to the build VM's MAC address") { old in
                    var text = ShellVariableFile(old)
                    _ = text.unset("LLADDR")
                    return text.text
                }
            }
        },
        PrepOperation(
            "nm-mac", default: false,
            "remove mac-address= from NetworkManager keyfile profiles (/etc/NetworkManager/system-connections)"
        ) { c throws(ImagePrepError) in
            for path in Set(try NetworkManagerMACBinding.find(c.files).map(\.path)).sorted() {
                try c.edit(path, "binds the profile to the build VM's MAC address") {
                    NetworkManagerMACBinding.removingBindings(from: $0, path: path)
                }
            }
        },
        PrepOperation(
            "user-history", default: false,
            "delete shell history of every user (/home/*/.bash_history, .zsh_history, /root/.zsh_history)"
        ) { c throws(ImagePrepError) in
            var paths = ["/root/.zsh_history"]
            paths += try c.files.glob("/home/*/.bash_history")
            paths += try c.files.glob("/home/*/.zsh_history")
            for path in paths { try c.delete(path, "shell history of the build VM's users") }
        },
        PrepOperation("logs", default: false, "delete log files (virt-sysprep's logfiles list)") {
            c throws(ImagePrepError) in
            for pattern in logPatterns {
                for path in try c.files.glob(pattern) {
                    guard let info = try c.files.lstat(path), info.type == .regular || info.type == .directory else {
                        continue
                    }
                    try c.delete(path, "log of the build VM")
                }
            }
        },
        PrepOperation("tmp", default: false, "delete everything in /tmp and /var/tmp (the folders are kept)") {
            c throws(ImagePrepError) in
            try c.deleteContents("/tmp", "temporary files of the build VM")
            try c.deleteContents("/var/tmp", "temporary files of the build VM")
        },
        PrepOperation(
            "package-cache", default: false,
            "delete cached packages (/var/cache/apt/archives, yum, dnf, zypp: files only)"
        ) { c throws(ImagePrepError) in
            var roots = ["/var/cache/apt/archives", "/var/cache/yum", "/var/cache/dnf"]
            roots += try c.files.glob("/var/cache/zypp*")
            for root in roots {
                guard try c.files.lstat(root)?.type == .directory else { continue }
                for path in try c.files.walk(root) where try c.files.lstat(path)?.type == .regular {
                    if PathText.name(path) == "lock" { continue }
                    try c.delete(path, "downloaded package cache")
                }
            }
        },
    ]
}
