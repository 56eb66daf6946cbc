import Testing
import _TestSupport

@testable import GuestConfig

@Suite("Kernel argument rules")
struct KernelArgumentTests {
    func apply(_ line: String, add: [String] = [], remove: [String] = []) throws -> String {
        try KernelArgumentEdit(add: add, remove: remove).apply(to: line).commandLine
    }

    @Test func keyValueReplacesTheSameKeyInPlace() throws {
        #expect(try apply("ro rootdelay=10 quiet", add: ["rootdelay=300"]) == "ro rootdelay=300 quiet")
        // Later duplicates of a replaced key are dropped.
        #expect(try apply("rootdelay=1 ro rootdelay=2", add: ["rootdelay=300"]) == "rootdelay=300 ro")
    }

    @Test func repeatableKeysAreAppendedOnce() throws {
        let once = try apply("console=tty1 ro", add: ["console=ttyS0"])
        #expect(once == "console=tty1 ro console=ttyS0")
        #expect(try apply(once, add: ["console=ttyS0"]) == once)
    }

    @Test func removalByBareNameAndByKeyValue() throws {
        #expect(try apply("ro crashkernel=auto rhgb quiet", remove: ["rhgb", "quiet", "crashkernel=auto"]) == "ro")
        #expect(try apply("ro crashkernel=256M quiet", remove: ["crashkernel=auto"]) == "ro crashkernel=256M quiet")
        #expect(try apply("ro crashkernel=256M quiet", remove: ["crashkernel"]) == "ro quiet")
        #expect(
            try apply(
                "showopts libata.atapi_enabled=0 reserve=0x1f0,0x8 vga=0x314",
                remove: ["libata.atapi_enabled=0", "reserve=0x1f0,0x8"]) == "showopts vga=0x314")
    }

    @Test func dashesAndUnderscoresNameTheSameParameter() throws {
        #expect(try apply("nvme-core.io_timeout=30", add: ["nvme_core.io_timeout=240"]) == "nvme_core.io_timeout=240")
    }

    @Test func whitespaceOutsideTheEditIsKept() throws {
        #expect(try apply("  ro   quiet\tsplash  ", remove: ["quiet"]) == "  ro\tsplash  ")
        #expect(try apply("a  b", add: ["c"]) == "a  b c")
        #expect(try apply("", add: ["c"]) == "c")
        #expect(try apply("quiet", remove: ["quiet"]) == "")
    }

    @Test func quotedValuesAreOneArgument() throws {
        let line = #"ro dyndbg="file foo.c +p" quiet"#
        #expect(KernelCommandLine(line).arguments.map(\.text) == ["ro", #"dyndbg="file foo.c +p""#, "quiet"])
        #expect(try apply(line, remove: ["quiet"]) == #"ro dyndbg="file foo.c +p""#)
    }

    @Test func argumentsForInitAreNotTouched() throws {
        #expect(
            try apply("ro quiet -- single quiet", add: ["rootdelay=300"], remove: ["quiet"])
                == "ro rootdelay=300 -- single quiet")
    }

    @Test func badArgumentsAreRejected() {
        for bad in ["", "a b", "$kernelopts", "--", "=x", "a\"b", "it's"] {
            #expect(throws: GuestConfigError.self, "\(bad)") { try KernelArgumentEdit(add: [bad]) }
        }
    }

    @Test func additionsWinOverRemovalsAndConflictsAreRejected() throws {
        #expect(
            try apply("console=tty1 console=ttyS0 ro", add: ["console=ttyS0"], remove: ["console"])
                == "console=ttyS0 ro")
        #expect(try apply("rootdelay=10 ro", add: ["rootdelay=300"], remove: ["rootdelay"]) == "ro rootdelay=300")
        #expect(throws: GuestConfigError.self) { try KernelArgumentEdit(add: ["rootdelay=10", "rootdelay=300"]) }
        #expect(try KernelArgumentEdit(add: ["quiet", "quiet"]).additions.count == 1)
    }

    @Test func outcomeReportsWhatChanged() throws {
        let outcome = try KernelArgumentEdit(add: ["rootdelay=300", "console=ttyS0"], remove: ["quiet"])
            .apply(to: "ro rootdelay=10 quiet")
        #expect(outcome.removed.map(\.text) == ["quiet"])
        #expect(outcome.added.map(\.text) == ["console=ttyS0"])
        #expect(outcome.replaced.map(\.old.text) == ["rootdelay=10"])
        #expect(outcome.summary == "added console=ttyS0; removed quiet; replaced rootdelay=10 with rootdelay=300")
    }

    @Test func randomEditsAreIdempotent() throws {
        var rng = SeededGenerator(seed: 7)
        let pool = [
            "ro", "quiet", "rhgb", "console=tty1", "console=ttyS0", "rootdelay=10", "rootdelay=300",
            "crashkernel=auto", "net.ifnames=0", "splash",
        ]
        for _ in 0..<300 {
            let line = (0..<Int.random(in: 0...8, using: &rng)).map { _ in pool.randomElement(using: &rng)! }
                .joined(separator: [" ", "  ", "\t"].randomElement(using: &rng)!)
            let add = (0..<Int.random(in: 0...3, using: &rng)).map { _ in pool.randomElement(using: &rng)! }
            let remove = (0..<Int.random(in: 0...3, using: &rng)).map { _ in
                [pool.randomElement(using: &rng)!, "console", "rootdelay"].randomElement(using: &rng)!
            }
            // Conflicting additions (rootdelay=10 and rootdelay=300) are rejected; that is tested below.
            guard let edit = try? KernelArgumentEdit(add: add, remove: remove) else { continue }
            let once = edit.apply(to: line)
            let twice = edit.apply(to: once.commandLine)
            #expect(twice.commandLine == once.commandLine, "\(line) +\(add) -\(remove)")
            #expect(!twice.changed)
            let result = KernelCommandLine(once.commandLine).arguments
            for a in edit.additions {
                #expect(result.contains { $0.isSameArgument(as: a) }, "\(a) in \(once.commandLine)")
            }
        }
    }
}

/// The allocation-free name comparison edits use agrees with the definition (normalized names compared as
/// strings) on ASCII and non-ASCII arguments alike, and values compare as strings do.
@Suite struct KernelArgumentComparisonTests {
    static let texts = [
        "quiet", "quiet=1", "nvme_core.io_timeout=240", "nvme-core.io_timeout=4294967295", "nvme-core.io-timeout",
        "console=ttyS0", "console=ttyS0,115200", "console", "=", "", "a=b=c", "a=b", "K=1", "\u{212A}=1",
        "caf\u{E9}=1", "cafe\u{301}=1", "abc=\u{301}x", "abc", "-=_", "_", "-",
    ]

    @Test func fastComparisonMatchesTheDefinition() {
        for a in Self.texts.map(KernelArgument.init) {
            for b in Self.texts.map(KernelArgument.init) {
                let sameName = a.normalizedName == b.normalizedName
                #expect(a.hasSameName(as: b) == sameName, "\(a.text) vs \(b.text)")
                #expect(a.isSameArgument(as: b) == (sameName && a.value == b.value), "\(a.text) vs \(b.text)")
            }
        }
        #expect(KernelArgument("nvme-core.io_timeout=1").hasSameName(as: KernelArgument("nvme_core.io-timeout")))
        #expect(
            KernelArgument("K").hasSameName(as: KernelArgument("\u{212A}")), "canonically equal names (Kelvin sign)")
    }
}
