import Testing
import _TestSupport

@testable import GuestConfig

/// Random edit sequences with a seeded generator: lines no edit names stay byte-identical, and replaying
/// the same sequence on the output changes nothing.
@Suite("Properties: untouched lines, idempotence")
struct PropertyTests {
    /// Variants of a corpus text: as is, CRLF, and without its final newline.
    static func variants(_ text: String) -> [String] {
        [text, text.replacingAll("\n", with: "\r\n"), String(text.dropLast())]
    }

    @Test func shellFilesRandomSetUnset() throws {
        var rng = SeededGenerator(seed: 2024)
        let corpora = [
            SystemCorpus.centos7IfcfgEth0, SystemCorpus.sles15IfcfgEth0, SystemCorpus.sles15SysconfigDhcp,
            BootCorpus.ubuntu1204DefaultGrub, BootCorpus.centos7DefaultGrub,
        ]
        let keys = ["BOOTPROTO", "ONBOOT", "HWADDR", "NEW_KEY", "ZONE", "GRUB_TIMEOUT", "DHCLIENT_SET_HOSTNAME"]
        let values = ["dhcp", "yes", "no", "two words", "", "a'b", "x\"y", "$HOME"]
        for corpus in corpora {
            for text in Self.variants(corpus) {
                for _ in 0..<10 {
                    // One operation per key: `config set A=1 B=2` / `config unset C` shapes. (Unset then set of
                    // one key moves it to the end, so such a pair is not idempotent as a sequence.)
                    var operations: [(String, String?)] = []
                    for key in keys.shuffled(using: &rng).prefix(Int.random(in: 1...5, using: &rng)) {
                        operations.append((key, Bool.random(using: &rng) ? values.randomElement(using: &rng)! : nil))
                    }
                    func run(_ input: String) throws -> String {
                        var file = ShellVariableFile(input)
                        for (key, value) in operations {
                            if let value { try file.set(key, to: value) } else { file.unset(key) }
                        }
                        return file.text
                    }
                    let once = try run(text)
                    #expect(try run(once) == once, "idempotence: \(operations)")
                    let touched = Set(operations.map(\.0))
                    #expect(
                        unchangedLinesPreserved(old: text, new: once) { line in
                            touched.contains { line.content.hasPrefix($0 + "=") } || line.terminator == .none
                        }, "\(operations)")
                    // The terminators of surviving lines are the file's own.
                    if text.contains("\r\n") { #expect(!once.replacingAll("\r\n", with: "").contains("\n")) }
                }
            }
        }
    }

    @Test func bootloaderRandomKernelEdits() throws {
        var rng = SeededGenerator(seed: 77)
        let pool = [
            "quiet", "rhgb", "console=ttyS0", "console=tty1", "rootdelay=300", "crashkernel=auto",
            "crashkernel", "earlyprintk=ttyS0", "net.ifnames=0", "splash", "nomodeset",
        ]
        let corpora: [(String, String)] = [
            ("/boot/grub/grub.conf", BootCorpus.centos6GrubConf), ("/boot/grub/menu.lst", BootCorpus.sles11MenuLst),
            ("/etc/default/grub", BootCorpus.ubuntu2204DefaultGrub),
            ("/etc/default/grub", BootCorpus.centos7DefaultGrub),
            ("/boot/grub2/grub.cfg", BootCorpus.centos7GrubCfg), ("/boot/grub/grub.cfg", BootCorpus.ubuntu2204GrubCfg),
            ("/boot/loader/entries/a.conf", BootCorpus.rhel9BLSEntry),
            ("/boot/loader/entries/b.conf", BootCorpus.rhel8BLSEntry),
        ]
        let kernelKeywords = ["kernel", "linux16", "linux", "options", "GRUB_CMDLINE_LINUX"]
        for (path, corpus) in corpora {
            for text in Self.variants(corpus) {
                for _ in 0..<12 {
                    let add = (0..<Int.random(in: 0...3, using: &rng)).map { _ in pool.randomElement(using: &rng)! }
                        .filter { $0 != "crashkernel" }
                    let remove = (0..<Int.random(in: 0...3, using: &rng)).map { _ in pool.randomElement(using: &rng)! }
                    guard let edit = try? KernelArgumentEdit(add: add, remove: remove) else { continue }
                    let once = edit.apply(toBootloaderFiles: [path: text])[0].edit!.edited
                    let twice = edit.apply(toBootloaderFiles: [path: once])[0]
                    #expect(!twice.changed, "\(path) +\(add) -\(remove)")
                    #expect(
                        unchangedLinesPreserved(old: text, new: once) { line in
                            let trimmed = line.content.drop { $0 == " " || $0 == "\t" }
                            return kernelKeywords.contains { trimmed.hasPrefix($0) } || line.terminator == .none
                        }, "\(path) +\(add) -\(remove)")
                }
            }
        }
    }

    @Test func grubenvKeepsItsSizeUnderRandomEdits() throws {
        var rng = SeededGenerator(seed: 3)
        let pool = ["quiet", "rhgb", "console=ttyS0", "rootdelay=300", "crashkernel=auto", "net.ifnames=0"]
        let text = BootCorpus.grubenv(BootCorpus.rhel8GrubenvBody)
        for _ in 0..<50 {
            let add = (0..<Int.random(in: 0...4, using: &rng)).map { _ in pool.randomElement(using: &rng)! }
            let remove = (0..<Int.random(in: 0...2, using: &rng)).map { _ in pool.randomElement(using: &rng)! }
            let edit = try KernelArgumentEdit(add: add, remove: remove)
            var block = try GrubEnvironmentBlock(text)
            try block.editKernelArguments(edit)
            #expect(block.text.utf8.count == 1024)
            #expect(block.value(of: "saved_entry") != nil && block.value(of: "boot_success") == "0")
            var again = try GrubEnvironmentBlock(block.text)
            try again.editKernelArguments(edit)
            #expect(again.text == block.text)
        }
    }

    @Test func waagentRandomSetUnset() throws {
        var rng = SeededGenerator(seed: 8)
        let operations: [(String, String?)] = [
            ("ResourceDisk.Format", "n"), ("ResourceDisk.EnableSwap", "y"), ("Provisioning.Agent", "cloud-init"),
            ("Provisioning.SshHostKeyPairType", "ed25519"), ("LBProbeResponder", nil), ("OS.EnableFirewall", nil),
            ("Custom.Key", "value"), ("ResourceDisk.SwapSizeMB", "2048"),
        ]
        for corpus in [SystemCorpus.waagentDefault, SystemCorpus.waagentUbuntu, SystemCorpus.waagentCoreOS] {
            for text in Self.variants(corpus) {
                for _ in 0..<10 {
                    let chosen = Array(operations.shuffled(using: &rng).prefix(Int.random(in: 1...5, using: &rng)))
                    func run(_ input: String) throws -> String {
                        var conf = WaagentConfiguration(input)
                        for (key, value) in chosen {
                            if let value { try conf.set(key, to: value) } else { conf.unset(key) }
                        }
                        return conf.text
                    }
                    let once = try run(text)
                    #expect(try run(once) == once)
                    let touched = Set(chosen.map(\.0))
                    #expect(
                        unchangedLinesPreserved(old: text, new: once) { line in
                            touched.contains { line.content.hasPrefix($0 + "=") } || line.terminator == .none
                        })
                    let conf = WaagentConfiguration(once)
                    for (key, value) in chosen { #expect(conf.value(of: key) == value) }
                }
            }
        }
    }
}
