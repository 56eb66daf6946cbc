public import Ext4

/// `check`'s `selinux.labels` verdict: on a guest that labels files (SELinux enforcing or permissive), every
/// inode under the folders vhdedit and image tools write (`/etc`, `/root`, `/home`, `/var/lib`) carries a
/// `security.selinux` label. An unlabelled file is `unlabeled_t` to the booted policy, and confined services
/// (sshd, NetworkManager, udev, cloud-init) may be denied it.
public enum SELinuxLabelAudit {
    /// The folders looked at.
    public static let folders = ["/etc", "/root", "/home", "/var/lib"]
    /// The most inodes looked at (the walk stops there and says so).
    public static let inodeLimit = 50_000

    /// The verdict for the guest on `filesystem`.
    public static func result(filesystem: Ext4FileSystem) throws(ImagePrepError) -> CheckResult {
        let requirement = "every inode under /etc, /root, /home, /var/lib labelled (SELinux guests)"
        guard let config = try GuestSELinuxLabeler.configuration(of: filesystem), config.labelsFiles else {
            return CheckResult("selinux.labels", .pass, requirement, "SELinux not enabled in /etc/selinux/config")
        }
        var unlabelled: [String] = []
        var looked = 0
        var truncated = false
        do {
            walk: for folder in folders {
                let path = try GuestPath(folder)
                guard try filesystem.exists(path, followSymlinks: false),
                    try filesystem.lstat(path).kind == .directory
                else { continue }
                for entry in try [
                    DirectoryEntry(
                        name: path.lastComponent ?? GuestName("/"), path: path,
                        inode: filesystem.lstat(path).inode, kind: .directory,
                        status: filesystem.lstat(path))
                ]
                    + filesystem.list(path, recursive: true)
                {
                    looked += 1
                    if looked > inodeLimit { truncated = true; break walk }
                    if try filesystem.securityLabel(of: entry) == nil { unlabelled.append(entry.path.description) }
                }
            }
        } catch {
            throw ImagePrepError(.filesystem, "cannot read the labels of the guest's files", cause: "\(error)")
        }
        let scope = "\(min(looked, inodeLimit)) inodes\(truncated ? " (stopped at the limit)" : "")"
        guard !unlabelled.isEmpty else {
            return CheckResult(
                "selinux.labels", .pass, requirement, "all \(scope) labelled (SELINUX=\(config.mode!.rawValue))")
        }
        let shown = unlabelled.prefix(5).joined(separator: ", ") + (unlabelled.count > 5 ? ", ..." : "")
        return CheckResult(
            "selinux.labels", .warn, requirement,
            "\(unlabelled.count) of \(scope) unlabelled: \(shown); relabel at first boot with generalize --selinux-relabel",
            path: unlabelled[0])
    }
}
