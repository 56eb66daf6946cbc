import Foundation
import Testing
import _TestSupport

/// Every `--json` output names its shape (`"schema": "vhdedit.NAME/MAJOR"`) and validates against
/// `docs/schemas/NAME.schema.json` (JSON Schema draft 2020-12), checked by python-jsonschema, a validator
/// nobody here wrote (`scripts/validate-json.py`, Debian's python3-jsonschema).
@Suite struct JSONSchemaTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let validator = root.appendingPathComponent("scripts/validate-json.py").path
    static let schemas = root.appendingPathComponent("docs/schemas").path

    /// Validates `output` (one document, or one per line with `lines`); returns the validator's complaints.
    static func validate(_ output: Data, lines: Bool = false) throws -> ExternalTool.Result {
        try ExternalTool.run(["/usr/bin/python3", validator] + (lines ? ["--lines"] : []), stdin: output)
    }

    /// The `"schema"` member of one JSON document.
    static func schemaName(_ output: Data) throws -> String? {
        (try JSONSerialization.jsonObject(with: output) as? [String: Any])?["schema"] as? String
    }

    @Test func everyCommandsJSONValidatesAgainstItsSchema() throws {
        let work = try UsabilityTests.Work()
        try ExternalTool.check(["cp", "--sparse=always", work.image, work.file("copy.vhd")])
        try ExternalTool.check([
            CLI.binary, "convert", work.image, work.file("fixed.vhd"), "--to", "fixed", "--round-to-mib",
        ])
        try ExternalTool.check([CLI.binary, "convert", work.image, work.file("disk.raw"), "--to", "raw"])
        let cases: [(arguments: [String], schema: String)] = [
            (["info", "c6.vhd"], "vhdedit.info/1"),
            (["info", "disk.raw"], "vhdedit.info/1"),
            (["partitions", "fixed.vhd"], "vhdedit.partitions/1"),
            (["ls", "c6.vhd", "/etc", "-l"], "vhdedit.ls/1"),
            (["ls", "c6.vhd", "/", "-R"], "vhdedit.ls/1"),
            (["stat", "c6.vhd", "/etc/passwd"], "vhdedit.stat/1"),
            (["inspect", "c6.vhd"], "vhdedit.inspect/1"),
            (["check", "fixed.vhd"], "vhdedit.check/1"),
            (["generalize", "c6.vhd", "--dry-run"], "vhdedit.generalize/1"),
            (["generalize", "--list"], "vhdedit.generalize-operations/1"),
            (["azure-prepare", "c6.vhd", "--dry-run"], "vhdedit.azure-prepare/1"),
            (["kernel-args", "c6.vhd"], "vhdedit.kernel-args/1"),
            (["kernel-args", "c6.vhd", "--add", "quiet", "--dry-run"], "vhdedit.kernel-args-edit/1"),
            (["config", "get", "c6.vhd", "/etc/waagent.conf", "Provisioning.Enabled"], "vhdedit.config-get/1"),
            (
                ["config", "set", "c6.vhd", "/etc/waagent.conf", "Provisioning.Enabled=n", "--dry-run"],
                "vhdedit.config-edit/1"
            ),
            (["resize", "copy.vhd", "--size", "64M", "--dry-run"], "vhdedit.resize/1"),
            (["resize", "copy.vhd", "--size", "64M", "--grow-partition", "--grow-filesystem"], "vhdedit.resize/1"),
            (["recover", "copy.vhd"], "vhdedit.recover/1"),
            (["azure-prepare", "fixed.vhd"], "vhdedit.azure-prepare/1"),
            (["generalize", "fixed.vhd"], "vhdedit.generalize/1"),
            (["convert", "c6.vhd", "converted.vhd", "--to", "dynamic"], "vhdedit.convert/1"),
            (
                ["convert", "c6.vhd", "grown.vhd", "--to", "fixed", "--size", "32M", "--grow-partition"],
                "vhdedit.convert/1"
            ),
        ]
        for (arguments, schema) in cases {
            let result = try work.run(arguments + ["--json"])
            #expect(result.status == 0 || arguments[0] == "check", "\(arguments): \(result.stderr)")
            #expect(try Self.schemaName(result.stdout) == schema, "\(arguments)")
            let verdict = try Self.validate(result.stdout)
            #expect(verdict.status == 0, "\(arguments): \(verdict.output)")
        }
    }

    /// A batch prints one line per image and a summary line, each with its schema; the child's own output is
    /// embedded with its schema too.
    @Test func batchLinesValidate() throws {
        let work = try UsabilityTests.Work()
        try ExternalTool.check(["cp", "--sparse=always", work.image, work.file("copy.vhd")])
        let result = try work.run(["generalize", "c6.vhd", "copy.vhd", "missing.vhd", "--dry-run", "--json"])
        #expect(result.status == 1, "one image is missing")
        let lines = result.output.split(separator: "\n").map { Data($0.utf8) }
        #expect(lines.count == 4)
        #expect(
            try lines.map(Self.schemaName) == Array(repeating: "vhdedit.batch-item/1", count: 3) + [
                "vhdedit.batch-summary/1"
            ])
        let verdict = try Self.validate(result.stdout, lines: true)
        #expect(verdict.status == 0, "\(verdict.output)")
    }

    /// The validator is a real check: a document that breaks its schema, or names none, is refused.
    @Test func theValidatorRefusesWrongShapes() throws {
        let wrongVerdict =
            #"{"schema":"vhdedit.check/1","image":"x","results":[{"id":"a","verdict":"maybe","requirement":"r","evidence":"e"}]}"#
        let refused = try Self.validate(Data(wrongVerdict.utf8))
        #expect(refused.status == 1 && refused.output.contains("maybe"), "\(refused.output)")
        let unnamed = try Self.validate(Data(#"{"image":"x"}"#.utf8))
        #expect(unnamed.status == 1)
        let unknownMajor = try Self.validate(Data(#"{"schema":"vhdedit.check/99","image":"x","results":[]}"#.utf8))
        #expect(unknownMajor.status == 1)
    }

    /// Every schema file is a valid draft 2020-12 schema whose `$id` and `"schema"` constant match its file name.
    @Test func schemaFilesAreConsistent() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.schemas).filter {
            $0.hasSuffix(".schema.json")
        }
        #expect(names.count >= 15)
        for name in names where name != "prep-report.schema.json" {
            let data = try Data(contentsOf: URL(fileURLWithPath: Self.schemas).appendingPathComponent(name))
            let schema = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let command = String(name.dropLast(".schema.json".count))
            #expect(schema["$id"] as? String == "urn:vhdedit:schema:\(command):1", "\(name)")
            #expect(schema["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema", "\(name)")
            let properties = schema["properties"] as? [String: Any]
            #expect((properties?["schema"] as? [String: Any])?["const"] as? String == "vhdedit.\(command)/1", "\(name)")
        }
    }
}
