import GuestConfig

/// The secret verdicts: every secret the scan finds fails (`secrets.<kind>`, one result per path; the
/// provisioned user's own `authorized_keys` warn), and one `secrets` line says what was scanned.
extension ReadinessChecker {
    static let secretRequirements: [SecretFinding.Kind: String] = [
        .passwordBackup: "no password hashes in account-file backups (/etc/shadow-, *.rpmsave, *.dpkg-old)",
        .privateKey: "no private keys under /root or /home",
        .credentials:
            "no cloud or tool credentials in any home (~/.azure, ~/.aws/credentials, ~/.docker/config.json...)",
        .authorizedKeys: "no authorized_keys of root or of users other than the provisioned one",
        .history: "no shell or tool history in any home (bash, zsh, fish, python, mysql, psql, less, vim)",
    ]

    func secretResults() throws(ImagePrepError) -> [CheckResult] {
        let report = try SecretScan(files: files, provisionedUser: inspection.provisionedUser).run()
        return Self.secretResults(report)
    }

    /// The results for a finished scan.
    public static func secretResults(_ report: SecretScan.Report) -> [CheckResult] {
        var results: [CheckResult] = report.findings.map { finding in
            CheckResult(
                "secrets.\(finding.kind.rawValue)", finding.warnOnly ? .warn : .fail,
                secretRequirements[finding.kind] ?? "no secrets of the build VM", finding.detail, path: finding.path)
        }
        let failing = report.findings.filter { !$0.warnOnly }.count
        let verdict: CheckResult.Verdict = report.stoppedEarly != nil ? .warn : .pass
        results.append(
            CheckResult(
                "secrets", failing > 0 ? .fail : verdict,
                "no secrets of the build VM (keys, credentials, hashes, histories); scan bounded in time and bytes",
                (failing > 0 ? "\(failing) found (generalize --only defaults,secrets removes them); " : "none found; ")
                    + report.coverage))
        return results
    }
}
