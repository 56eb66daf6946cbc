import Foundation
import Testing
import _TestSupport

@testable import GuestConfig

/// The readers that were made cheaper per input (records split once, lines split on bytes, a cloud-config read
/// once for several judgements) give the same answers as before.
@Suite struct ReaderCostTests {
    /// After every edit the records are those of the edited text read afresh.
    @Test func recordsFollowEveryEdit() throws {
        var shadow = AccountDatabase(SystemCorpus.centos6Shadow, kind: .shadow)
        try shadow.lockRootPassword(.exclamationPrefix)
        #expect(shadow.records == AccountDatabase(shadow.text, kind: .shadow).records)
        try shadow.lockRootPassword(.waagent)
        #expect(shadow.records == AccountDatabase(shadow.text, kind: .shadow).records)
        #expect(shadow.records.first?.fields == ["root", "*LOCK*", "14600", "", "", "", "", "", ""])
        shadow.removeUser("azureuser")
        #expect(shadow.records == AccountDatabase(shadow.text, kind: .shadow).records)
        #expect(shadow.record(named: "azureuser") == nil)
        var group = AccountDatabase(SystemCorpus.centos6Group, kind: .group)
        group.removeUser("azureuser")
        #expect(group.records == AccountDatabase(group.text, kind: .group).records)
    }

    /// ASCII lines split at their `:` bytes exactly as Python's `str.split(':')` does; a line with other
    /// characters is split at `:` characters, so a `:` that a combining mark follows stays inside its field.
    @Test func fieldsOfASCIIAndOtherLines() throws {
        var generator = SeededGenerator(seed: 18)
        let alphabet = Array("ab:: x\r\t#,!*$".utf8)
        var lines: [String] = []
        for _ in 0..<200 {
            let count = Int.random(in: 0...24, using: &generator)
            lines.append(
                String(decoding: (0..<count).map { _ in alphabet.randomElement(using: &generator)! }, as: UTF8.self))
        }
        let script = "import json, sys\nprint(json.dumps([l.split(':') for l in json.load(sys.stdin)]))"
        let input = try JSONSerialization.data(withJSONObject: lines)
        let oracle = try ExternalTool.check(["python3", "-c", script], stdin: input).output
        let theirs = try JSONSerialization.jsonObject(with: Data(oracle.utf8)) as? [[String]]
        #expect(lines.map(AccountDatabase.fields(of:)) == theirs)

        // "é" and ":\u{301}" (a colon with a combining acute accent) are one character each: 6 fields, not 7.
        let combining = "u:x:5:5:\u{301}gecos:/home/u:/bin/sh"
        #expect(AccountDatabase.fields(of: combining) == ["u", "x", "5", "5:\u{301}gecos", "/home/u", "/bin/sh"])
        #expect(AccountDatabase.fields(of: "é:x:1:1::/h:/bin/sh") == ["é", "x", "1", "1", "", "/h", "/bin/sh"])
        let passwd = AccountDatabase(combining + "\nv:x:6:6::/home/v:/bin/sh\n", kind: .passwd)
        #expect(passwd.records.map(\.name) == ["v"] && passwd.findings.map(\.line) == [1])
    }

    /// The Azure datasource's defaults built in code are what the reader makes of their text.
    @Test func azureDefaultsAreTheirText() {
        let read = CloudConfigYAML(CloudInitResourceDisk.azureDatasourceDefaultsText)
        #expect(read.problems.isEmpty)
        #expect(CloudInitResourceDisk.azureDatasourceDefaults == read.root)
    }

    /// Judging files already read gives the judgement of their texts.
    @Test func judgementOfReadFilesIsThatOfTheirTexts() {
        for text in CloudInitResourceDiskTests.samples + [CloudInitResourceDiskTests.guide, "swap: {size: 2G}\n"] {
            let source = CloudInitResourceDisk.Source(path: "/etc/cloud/cloud.cfg", text: text)
            let read = (path: source.path, document: CloudConfigYAML(text))
            #expect(
                CloudInitResourceDisk(read: [read], environment: read)
                    == CloudInitResourceDisk(base: [source], environment: source))
            #expect(
                CloudInitResourceDisk(read: [read], environment: nil)
                    == CloudInitResourceDisk(base: [source], environment: nil))
        }
    }
}

