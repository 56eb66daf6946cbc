import Testing

@testable import GuestConfig

/// Inputs found by the libFuzzer targets (Tests/Fuzz, scripts/fuzz.sh), minimised, kept as regression tests.
@Suite("Fuzzer findings")
struct FuzzFindingTests {
    let azure = KernelArgumentEdit.azureGeneric

    /// FuzzGuestConfig, selector 5, minimised to `title\nkernel`: a `kernel` command without an image path.
    /// The first edit wrote `kernel console=ttyS0 …`, which reads back with `console=ttyS0` as the image path,
    /// so a second edit added `console=ttyS0` again.
    @Test(arguments: ["title\nkernel", "title\nkernel\n", "title x\nkernel   \n", "title x\nkernel --no-mem-option\n"])
    func legacyKernelCommandWithoutImagePathIsLeftAlone(text: String) {
        var menu = GrubLegacyMenu(text)
        let outcomes = menu.editKernelArguments(azure)
        #expect(outcomes.isEmpty)
        #expect(menu.text == text)
        #expect(menu.findings.contains { $0.severity == .warning && $0.message.contains("without an image path") })
        var again = GrubLegacyMenu(menu.text)
        again.editKernelArguments(azure)
        #expect(again.text == menu.text)
    }

    /// The fuzzer's original (unminimised) input: the entry with a path is edited once, and only once.
    @Test func legacyOriginalFuzzInputIsIdempotent() {
        let text = "title a\nkernel \n\0\0\0\0\0\0/vmliuiz ro quiet\n\0\u{FFFD}\u{FFFD}\u{1A}SYSTE SYEM\n~"
        var menu = GrubLegacyMenu(text)
        menu.editKernelArguments(azure)
        let once = menu.text
        menu.editKernelArguments(azure)
        #expect(menu.text == once)
    }

    /// A path and an argument on the same line still get the edit, and a second edit changes nothing.
    @Test func legacyKernelWithPathIsStillEdited() {
        var menu = GrubLegacyMenu("title x\nkernel /vmlinuz ro quiet\n")
        #expect(menu.editKernelArguments(azure).count == 1)
        let once = menu.text
        #expect(once.hasPrefix("title x\nkernel /vmlinuz ro "))
        #expect(once.contains("console=ttyS0") && !once.contains("quiet"))
        menu.editKernelArguments(azure)
        #expect(menu.text == once)
    }

    /// FuzzGuestConfig, selector 7, minimised to a lone `"`: an unbalanced quote runs to the end of the line, so
    /// arguments appended after it read back as part of it and were added again. They now go before it.
    @Test(arguments: ["\"", "ro \"", "ro dyndbg=\"file a.c", "ro x\"y z -- init"])
    func kernelEditAfterAnUnbalancedQuoteIsIdempotent(line: String) {
        let once = azure.apply(to: line)
        #expect(once.changed)
        let parsed = KernelCommandLine(once.commandLine).arguments.map(\.text)
        #expect(parsed.contains("console=ttyS0") && parsed.contains("rootdelay=300"), "\(once.commandLine)")
        #expect(azure.apply(to: once.commandLine).commandLine == once.commandLine)
    }

    @Test func unbalancedQuoteKeepsItsPlaceAtTheEnd() {
        #expect(
            azure.apply(to: "ro \"").commandLine == "ro rootdelay=300 console=ttyS0 earlyprintk=ttyS0 net.ifnames=0 \"")
    }
}
