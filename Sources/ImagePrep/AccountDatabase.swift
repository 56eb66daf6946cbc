/// Edits of the account files (`/etc/passwd`, `/etc/shadow`, `/etc/group`, `/etc/gshadow`), line by line;
/// other lines are never reordered or changed.
enum AccountDatabase {
    /// The agent's locked root entry, inserted as the first line (waagent `del_root_password`).
    static let lockedRoot = "root:*LOCK*:14600::::::"

    /// The fields of the first line whose first field is `name`.
    static func entry(_ name: String, in text: String) -> [String]? {
        for line in TextLines(text).lines where line.hasPrefix(name + ":") {
            return line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        }
        return nil
    }

    /// Whether a shadow password field holds a usable hash (not empty-locked `*`, `!`, `!!`, `*LOCK*`).
    static func isPasswordHash(_ field: String) -> Bool {
        !(field.isEmpty || field.hasPrefix("!") || field.hasPrefix("*") || field == "x")
    }

    static func rootHasPassword(_ shadow: String) -> Bool {
        entry("root", in: shadow).map { $0.count > 1 && isPasswordHash($0[1]) } ?? false
    }

    /// Root's password locked the agent's way, unless it is locked already.
    static func lockRoot(_ shadow: String) -> String {
        if let fields = entry("root", in: shadow), fields.count > 1, !isPasswordHash(fields[1]), !fields[1].isEmpty {
            return shadow
        }
        var text = TextLines(shadow)
        for index in text.lines.indices.reversed() where text.lines[index].hasPrefix("root:") { text.remove(at: index) }
        text.insert(lockedRoot, at: 0)
        return text.text
    }

    /// `text` without `user`'s own line (first field) and with `user` taken out of member lists (group: field
    /// 4; gshadow: fields 3 and 4). A group named like the user is removed when no one else is in it.
    static func removeUser(_ user: String, from text: String, memberFields: [Int]) -> String {
        var lines = TextLines(text)
        var index = 0
        while index < lines.lines.count {
            let line = lines.lines[index]
            var fields = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            if fields.first == user {
                let othersInside = memberFields.contains { $0 < fields.count && fields[$0].split(separator: ",").contains { $0 != user } }
                if memberFields.isEmpty || !othersInside {
                    lines.remove(at: index)
                    continue
                }
            }
            var changed = false
            for field in memberFields where field < fields.count {
                let members = fields[field].split(separator: ",").map(String.init)
                if members.contains(user) {
                    fields[field] = members.filter { $0 != user }.joined(separator: ",")
                    changed = true
                }
            }
            if changed { lines.lines[index] = fields.joined(separator: ":") }
            index += 1
        }
        return lines.text
    }
}

/// `--delete-user`: what `userdel -f -r USER` plus the agent's sudoers cleanup do, offline.
enum UserRemoval {
    static func plan(_ user: String, in c: PlanContext) throws(ImagePrepError) {
        guard user != "root", !user.isEmpty, !user.contains(":"), !user.contains("/") else {
            c.note(.warning, "refusing to delete user '\(user)'")
            return
        }
        let passwd = try c.files.readText("/etc/passwd") ?? ""
        guard let fields = AccountDatabase.entry(user, in: passwd) else {
            c.note(.info, "user \(user) is not in /etc/passwd: nothing to delete", path: "/etc/passwd")
            return
        }
        if fields.count > 2, let uid = Int(fields[2]), uid < 1000 {
            c.note(.warning, "user \(user) has uid \(uid), a system account; deleting it as asked")
        }
        let reason = "the provisioned user \(user)"
        try c.edit("/etc/passwd", reason) { AccountDatabase.removeUser(user, from: $0, memberFields: []) }
        try c.edit(c.agent.passwordPath, reason) { AccountDatabase.removeUser(user, from: $0, memberFields: []) }
        try c.edit("/etc/group", reason) { AccountDatabase.removeUser(user, from: $0, memberFields: [3]) }
        try c.edit("/etc/gshadow", reason) { AccountDatabase.removeUser(user, from: $0, memberFields: [2, 3]) }
        if fields.count > 5 {
            let home = fields[5]
            if home.hasPrefix("/"), home != "/", PathText.components(home).count >= 2 {
                try c.deleteTree(home, "home of \(reason)")
            }
        }
        for spool in ["/var/spool/mail/\(user)", "/var/mail/\(user)"] {
            try c.delete(spool, "mail spool of \(reason)")
        }
        for path in [c.agent.sudoersDir + "/waagent", c.agent.sudoersDir + "/90-cloud-init-users"] {
            guard let text = try c.files.readText(path) else { continue }
            let lines = TextLines(text)
            let kept = lines.lines.filter { !$0.words.contains(user) && !$0.hasPrefix(user + " ") }
            guard kept.count != lines.lines.count else { continue }
            if kept.allSatisfy({ $0.trimmingSpaces.isEmpty || $0.trimmingSpaces.hasPrefix("#") }) {
                try c.delete(path, "sudo rules of \(reason)")
            } else {
                try c.edit(path, "sudo rules of \(reason)") { old in
                    var t = TextLines(old)
                    for i in t.lines.indices.reversed() where t.lines[i].words.contains(user) { t.remove(at: i) }
                    return t.text
                }
            }
        }
    }
}