/// The byte and scalar paths against the character paths they replace, on texts of one character per scalar.
@Suite struct OneCharacterPerScalarTests {
    /// Mutated cloud-config samples with Latin letters, U+FFFD, CR LF and YAML punctuation mixed in: walked as
    /// scalars and as characters, the reader gives the same tree and the same problems.
    @Test func yamlScalarAndCharacterWalksAgree() {
        var generator = SeededGenerator(seed: 1818)
        let pieces = [
            "-", ":", "[", "]", "{", "}", "'", "\"", "#", "|", ">-", " ", "\n", "\r\n", "\t", ",", "é", "\u{FFFD}",
            "ÿ:", "x",
        ]
        for round in 0..<600 {
            var text = CloudInitResourceDiskTests.samples[round % CloudInitResourceDiskTests.samples.count]
            for _ in 0..<Int.random(in: 1...10, using: &generator) {
                let offset = Int.random(in: 0...text.unicodeScalars.count, using: &generator)
                let at = text.unicodeScalars.index(text.unicodeScalars.startIndex, offsetBy: offset)
                text.unicodeScalars.insert(contentsOf: pieces.randomElement(using: &generator)!.unicodeScalars, at: at)
            }
            guard text.isOneCharacterPerScalar else { continue }
            var scalars = CloudConfigYAML.Parser<Unicode.Scalar>(text)
            var characters = CloudConfigYAML.Parser<Character>(text)
            #expect(scalars.document() == characters.document())
            #expect(scalars.problems.map(\.line) == characters.problems.map(\.line))
            #expect(scalars.problems.map(\.message) == characters.problems.map(\.message))
        }
        #expect(!"a\u{301}".isOneCharacterPerScalar && "é\u{FFFD}\r\n".isOneCharacterPerScalar)

    }

    /// Trimming, word splitting and replacing at the bytes give what the character definitions give.
    @Test func trimWordsAndReplaceAgreeWithCharacters() {
        var generator = SeededGenerator(seed: 1819)
        let pieces = [" ", "\t", "=", " = ", "\r", "\n", "\r\n", "a", "é", "\u{FFFD}", "ÿ"]
        for _ in 0..<2000 {
            var text = ""
            for _ in 0..<Int.random(in: 0...12, using: &generator) { text += pieces.randomElement(using: &generator)! }
            let characters = Array(text)
            let start = characters.firstIndex { $0 != " " && $0 != "\t" } ?? characters.count
            let end = (characters.lastIndex { $0 != " " && $0 != "\t" } ?? -1) + 1
            #expect(text.trimmingSpaces == (start < end ? String(characters[start..<end]) : ""))
            #expect(text.words == characters.split { $0 == " " || $0 == "\t" }.map { String($0) })
            for (target, replacement) in [(" = ", "="), ("= ", "="), ("-", "_"), ("\r", "R")] {
                var expected = ""
                var rest = Substring(text)
                while let range = rest.firstRange(of: target) {
                    expected += rest[..<range.lowerBound] + replacement
                    rest = rest[range.upperBound...]
                }
                #expect(text.replacingAll(target, with: replacement) == expected + rest)
            }
        }
    }
}

/// The readers that look at lines in place (slices of the text, fields counted before they are made, stanzas
/// found at the bytes) against the definitions they replace, on texts mixing line ends, blank lines, combining
/// marks after separators, and the words each reader looks for.
@Suite struct InPlaceReaderTests {
    static func texts(seed: UInt64, count: Int) -> [String] {
        var generator = SeededGenerator(seed: seed)
        let pieces = [
            "\n", "\n", "\r\n", "\n\n", "\r", " ", "\t", ":", "#", "é", "\u{301}", "\u{FFFD}", "a", "x y z", "\\040",
            "nameserver", "nameserver 10.0.0.1", "blacklist udf", "install vfat /bin/true",
            "UUID=1 / ext4 defaults 0 1",
            "Package: linux-image-6", "Version: 6.1 ", "Status: install ok installed", "send host-name \"vm\";",
            "root:x:0:0:root:/root:/bin/sh", "::::::", "[Manager]", " DefaultEnvironment = \"A=1 2\" B=3", "[X]",
            "\u{85}", "\u{A0}", "\u{0B}", "\u{0C}", "\u{2000}", "\u{C2}",
        ]
        return (0..<count).map { _ in
            var text = ""
            for _ in 0..<Int.random(in: 0...24, using: &generator) { text += pieces.randomElement(using: &generator)! }
            return text
        }
    }

    @Test func linesInPlaceAreTheLinesOfConfigText() {
        for text in Self.texts(seed: 1820, count: 1500) {
            var contents: [String] = []
            var numbers: [Int] = []
            ConfigText.forEachContent(of: text) { index, content in
                numbers.append(index)
                contents.append(String(content))
                #expect(Array(content) == Array(String(content)))
            }
            #expect(contents == ConfigText(text).contents)
            #expect(numbers == Array(contents.indices))
        }
    }

