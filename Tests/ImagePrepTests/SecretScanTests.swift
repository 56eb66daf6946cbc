import Foundation
import ImagePrep
import Testing
import _TestSupport

/// One CentOS 6 disk with a secret of every kind planted by `debugfs -w` (and look-alikes that are not
/// secrets), built once per test process; tests work on copies.
enum SecretFixture {
    static let offset: UInt64 = 1 << 20
    static let openssh =
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n"
    static let pemAfterText =
        "Bag Attributes\n    friendlyName: deploy\nsubject=/CN=deploy\n-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0123\n\nMIIEpAIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB\n-----END RSA PRIVATE KEY-----\n"
    static let putty =
        "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: deploy\nPublic-Lines: 2\nAAAAC3NzaC1lZDI1NTE5AAAAIDx\n"
    static let pkcs8 =
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n"

    /// Guest path → contents planted (directories are made on the way).
    static let planted: [String: String] = [
        "/etc/shadow-": "root:$6$Vx8yQe0r$KqGJ7w3bB7x8d3N2v5b1M0aWq9Xy:19000:0:99999:7:::\nbin:*:17834:0:99999:7:::\n",
        "/etc/passwd.rpmsave": "root:$1$abcdefgh$0123456789abcdefghij.:0:0:root:/root:/bin/bash\n",
        "/etc/gshadow-": "root:::\nwheel:::azureuser\n",
        "/root/.ssh/id_rsa": openssh,
        "/root/.ssh/authorized_keys": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDx root@build\n",
        "/root/.my.cnf": "[client]\nuser=root\n",
        "/root/.psql_history": "select * from users;\n",
        "/home/builder/notes/deploy.txt": pemAfterText,
        "/home/builder/work/deploy.ppk": putty,
        "/home/builder/work/tls/server.key": pkcs8,
        "/home/builder/id_ed25519.pub": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDx builder@build\n",
        "/home/builder/.aws/credentials":
            "[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n",
        "/home/builder/.docker/config.json":
            "{\n  \"auths\": {\n    \"registry.example.com\": { \"auth\": \"dXNlcjpwYXNz\" }\n  }\n}\n",
        "/home/builder/.my.cnf": "[client]\nuser=builder\npassword=hunter2\n",
        "/home/builder/.azure/msal_token_cache.json": "{\"AccessToken\": {}}\n",
        "/home/builder/.kube/config": "apiVersion: v1\nusers:\n- name: admin\n  user:\n    token: abc\n",
        "/home/builder/.git-credentials": "https://builder:ghp_token@github.com\n",
        "/home/builder/.netrc": "machine example.com login builder password hunter2\n",
        "/home/builder/.pgpass": "db.example.com:5432:*:builder:hunter2\n",
        "/home/builder/.ssh/authorized_keys": "ssh-rsa AAAAB3NzaC1yc2E builder@laptop\n",
        "/home/builder/.python_history": "import os\n",
        "/home/builder/.local/share/fish/fish_history": "- cmd: ls\n  when: 1700000000\n",
        "/home/azureuser/.ssh/authorized_keys": "ssh-rsa AAAAB3NzaC1yc2E azureuser@laptop\n",
    ]
    /// A 2 MiB file that starts with key armor: over the key-check size limit, so not opened.
    static let bigFile = "/home/builder/big.bin"

    /// The secrets check must name, by kind.
    static let expected: [String: String] = [
        "/etc/shadow-": "password-backup", "/etc/passwd.rpmsave": "password-backup",
        "/root/.ssh/id_rsa": "private-key", "/home/builder/notes/deploy.txt": "private-key",
        "/home/builder/work/deploy.ppk": "private-key", "/home/builder/work/tls/server.key": "private-key",
        "/home/builder/.aws/credentials": "credentials", "/home/builder/.docker/config.json": "credentials",
        "/home/builder/.my.cnf": "credentials", "/home/builder/.azure": "credentials",
        "/home/builder/.kube/config": "credentials",
        "/home/builder/.git-credentials": "credentials", "/home/builder/.netrc": "credentials",
        "/home/builder/.pgpass": "credentials",
        "/root/.ssh/authorized_keys": "authorized-keys", "/home/builder/.ssh/authorized_keys": "authorized-keys",
        "/home/azureuser/.ssh/authorized_keys": "authorized-keys",
        "/root/.bash_history": "history", "/root/.psql_history": "history", "/home/azureuser/.bash_history": "history",
        "/home/builder/.bash_history": "history", "/home/builder/.python_history": "history",
        "/home/builder/.local/share/fish/fish_history": "history",
    ]

    private static let built: Result<(TemporaryDirectory, String), any Error> = Result {
        let work = try TemporaryDirectory(prefix: "vhdedit-secrets")
        let raw = work.file("secrets.raw")
        try ExternalTool.check(["cp", "--sparse=always", try TestImageFarm.folder() + "/centos6.raw", raw])
        var script = ""
        var made = Set<String>()
        for (index, (path, text)) in planted.sorted(by: { $0.key < $1.key }).enumerated() {
            let host = work.file("plant-\(index)")
            try text.write(toFile: host, atomically: true, encoding: .utf8)
            var parent = ""
            for part in path.split(separator: "/").dropLast() {
                parent += "/" + part
                if made.insert(parent).inserted { script += "mkdir \(parent)\n" }
            }
            script += "write \(host) \(path)\n"
        }
        let big = work.file("big")
        try (SecretFixture.openssh + String(repeating: "x", count: 2 << 20)).write(
            toFile: big, atomically: true, encoding: .utf8)
        script += "write \(big) \(bigFile)\n"
        let commands = work.file("plant.debugfs")
        try script.write(toFile: commands, atomically: true, encoding: .utf8)
        try ExternalTool.check(["debugfs", "-w", "-f", commands, "\(raw)?offset=\(offset)"])
        return (work, raw)
    }

