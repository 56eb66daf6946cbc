import Testing
import _TestSupport

@testable import GuestConfig

@Suite("Line model and unified diff")
struct LineModelTests {
    @Test(arguments: [
        "", "a", "a\n", "a\r\n", "a\r\nb\n", "a\nb", "\n\n", "a\rb\n", "x\r", "\r\n", "tab\there\r\nno newline",
        "ü€😀\r\n",
    ])
    func roundTripIsExact(_ text: String) {
        #expect(ConfigText(text).text == text)
        #expect(Array(ConfigText(text).text.utf8) == Array(text.utf8))
    }

    @Test func terminatorsAreKeptPerLine() {
        let text = ConfigText("a\r\nb\nc")
        #expect(text.lines.map(\.terminator) == [.crlf, .lf, .none])
        #expect(text.lines.map(\.content) == ["a", "b", "c"])
    }

    @Test func contentsAreTheLinesWithoutTerminators() {
        #expect(ConfigText("a\r\n\nb\rc\nd").contents == ["a", "", "b\rc", "d"])
        #expect(ConfigText("").contents.isEmpty)
        var text = ConfigText("x\r\ny")
        text.replaceContent(at: 0, with: "#" + text.contents[0])
        #expect(text.text == "#x\r\ny")
    }

    @Test func appendingToAFileWithoutFinalNewlineUsesItsTerminator() {
        var text = ConfigText("A=1\r\nB=2")
        text.append("C=3")
        #expect(text.text == "A=1\r\nB=2\r\nC=3\r\n")
    }

    @Test func invalidUTF8IsRejectedWithItsOffset() {
        #expect(throws: GuestConfigError.self) { try ConfigText(bytes: [0x41, 0x0A, 0xFF, 0x42], path: "/etc/x") }
        do {
            _ = try ConfigText(bytes: [0x41, 0x0A, 0xC3], path: "/etc/x")
        } catch {
            #expect(error.code == .invalidEncoding)
            #expect(error.offset == 2)
        }
        #expect((try? ConfigText(bytes: Array("grüß\n".utf8)))?.text == "grüß\n")
    }

    @Test func identicalTextsHaveAnEmptyDiff() {
        #expect(ConfigEditResult(original: "a\n", edited: "a\n").unifiedDiff() == "")
    }

    /// GNU diff is the oracle for the hunk format.
    @Test(arguments: [
        ("a\nb\nc\n", "a\nB\nc\n"),
        ("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "1\n2\nx\n4\n5\n6\n7\n8\n9\ny\n11\n12\n"),
        ("a\nb", "a\nb\n"),
        ("a\n", ""),
        ("", "new\n"),
        ("k=1\nk=2\n", "k=2\n"),
        ("a\r\nb\r\n", "a\r\nc\r\n"),
        ("1\n2\n3\n4\n5\n6\n7\n8\n", "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n"),
    ])
    func hunksMatchGNUDiff(_ pair: (String, String)) throws {
        let ours = ConfigEditResult(path: "/f", original: pair.0, edited: pair.1).unifiedDiff()
        let lines = ours.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)
        #expect(lines[0] == "--- a/f")
        #expect(lines[1] == "+++ b/f")
        #expect(String(lines[2]) == (try Oracle.gnuDiff(pair.0, pair.1)))
    }

    @Test func randomEditsMatchGNUDiff() throws {
        var rng = SeededGenerator(seed: 42)
        let words = ["alpha", "beta", "gamma", "delta", "", "# comment"]
        for _ in 0..<25 {
            let old = (0..<Int.random(in: 0...30, using: &rng)).map { _ in words.randomElement(using: &rng)! }
            var new = old
            for _ in 0..<Int.random(in: 1...5, using: &rng) {
                switch Int.random(in: 0...2, using: &rng) {
                case 0 where !new.isEmpty: new.remove(at: Int.random(in: 0..<new.count, using: &rng))
                case 1: new.insert("inserted", at: Int.random(in: 0...new.count, using: &rng))
                default: if !new.isEmpty { new[Int.random(in: 0..<new.count, using: &rng)] = "changed" }
                }
            }
            let a = old.map { $0 + "\n" }.joined()
            let b = new.map { $0 + "\n" }.joined()
            guard a != b else { continue }
            let ours = ConfigEditResult(path: "/f", original: a, edited: b).unifiedDiff()
            let body = ours.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)[2]
            // The LCS may choose another equally short script than GNU diff; both must have the same size.
            let gnu = try Oracle.gnuDiff(a, b)
            func count(_ text: String, _ marker: Character) -> Int {
                text.split(separator: "\n").filter { $0.first == marker }.count
            }
            #expect(count(String(body), "+") == count(gnu, "+"))
            #expect(count(String(body), "-") == count(gnu, "-"))
        }
    }

    @Test(arguments: [
        (BootCorpus.centos6GrubConf, BootCorpus.centos6GrubConfAzure),
        (BootCorpus.sles11MenuLst, BootCorpus.sles11MenuLstEdited),
        (BootCorpus.centos7GrubCfg, BootCorpus.centos7GrubCfgAzure),
        (BootCorpus.ubuntu2204DefaultGrub, BootCorpus.ubuntu2204DefaultGrubAzure),
        (SystemCorpus.sles15Sudoers, SystemCorpus.sles15SudoersEdited),
        (SystemCorpus.waagentSUSE, SystemCorpus.waagentSUSECloudInit),
    ])
    func corpusDiffsMatchGNUDiffExactly(_ pair: (String, String)) throws {
        let ours = ConfigEditResult(path: "/f", original: pair.0, edited: pair.1).unifiedDiff()
        let body = ours.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)[2]
        #expect(String(body) == (try Oracle.gnuDiff(pair.0, pair.1)))
    }

    @Test func largeInputsStayBounded() {
        let old = (0..<3000).map { "line \($0)\n" }.joined()
        let new = (0..<3000).map { "row \($0)\n" }.joined()
        let diff = UnifiedDiff(old: ConfigText(old), new: ConfigText(new))
        #expect(diff.operations.count == 6000)
    }
}
