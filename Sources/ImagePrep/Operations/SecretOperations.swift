/// The opt-in `secrets` generalize operation: removes what ``SecretScan`` finds (and `check` fails on).
enum SecretOperations {
    static let all: [PrepOperation] = [
        PrepOperation(
            "secrets", default: false,
            "delete secrets check finds: hashes in /etc/shadow- and other account backups, private keys under /root and /home, cloud/tool credentials, authorized_keys (root's, other users'), every user's shell and tool histories"
        ) { c throws(ImagePrepError) in
            let report = try SecretScan(files: c.files, provisionedUser: c.inspection.provisionedUser).run()
            if let stopped = report.stoppedEarly {
                c.note(.warning, "the secret scan stopped early (\(stopped)): run generalize again for the rest")
            }
            for finding in report.findings {
                if finding.warnOnly {
                    c.note(.info, "kept \(finding.path): \(finding.detail)", path: finding.path)
                    continue
                }
                let reason = "secret of the build VM: \(finding.detail)"
                if finding.isDirectory {
                    try c.deleteTree(finding.path, reason)
                } else {
                    try c.delete(finding.path, reason)
                }
            }
        }
    ]
}
