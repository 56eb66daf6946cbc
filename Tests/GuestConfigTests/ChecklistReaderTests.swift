import Testing

@testable import GuestConfig

@Suite("Readers for the checklist: sudoers targetpw, login.defs")
struct ChecklistReaderTests {
    @Test func targetpwRulesAreActiveOnesOnly() {
        let text =
            "# Defaults targetpw\nDefaults targetpw   # ask for root\nDefaults !targetpw\nDefaults:ann env_reset, targetpw\nALL\tALL = (ALL) ALL\n# ALL ALL=(ALL) ALL\nroot ALL=(ALL) ALL\nDefaults \\\n  targetpw\n"
        let rules = SudoersFile(text).targetpwRules
        #expect(rules.map(\.line) == [2, 4, 5, 8])
        #expect(
            rules.map(\.text) == [
                "Defaults targetpw", "Defaults:ann env_reset, targetpw", "ALL ALL=(ALL) ALL", "Defaults targetpw",
            ])
        #expect(SudoersFile("Defaults env_reset\nroot ALL=(ALL) ALL\n").targetpwRules.isEmpty)
    }

    @Test func loginDefs() {
        let defs = LoginDefs("# comment\nUID_MIN\t\t\t 500\nUID_MAX 29999\nUID_MIN 600\n")
        #expect(defs.uidMin == 600 && defs.uidMax == 29999)
        #expect(LoginDefs("").uidMin == 1000)
    }
}

@Suite("cloud-config swap declarations")
struct CloudConfigSwapTests {
    @Test func swapMapsAndMounts() {
        #expect(
            CloudConfigSwap.declaration(in: "#cloud-config\nswap:\n  filename: /mnt/swapfile\n  size: 2147483648\n")
                == 2)
        #expect(CloudConfigSwap.declaration(in: "swap:\n  size: 0\n") == nil)
        #expect(CloudConfigSwap.declaration(in: "swap: {filename: /mnt/swap, size: auto}\n") == 1)
        #expect(
            CloudConfigSwap.declaration(
                in:
                    "mounts:\n  - [\"ephemeral0.1\", \"/mnt\"]\n  - [\"ephemeral0.2\", \"none\", \"swap\", \"sw\", \"0\", \"0\"]\n"
            ) == 3)
        #expect(CloudConfigSwap.declaration(in: "mounts:\n  - [\"ephemeral0.1\", \"/mnt\"]\n# swap: later\n") == nil)
        #expect(CloudConfigSwap.declaration(in: "users:\n  - default\n") == nil)
    }
}