    /// A fresh copy of the planted disk.
    static func copy(to directory: TemporaryDirectory) throws -> String {
        let destination = directory.file("secrets-\(UUID().uuidString).raw")
        try ExternalTool.check(["cp", "--sparse=always", try built.get().1, destination])
        return destination
    }

    /// `debugfs -R "stat PATH"` succeeds (the path exists in the guest).
    static func exists(_ raw: String, _ path: String) throws -> Bool {
        let result = try ExternalTool.run(["debugfs", "-R", "stat \"\(path)\"", "\(raw)?offset=\(offset)"])
        return result.status == 0 && !result.stderr.contains("not found") && result.output.contains("Inode:")
    }
}

@Suite struct SecretScanTests {
    @Test func checkNamesEveryPlantedSecretAndNothingElse() throws {
        let work = try TemporaryDirectory()
        let raw = try SecretFixture.copy(to: work)
        // debugfs sees every planted file before the scan (the fixture is what the test thinks it is).
        for path in SecretFixture.planted.keys { #expect(try SecretFixture.exists(raw, path), "\(path)") }
        let hash = try FileDigest.sha256(raw)
        let report = try ImagePreparation.check(raw)
        #expect(try FileDigest.sha256(raw) == hash)
        let secrets = report.results.filter { $0.id.hasPrefix("secrets.") }
        var found: [String: String] = [:]
        for result in secrets { found[result.path ?? ""] = String(result.id.dropFirst("secrets.".count)) }
        #expect(found == SecretFixture.expected)
        // The provisioned user's own keys only warn; everything else fails.
        for result in secrets {
            #expect(
                result.verdict == (result.path == "/home/azureuser/.ssh/authorized_keys" ? .warn : .fail),
                "\(result.text)")
            #expect(!result.evidence.contains("hunter2") && !result.evidence.contains("$6$"), "\(result.text)")
        }
        let summary = try #require(report.results.first { $0.id == "secrets" })
        #expect(summary.verdict == .fail)
        #expect(summary.evidence.contains("1 file over 1 MiB not opened"), "\(summary.evidence)")
        #expect(summary.evidence.contains("/root, /home"))
        #expect(!report.passed)
    }

    @Test func generalizeRemovesThemOnceAndCheckAgrees() throws {
        let work = try TemporaryDirectory()
        let raw = try SecretFixture.copy(to: work)
        let options = Generalizer.Options(selection: OperationSelection(only: ["secrets"]))
        let report = try ImagePreparation.generalize(raw, options: options, dryRun: false)
        #expect(
            Set(report.changes.map(\.path))
                == Set(SecretFixture.expected.keys).subtracting(["/home/azureuser/.ssh/authorized_keys"]))
        #expect(report.changes.first { $0.path == "/home/builder/.azure" }?.action == .deleteTree)
        for (path, _) in SecretFixture.expected {
            #expect(try SecretFixture.exists(raw, path) == (path == "/home/azureuser/.ssh/authorized_keys"), "\(path)")
        }
        // What is not a secret stays: the public key, the password-less .my.cnf, the hash-free gshadow-, the big file.
        for path in [
            "/home/builder/id_ed25519.pub", "/root/.my.cnf", "/etc/gshadow-", SecretFixture.bigFile, "/etc/shadow",
        ] {
            #expect(try SecretFixture.exists(raw, path), "\(path)")
        }
        let fsck = try Fixtures.fsck(raw, offset: SecretFixture.offset)
        #expect(fsck.status == 0, "\(fsck.output)")
        // A second run plans nothing; check now passes the secret lines (the provisioned user's keys warn).
        #expect(try ImagePreparation.generalize(raw, options: options, dryRun: true).changes.isEmpty)
        let check = try ImagePreparation.check(raw)
        #expect(check.results.filter { $0.id.hasPrefix("secrets") && $0.verdict == .fail }.isEmpty)
        #expect(check.results.first { $0.id == "secrets" }?.verdict == .pass)
        // With the user deleted too, nothing is left to warn about.
        _ = try ImagePreparation.generalize(
            raw, options: Generalizer.Options(selection: OperationSelection(only: ["secrets"]), deleteUser: true),
            dryRun: false)
        #expect(try !SecretFixture.exists(raw, "/home/azureuser/.ssh/authorized_keys"))
        #expect(try ImagePreparation.check(raw).results.filter { $0.id.hasPrefix("secrets.") }.isEmpty)
    }

    @Test func boundsStopTheScanAndSaySo() throws {
        let files = MemoryGuestFiles([:])
        for index in 0..<50 { files.addFile("/home/u/f\(index)", String(repeating: "a", count: 100)) }
        files.addFile("/home/u/zz_key", SecretFixture.openssh)
        var limits = SecretScan.Limits()
        limits.maxBytes = 1000
        let stopped = try SecretScan(files: files, provisionedUser: nil, limits: limits).run()
        #expect(stopped.stoppedEarly != nil && stopped.bytesRead >= 1000 && stopped.bytesRead < 1200)
        #expect(stopped.findings.isEmpty)
        let full = try SecretScan(files: files, provisionedUser: nil).run()
        #expect(full.stoppedEarly == nil && full.filesRead == 51)
        #expect(full.findings.map(\.path) == ["/home/u/zz_key"])
        let results = ReadinessChecker.secretResults(stopped)
        #expect(results.last?.verdict == .warn && results.last?.evidence.contains("stopped early") == true)
    }
}
