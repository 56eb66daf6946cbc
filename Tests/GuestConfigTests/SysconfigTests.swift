import Testing
import _TestSupport

@testable import GuestConfig

@Suite("Shell-variable files (ifcfg, sysconfig)")
struct SysconfigTests {
    @Test func getReadsWhatTheShellReads() throws {
        let text = #"""
            A=plain
            B="double $HOME \" \\ \$x"
            C='single "q" \n'
            export D=exported
            E=a"b c"'d e'
            F=   # comment
            G=x#notacomment
            H="v" # trailing comment
            A=second

            """#
        let file = ShellVariableFile(text)
        let keys = ["A", "B", "C", "D", "E", "F", "G", "H"]
        // HOME is unset under env -i? No: bash inherits HOME; compare the literal parts only for B.
        let shell = try Oracle.shellValues(text.replacingAll("$HOME", with: "home"), keys: keys)
        for key in keys where key != "B" { #expect(file.value(of: key) == shell[key], "\(key)") }
        #expect(file.value(of: "B") == #"double $HOME " \ $x"#)
        #expect(shell["B"] == #"double home " \ $x"#)
        #expect(file.assignment(of: "B")?.hasExpansion == true)
        #expect(file.findings.contains { $0.kind == .duplicateKey && $0.line == 9 })
        #expect(file.keys == keys)
    }

    @Test func setKeepsQuoteStyleAndTheShellAgrees() throws {
        var file = ShellVariableFile(SystemCorpus.sles15IfcfgEth0, path: "/etc/sysconfig/network/ifcfg-eth0")
        try file.set("BOOTPROTO", to: "static")
        try file.set("ZONE", to: "it's public")  // single quotes cannot hold ', so double quotes
        try file.set("IPADDR", to: "10.0.0.4/24")  // new key: the file's dominant style (single)
        #expect(
            file.text == """
                BOOTPROTO='static'
                STARTMODE='auto'
                DHCLIENT_SET_DEFAULT_ROUTE='yes'
                ZONE="it's public"
                IPADDR='10.0.0.4/24'

                """)
        let values = try Oracle.shellValues(file.text, keys: ["BOOTPROTO", "ZONE", "IPADDR", "STARTMODE"])
        #expect(values == ["BOOTPROTO": "static", "ZONE": "it's public", "IPADDR": "10.0.0.4/24", "STARTMODE": "auto"])
    }

    @Test func hostileValuesRoundTripThroughTheShell() throws {
        var rng = SeededGenerator(seed: 99)
        let alphabet = Array("aZ09 _-./=\"'$`\\!*?;&|<>(){}[]#~%^,:+@\t")
        var file = ShellVariableFile(SystemCorpus.centos7IfcfgEth0)
        var expected: [String: String] = [:]
        for round in 0..<40 {
            let key = ["NAME", "DEVICE", "X_NEW", "ZONE_\(round % 3)"].randomElement(using: &rng)!
            let value = String(
                (0..<Int.random(in: 0...12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            try file.set(key, to: value)
            expected[key] = value
        }
        let shell = try Oracle.shellValues(file.text, keys: Array(expected.keys))
        #expect(shell == expected)
        for (key, value) in expected { #expect(file.value(of: key) == value) }
    }

    @Test func setEditsTheWinningAssignmentAndIsIdempotent() throws {
        var file = ShellVariableFile("K=1\nK=2 # second\n")
        let first = try file.set("K", to: "3")
        #expect(first)
        #expect(file.text == "K=1\nK=3 # second\n")
        let second = try file.set("K", to: "3")
        #expect(!second)
        let third = try file.set("K", to: "two words")
        #expect(third)
        #expect(file.text == "K=1\nK=\"two words\" # second\n")
        #expect(throws: GuestConfigError.self) { try file.set("1BAD", to: "x") }
        #expect(throws: GuestConfigError.self) { try file.set("K", to: "a\nb") }
    }

    @Test func unsetRemovesEveryAssignmentAndKeepsCRLFAndNoFinalNewline() {
        var file = ShellVariableFile("A=1\r\nHWADDR=00:11\r\nB=2\r\nHWADDR=00:22")
        let removed = file.unset("HWADDR")
        #expect(removed)
        // Surviving lines are byte-identical: B keeps its CRLF.
        #expect(file.text == "A=1\r\nB=2\r\n")
        let removedAgain = file.unset("HWADDR")
        #expect(!removedAgain)
        var appended = ShellVariableFile("A=1\r\nB=2")
        _ = try? appended.set("C", to: "3")
        #expect(appended.text == "A=1\r\nB=2\r\nC=3\r\n")
    }

    @Test func malformedLinesAreKeptAndReported() throws {
        let text = "GOOD=1\nthis is not shell\nOPEN=\"unterminated\nif [ x ]; then\nexport GOOD\n"
        var file = ShellVariableFile(text)
        #expect(file.findings.filter { $0.kind == .malformedLine }.map(\.line) == [2, 3, 4])
        try file.set("GOOD", to: "2")
        #expect(file.text == "GOOD=2\nthis is not shell\nOPEN=\"unterminated\nif [ x ]; then\nexport GOOD\n")
    }

    @Test func ifcfgTemplateIsWhatTheSeedAsksAndTheShellReadsIt() throws {
        let text = try SysconfigNetwork.ifcfg()
        #expect(
            text == "DEVICE=eth0\nONBOOT=yes\nBOOTPROTO=dhcp\nTYPE=Ethernet\nUSERCTL=no\nPEERDNS=yes\nIPV6INIT=no\n")
        let values = try Oracle.shellValues(try SysconfigNetwork.ifcfg(device: "eth1"), keys: ["DEVICE", "ONBOOT"])
        #expect(values == ["DEVICE": "eth1", "ONBOOT": "yes"])
        #expect(throws: GuestConfigError.self) { try SysconfigNetwork.ifcfg(device: "eth0; rm -rf /") }
    }

    @Test func hardwareAddressAndHostnameHelpers() throws {
        let hw = SysconfigNetwork.removingHardwareAddress(
            SystemCorpus.centos7IfcfgEth0, path: "/etc/sysconfig/network-scripts/ifcfg-eth0")
        #expect(hw.changed)
        #expect(hw.edited == SystemCorpus.centos7IfcfgEth0.replacingAll("HWADDR=00:15:5D:01:02:03\n", with: ""))
        #expect(
            hw.unifiedDiff() == """
                --- a/etc/sysconfig/network-scripts/ifcfg-eth0
                +++ b/etc/sysconfig/network-scripts/ifcfg-eth0
                @@ -9,4 +9,3 @@
                 UUID=5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03
                 DEVICE=eth0
                 ONBOOT=yes
                -HWADDR=00:15:5D:01:02:03

                """)
        #expect(
            try Oracle.gnuDiff(hw.original, hw.edited)
                == hw.unifiedDiff().split(separator: "\n", maxSplits: 2).last.map(String.init))
        let host = SysconfigNetwork.removingHostname(SystemCorpus.centos6SysconfigNetwork)
        #expect(host.edited == "NETWORKING=yes\nGATEWAY=10.0.0.1\n")
        #expect(!SysconfigNetwork.removingHostname(host.edited).changed)
    }

    @Test func slesDhcpFileKeepsItsMetadataComments() throws {
        var file = ShellVariableFile(SystemCorpus.sles15SysconfigDhcp)
        try file.set("DHCLIENT_SET_HOSTNAME", to: "no")
        #expect(
            file.text
                == SystemCorpus.sles15SysconfigDhcp.replacingAll(
                    "DHCLIENT_SET_HOSTNAME=\"yes\"", with: "DHCLIENT_SET_HOSTNAME=\"no\""))
    }

    @Test func assignmentsFollowEveryEdit() throws {
        // The assignments are read once and again after each edit: after set, unset and an appended key they
        // must be what a fresh reading of the edited text gives, line numbers included.
        var file = ShellVariableFile("# c\nA=1\nB='2'\nA=3\nexport C=\"x y\"\n")
        try file.set("A", to: "4")
        #expect(file.lineNumber(of: "A") == 4)
        _ = file.unset("B")
        #expect(file.lineNumber(of: "A") == 3)
        try file.set("D", to: "five 5")
        #expect(file.value(of: "D") == "five 5")
        #expect(file.lineNumber(of: "D") == 5)
        let fresh = ShellVariableFile(file.text)
        #expect(file.assignments == fresh.assignments)
        #expect(file.keys == ["A", "C", "D"])
        #expect(file.value(of: "B") == nil)
    }
}
