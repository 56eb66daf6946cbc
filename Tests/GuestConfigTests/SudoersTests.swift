import Testing
import _TestSupport

@testable import GuestConfig

@Suite("sudoers")
struct SudoersTests {
    @Test func slesTargetpwPairIsCommentedOutAndVisudoAccepts() throws {
        let (before, beforeOutput) = try Oracle.visudo(SystemCorpus.sles15Sudoers)
        #expect(before == 0, "\(beforeOutput)")
        var file = SudoersFile(SystemCorpus.sles15Sudoers, path: "/etc/sudoers")
        #expect(file.includes.map(\.directive) == ["@includedir"])
        #expect(file.includes.first?.target == "/etc/sudoers.d")
        #expect(file.findings.contains { $0.kind == .include })
        let changed = file.disableTargetpw()
        #expect(changed)
        #expect(file.text == SystemCorpus.sles15SudoersEdited)
        let (status, output) = try Oracle.visudo(file.text)
        #expect(status == 0, "\(output)")
        var again = SudoersFile(file.text)
        let changedAgain = again.disableTargetpw()
        #expect(!changedAgain)
    }

    @Test func includeIsNotAComment() throws {
        let file = SudoersFile(SystemCorpus.centos7Sudoers)
        #expect(file.includes.map(\.directive) == ["#includedir"])
        #expect(file.includes.first?.isDirectory == true)
        #expect(!SudoersFile.isComment("#includedir /etc/sudoers.d"))
        #expect(!SudoersFile.isComment("#include /etc/sudoers.local"))
        #expect(SudoersFile.isComment("# includedir is a comment with a space"))
        #expect(!SudoersFile.isComment("#1000 ALL=(ALL) ALL"))
        var edited = file
        let changed = edited.disableTargetpw()
        #expect(!changed)
        #expect(edited.text == SystemCorpus.centos7Sudoers)
        let (status, output) = try Oracle.visudo(edited.text)
        #expect(status == 0, "\(output)")
    }

    @Test func continuedTargetpwLineIsCommentedOnEveryPhysicalLine() throws {
        let text = "Defaults \\\n    targetpw\nALL ALL = (ALL) ALL\nroot ALL=(ALL) ALL\n"
        #expect(try Oracle.visudo(text).0 == 0)
        var file = SudoersFile(text)
        file.disableTargetpw()
        #expect(file.text == "# Defaults \\\n#     targetpw\n# ALL ALL = (ALL) ALL\nroot ALL=(ALL) ALL\n")
        let (status, output) = try Oracle.visudo(file.text)
        #expect(status == 0, "\(output)")
    }

    @Test func targetpwWithOtherOptionsIsReportedNotChanged() throws {
        let text = "Defaults targetpw, env_reset\nALL ALL=(ALL) ALL\n"
        var file = SudoersFile(text)
        file.disableTargetpw()
        // targetpw stays in effect, so its paired rule stays too: nothing changes, and the line is reported.
        #expect(file.findings.contains { $0.kind == .skipped && $0.line == 1 })
        #expect(file.text == text)
        #expect(try Oracle.visudo(file.text).0 == 0)
    }

    @Test func crlfAndNoFinalNewline() throws {
        var file = SudoersFile("Defaults targetpw\r\nALL ALL=(ALL) ALL")
        file.disableTargetpw()
        #expect(file.text == "# Defaults targetpw\r\n# ALL ALL=(ALL) ALL")
        let (status, output) = try Oracle.visudo(file.text)
        #expect(status == 0, "\(output)")
    }

    @Test func removingAProvisionedUsersRules() throws {
        let text = "# Created by waagent\nazureuser ALL=(ALL) NOPASSWD: ALL\nother ALL=(ALL) ALL\n"
        var file = SudoersFile(text, path: "/etc/sudoers.d/waagent")
        let removed = file.removeRules(forUser: "azureuser")
        #expect(removed)
        #expect(file.text == "# Created by waagent\nother ALL=(ALL) ALL\n")
        #expect(try Oracle.visudo(file.text).0 == 0)
    }

    @Test func randomSudoersEditsStayValid() throws {
        var rng = SeededGenerator(seed: 5)
        let pieces = [
            "Defaults targetpw", "ALL   ALL=(ALL) ALL", "root ALL=(ALL) ALL", "# a comment", "",
            "Defaults env_reset", "%wheel ALL=(ALL) ALL", "#includedir /etc/sudoers.d",
            "Defaults env_keep = \"LANG \\\n    LC_ALL\"", "Defaults targetpw # trailing",
        ]
        for _ in 0..<8 {
            let text = (0..<Int.random(in: 1...8, using: &rng)).map { _ in pieces.randomElement(using: &rng)! + "\n" }
                .joined()
            guard try Oracle.visudo(text).0 == 0 else { continue }
            var file = SudoersFile(text)
            file.disableTargetpw()
            let (status, output) = try Oracle.visudo(file.text)
            #expect(status == 0, "\(text) -> \(file.text): \(output)")
            #expect(!file.text.split(separator: "\n").contains { $0.hasPrefix("Defaults targetpw") })
            #expect(
                unchangedLinesPreserved(old: text, new: file.text) { line in
                    line.content.hasPrefix("Defaults targetpw") || line.content.hasPrefix("ALL")
                })
        }
    }
}
