import Testing
import _TestSupport

@testable import GuestConfig

/// Random garbage through every parser and editor: no crash, no hang, and a parse without edits gives the
/// input back unchanged.
@Suite("Robustness on arbitrary input")
struct RobustnessTests {
    static let alphabet: [Character] = Array("ab Z=#\"'`$()\\\t\r\n;:,.-_/{}[]ü😀") + ["\r\n"]

    static func randomText(_ rng: inout SeededGenerator) -> String {
        String((0..<Int.random(in: 0...120, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
    }

    @Test func everyEditorSurvivesGarbage() throws {
        var rng = SeededGenerator(seed: 31337)
        let edit = try KernelArgumentEdit(add: ["console=ttyS0", "rootdelay=300"], remove: ["quiet", "a"])
        for _ in 0..<400 {
            var text = Self.randomText(&rng)
            if Bool.random(using: &rng) {
                text =
                    [
                        "title x\n", "kernel /k ", "GRUB_CMDLINE_LINUX=\"", "options ", "Defaults targetpw\n", "root:",
                        "Match ",
                    ].randomElement(using: &rng)! + text
            }
            #expect(ConfigText(text).text == text)
            #expect(ShellVariableFile(text).text == text)
            #expect(WaagentConfiguration(text).text == text)
            #expect(SudoersFile(text).text == text)
            #expect(SSHDaemonConfig(text).text == text)
            for kind in AccountFileKind.allCases { #expect(AccountDatabase(text, kind: kind).text == text) }
            _ = OSRelease(text)
            _ = HostsFile(text)
            _ = FilesystemTable(text)
            _ = PersistentNetRules.rules(in: text)
            _ = HostnameFile.hostname(in: text)

            var shell = ShellVariableFile(text)
            _ = try? shell.set("K", to: "v w")
            shell.unset("Z")
            var legacy = GrubLegacyMenu(text)
            legacy.editKernelArguments(edit)
            _ = try? legacy.setTimeout(1)
            legacy.setMenuHidden(Bool.random(using: &rng))
            var defaults = Grub2Defaults(text)
            defaults.editKernelArguments(edit)
            var config = Grub2Config(text)
            config.editKernelArguments(edit)
            var bls = BootLoaderSpecEntry(text)
            bls.editKernelArguments(edit)
            var sudoers = SudoersFile(text)
            sudoers.disableTargetpw()
            sudoers.removeRules(forUser: "a")
            var sshd = SSHDaemonConfig(text)
            _ = try? sshd.setClientAliveInterval()
            var waagent = WaagentConfiguration(text)
            _ = try? waagent.set("ResourceDisk.Format", to: "n")
            var shadow = AccountDatabase(text, kind: .shadow)
            _ = try? shadow.lockRootPassword(.waagent)
            var group = AccountDatabase(text, kind: .gshadow)
            group.removeUser("a")
            var dhclient = DhclientConfig(text)
            _ = try? dhclient.sendHostName("localhost")
            if var block = try? GrubEnvironmentBlock(
                "# GRUB Environment Block\nkernelopts=" + text.filter { $0 != "\n" && $0 != "\r\n" && $0 != "\\" }
                    + "\n" + String(repeating: "#", count: 600))
            {
                _ = try? block.editKernelArguments(edit)
                #expect(block.text.utf8.count == block.size)
            }
            // Diffs of every result render without trapping.
            for result in [
                shell.result, legacy.result, defaults.result, config.result, bls.result, sudoers.result, sshd.result,
                waagent.result, shadow.result, group.result, dhclient.result,
            ] {
                let diff = result.unifiedDiff()
                #expect(diff.isEmpty == !result.changed)
            }
        }
    }

    @Test func bytesThatAreNotUTF8AreRefused() {
        var rng = SeededGenerator(seed: 1)
        for _ in 0..<200 {
            let bytes = (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let valid = String(validating: bytes, as: UTF8.self)
            let ours = try? ConfigText.decode(bytes)
            #expect(ours == valid)
        }
    }
}