    @Test func readersAgreeWithTheirDefinitions() {
        for text in Self.texts(seed: 1821, count: 1500) {
            let contents = ConfigText(text).contents
            #expect(ResolvConf(text).nameserverLines == contents.filter { $0.words.first == "nameserver" })
            for content in contents {
                let atBytes = content.isOneCharacterPerScalar
                #expect(content.firstWordIs("nameserver", atBytes: atBytes) == (content.words.first == "nameserver"))
                #expect(content.firstWordIs("nameserver", atBytes: false) == (content.words.first == "nameserver"))
                #expect(content.trimmedWhitespace == Substring(content.trimmingWhitespace))
            }

            let commands = contents.enumerated().compactMap { index, content -> ModprobeConfig.Command? in
                let words = content.words
                guard words.count >= 2 else { return nil }
                return ModprobeConfig.Command(
                    verb: words[0], module: words[1], arguments: Array(words.dropFirst(2)), line: index + 1,
                    text: content.trimmingSpaces)
            }
            #expect(ModprobeConfig(text).commands == commands)

            var packages: [DpkgStatus.Package] = []
            for stanza in text.split(separator: "\n\n", omittingEmptySubsequences: true) {
                var name: String?, version: String?, installed = false
                for line in stanza.split(separator: "\n") {
                    if line.hasPrefix("Package: ") { name = line.dropFirst(9).trimmingSpaces }
                    if line.hasPrefix("Version: ") { version = line.dropFirst(9).trimmingSpaces }
                    if line.hasPrefix("Status: ") { installed = line.hasSuffix(" installed") }
                }
                if let name { packages.append(DpkgStatus.Package(name: name, version: version, installed: installed)) }
            }
            #expect(DpkgStatus(text).packages == packages)

            var entries: [(Int, [String])] = []
            var findings: [ConfigFinding] = []
            for (index, content) in contents.enumerated() {
                let body = content.trimmingWhitespace
                if body.isEmpty || body.hasPrefix("#") { continue }
                let written = body.split { $0 == " " || $0 == "\t" }.map(String.init)
                guard written.count >= 3 else {
                    findings.append(
                        ConfigFinding(
                            .warning, .malformedLine, line: index + 1, "fstab line with \(written.count) fields"))
                    continue
                }
                entries.append((index + 1, written))
            }
            let table = FilesystemTable(text)
            #expect(table.findings == findings)
            #expect(table.entries.map(\.line) == entries.map(\.0) && table.entries.map(\.spec) == entries.map(\.1[0]))
            #expect(table.entries.map(\.type) == entries.map { FilesystemTable.decodingEscapes($0.1[2]) })

            let sends = contents.enumerated().compactMap { index, content -> DhclientConfig.HostNameSend? in
                let words = content.trimmingWhitespace.split(maxSplits: 2) { $0 == " " || $0 == "\t" }
                guard words.count == 3, words[0] == "send", words[1] == "host-name" else { return nil }
                var operand = String(words[2]).trimmingWhitespace
                if let semicolon = operand.lastIndex(of: ";") {
                    operand = String(operand[..<semicolon]).trimmingWhitespace
                }
                return DhclientConfig.HostNameSend(lineIndex: index, operand: operand)
            }
            #expect(DhclientConfig(text).hostNameSends == sends)

            var variables: [String: SystemdDefaultEnvironment.Variable] = [:]
            var section = ""
            for (index, content) in contents.enumerated() {
                let line = content.trimmingWhitespace
                if line.hasPrefix("[") {
                    section = String(line.dropFirst().prefix { $0 != "]" })
                    continue
                }
                guard section == "Manager", !line.hasPrefix("#"), !line.hasPrefix(";"),
                    let equals = line.firstIndex(of: "="), line[..<equals].trimmingSpaces == "DefaultEnvironment"
                else { continue }
                let words = SystemdDefaultEnvironment.words(String(line[line.index(after: equals)...]))
                if words.isEmpty { variables = [:] }
                for word in words {
                    guard let sign = word.firstIndex(of: "="), sign != word.startIndex else { continue }
                    variables[String(word[..<sign])] = SystemdDefaultEnvironment.Variable(
                        value: String(word[word.index(after: sign)...]), path: "/s", line: index + 1)
                }
            }
            #expect(SystemdDefaultEnvironment([("/s", text)]).variables == variables)

            for kind in AccountFileKind.allCases {
                let database = AccountDatabase(text, kind: kind)
                var records: [AccountDatabase.Record] = []
                var malformed: [ConfigFinding] = []
                for (index, content) in contents.enumerated() where !AccountDatabase.isIgnorable(content) {
                    let fields = content.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                    #expect(AccountDatabase.fields(of: content) == fields)
                    #expect(AccountDatabase.fieldCount(of: content) == fields.count)
                    if fields.count == kind.fieldCount {
                        records.append(AccountDatabase.Record(lineIndex: index, fields: fields))
                    } else {
                        malformed.append(
                            ConfigFinding(
                                .warning, .malformedLine, line: index + 1,
                                "\(fields.count) fields, \(kind.rawValue) lines have \(kind.fieldCount); kept as is"))
                    }
                }
                #expect(database.records == records)
                #expect(database.findings == malformed)
            }
        }
    }
}
