import Testing
import _TestSupport

@testable import GuestConfig

@Suite("passwd, shadow, group, gshadow")
struct AccountTests {
    @Test func lockRootInEachStyle() throws {
        var asterisk = AccountDatabase(SystemCorpus.centos6Shadow, kind: .shadow)
        try asterisk.lockRootPassword(.asterisk)
        #expect(asterisk.text.hasPrefix("root:*:16000:0:99999:7:::\nbin:*:15980:0:99999:7:::\n"))
        #expect(asterisk.isRootPasswordLocked)

        var bang = AccountDatabase(SystemCorpus.centos6Shadow, kind: .shadow)
        try bang.lockRootPassword(.exclamationPrefix)
        #expect(bang.text.hasPrefix("root:!$6$Wq0k2x1s$"))
        let again = try bang.lockRootPassword(.exclamationPrefix)
        #expect(!again)

        // waagent drops every root line and writes its own as line 1.
        let text = "bin:*:15980:0:99999:7:::\nroot:$6$x$y:16000:0:99999:7:::\nroot:dup:1::::::\nsshd:!!:16000::::::"
        var waagent = AccountDatabase(text, kind: .shadow)
        try waagent.lockRootPassword(.waagent)
        #expect(waagent.text == "root:*LOCK*:14600::::::\nbin:*:15980:0:99999:7:::\nsshd:!!:16000::::::")
        let unchanged = try waagent.lockRootPassword(.waagent)
        #expect(!unchanged)
        #expect(waagent.isRootPasswordLocked)

        var passwd = AccountDatabase(SystemCorpus.centos6Passwd, kind: .passwd)
        #expect(throws: GuestConfigError.self) { try passwd.lockRootPassword(.asterisk) }
    }

    @Test func removeUserFromAllFour() {
        var passwd = AccountDatabase(SystemCorpus.centos6Passwd, kind: .passwd)
        var shadow = AccountDatabase(SystemCorpus.centos6Shadow, kind: .shadow)
        var group = AccountDatabase(SystemCorpus.centos6Group, kind: .group)
        var gshadow = AccountDatabase(SystemCorpus.centos6Gshadow, kind: .gshadow)
        for var db in [passwd, shadow, group, gshadow] {
            let changed = db.removeUser("azureuser")
            #expect(changed)
        }
        passwd.removeUser("azureuser")
        shadow.removeUser("azureuser")
        group.removeUser("azureuser")
        gshadow.removeUser("azureuser")
        #expect(
            passwd.text
                == SystemCorpus.centos6Passwd.replacingAll(
                    "azureuser:x:1000:1000:Azure User:/home/azureuser:/bin/bash\n", with: ""))
        #expect(!shadow.text.contains("azureuser"))
        #expect(shadow.text.hasPrefix("root:$6$"))
        #expect(group.text == "root:x:0:\nbin:x:1:bin,daemon\nwheel:x:10:root\nadm:x:4:daemon\nsshd:x:74:\n")
        #expect(gshadow.text == "root:::\nbin:::bin,daemon\nwheel:::root\nadm:!::daemon\nsshd:!::\n")
        for db in [passwd, shadow, group, gshadow] {
            var again = AccountDatabase(db.text, kind: db.kind)
            let changed = again.removeUser("azureuser")
            #expect(!changed)
        }
    }

    @Test func ownGroupWithOtherMembersIsKept() {
        var group = AccountDatabase("dev:x:1001:dev,alice\nalice:x:1002:\n", kind: .group)
        group.removeUser("dev")
        #expect(group.text == "dev:x:1001:alice\nalice:x:1002:\n")
        #expect(group.findings.contains { $0.kind == .skipped })
    }

    @Test func malformedAndSpecialLinesArePreserved() {
        let text = "# comment\nroot:x:0:0:root:/root:/bin/bash\nbroken line\n+@netgroup\n\nu:x:5:5::/home/u:/bin/sh\r\n"
        var passwd = AccountDatabase(text, kind: .passwd)
        #expect(passwd.findings.map(\.line) == [3])
        passwd.removeUser("u")
        #expect(passwd.text == "# comment\nroot:x:0:0:root:/root:/bin/bash\nbroken line\n+@netgroup\n\n")
        #expect(passwd.records.map(\.name) == ["root"])
    }

    @Test func randomRemovalsKeepOtherLinesInOrder() {
        var rng = SeededGenerator(seed: 11)
        let names = ["a", "b", "c", "d", "e", "f"]
        for _ in 0..<50 {
            let lines = names.shuffled(using: &rng).enumerated().map { index, name in
                "\(name):x:\(100 + index):" + names.filter { _ in Bool.random(using: &rng) }.joined(separator: ",")
            }
            let text = lines.joined(separator: "\n") + "\n"
            let victim = names.randomElement(using: &rng)!
            var group = AccountDatabase(text, kind: .group)
            group.removeUser(victim)
            let kept = group.records.map(\.name)
            // Order of the others is unchanged, and the victim is in no member list.
            #expect(
                kept
                    == ConfigText(text).lines.map { String($0.content.prefix { $0 != ":" }) }.filter {
                        kept.contains($0)
                    })
            #expect(!group.records.contains { AccountDatabase.members($0.fields[3]).contains(victim) })
            var again = AccountDatabase(group.text, kind: .group)
            let changed = again.removeUser(victim)
            #expect(!changed)
        }
    }
}
