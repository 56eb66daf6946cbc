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
