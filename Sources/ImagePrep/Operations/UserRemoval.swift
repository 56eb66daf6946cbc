import GuestConfig

/// Account-file helpers over GuestConfig's ``AccountDatabase``.
enum Accounts {
    /// Whether root can log in with a password (a hash, or an empty field).
    static func rootHasPassword(_ shadow: String) -> Bool {
        let database = AccountDatabase(shadow, kind: .shadow)
        return database.record(named: "root") != nil && !database.isRootPasswordLocked
    }

    /// Root locked the agent's way (`root:*LOCK*:14600::::::` as line 1), unless it is locked already.
    static func lockRoot(_ shadow: String) -> String {
        var database = AccountDatabase(shadow, kind: .shadow)
        if database.isRootPasswordLocked { return shadow }
        _ = try? database.lockRootPassword(.waagent)
        return database.text
    }

    /// `text` (of `kind`) without `user`.
    static func removing(_ user: String, from text: String, kind: AccountFileKind) -> String {
        var database = AccountDatabase(text, kind: kind)
        database.removeUser(user)
        return database.text
    }
}

/// `--delete-user`: what `userdel -f -r USER` plus the agent's sudoers cleanup do, offline.
enum UserRemoval {
    static func plan(_ user: String, in c: PlanContext) throws(ImagePrepError) {
        guard user != "root", !user.isEmpty, !user.contains(":"), !user.contains("/"), !user.contains(",") else {
            c.note(.warning, "refusing to delete user '\(user)'")
            return
        }
        let passwd = try c.files.readText("/etc/passwd") ?? ""
        guard let record = AccountDatabase(passwd, kind: .passwd).record(named: user) else {
            c.note(.info, "user \(user) is not in /etc/passwd: nothing to delete", path: "/etc/passwd")
            return
        }
        let fields = record.fields
        if fields.count > 2, let uid = Int(fields[2]), uid < 1000 {
            c.note(.warning, "user \(user) has uid \(uid), a system account; deleting it as asked")
        }
        let reason = "the provisioned user \(user)"
        for (path, kind) in [
            ("/etc/passwd", AccountFileKind.passwd), (c.agent.passwordPath, .shadow),
            ("/etc/group", .group), ("/etc/gshadow", .gshadow),
        ] {
            try c.edit(path, reason) { Accounts.removing(user, from: $0, kind: kind) }
        }
        if fields.count > 5 {
            // Like userdel -r, but only a home the user owns, two levels deep or more (never /, /home, /usr...).
            let home = fields[5]
            let uid = fields.count > 2 ? UInt32(fields[2]) : nil
            if home.hasPrefix("/"), PathText.components(home).count >= 2, let info = try c.files.lstat(home) {
                if info.type == .directory, let uid, info.uid == uid {
                    try c.deleteTree(home, "home of \(reason)")
                } else {
                    c.note(
                        .warning,
                        "home \(home) is not a directory owned by uid \(uid.map(String.init) ?? "?"): left alone",
                        path: home)
                }
            }
        }
        for spool in ["/var/spool/mail/\(user)", "/var/mail/\(user)"] {
            try c.delete(spool, "mail spool of \(reason)")
        }
        for path in [c.agent.sudoersDir + "/waagent", c.agent.sudoersDir + "/90-cloud-init-users"] {
            guard let text = try c.files.readText(path) else { continue }
            var sudoers = SudoersFile(text, path: path)
            guard sudoers.removeRules(forUser: user) else { continue }
            let remaining = ConfigText(sudoers.text).contents.map(\.trimmingSpaces)
            if remaining.allSatisfy({ $0.isEmpty || ($0.hasPrefix("#") && !$0.hasPrefix("#include")) }) {
                try c.delete(path, "sudo rules of \(reason)")
            } else {
                try c.edit(path, "sudo rules of \(reason)") { _ in sudoers.text }
            }
        }
    }
}
