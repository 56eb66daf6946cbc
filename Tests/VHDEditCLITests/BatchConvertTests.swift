import Foundation
import Testing
import _TestSupport

/// `vhdedit convert` over many images (`--manifest`, several sources, `--output-dir`, `--jobs`, `--json`): inputs
/// of every read format made by qemu-img and written by qemu-io, each output compared with its input by
/// `qemu-img compare`; a VMDK among them fails alone; naming collisions refused before anything is written.
@Suite struct BatchConvertTests {
    /// One input image: its file and qemu's name for its format.
    struct Input {
        let path: String
        let qemuFormat: String
    }

    /// A raw, a qcow2, a VHDX and a dynamic VHD of 8 MiB, each with different data written by qemu-io (a
    /// pattern at the start, one past the first 2 MiB block), and a VMDK.
    static func inputs(in dir: TemporaryDirectory) throws -> (good: [Input], vmdk: String) {
        var good: [Input] = []
        for (name, format, options, pattern) in [
            ("disk-raw.img", "raw", [String](), "0x11"),
            ("disk-q.qcow2", "qcow2", ["-o", "cluster_size=65536"], "0x22"),
            ("disk-x.vhdx", "vhdx", ["-o", "block_size=1M"], "0x33"),
            ("disk-v.vhd", "vpc", ["-o", "subformat=dynamic,force_size=on"], "0x44"),
        ] {
            let path = dir.file(name)
            try ExternalTool.check(["qemu-img", "create", "-q", "-f", format] + options + [path, "8M"])
            try ExternalTool.check([
                "qemu-io", "-f", format, "-c", "write -P \(pattern) 0 64k", "-c", "write -P \(pattern) 3M 8k", path,
            ])
            good.append(Input(path: path, qemuFormat: format))
        }
        let vmdk = dir.file("legacy.vmdk")
        try ExternalTool.check(["qemu-img", "create", "-q", "-f", "vmdk", vmdk, "8M"])
        return (good, vmdk)
    }

    static func jsonObject(_ line: Substring) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func aManifestOfEveryFormatConvertsInParallelAndAVMDKFailsAlone() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-batch-convert")
        let (inputs, vmdk) = try Self.inputs(in: dir)
        let manifest = dir.file("exports.txt")
        // Relative names: the manifest's own folder is their base.
        let names = inputs.map { URL(fileURLWithPath: $0.path).lastPathComponent } + ["legacy.vmdk"]
        try Data(("# exports\n" + names.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: manifest))
        let out = dir.file("azure")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
        let sums = try inputs.map { try FileDigest.sha256($0.path) }

        let result = try CLI.run([
            "convert", "--manifest", manifest, "--output-dir", out, "--to", "fixed", "--round-to-mib", "--jobs", "2",
            "--json",
        ])
        #expect(result.status == 1, "the VMDK fails the batch: \(result.stderr)")
        let lines = result.output.split(separator: "\n")
        #expect(lines.count == 6, "\(result.output)")
        let verdict = try JSONSchemaTests.validate(result.stdout, lines: true)
        #expect(verdict.status == 0, "\(verdict.output)")

        var items: [String: [String: Any]] = [:]
        for line in lines.dropLast() {
            let item = try Self.jsonObject(line)
            items[try #require(item["image"] as? String)] = item
        }
        for input in inputs {
            let item = try #require(items[input.path], "no line for \(input.path): \(result.output)")
            #expect(item["ok"] as? Bool == true, "\(item)")
            let child = try #require(item["result"] as? [String: Any])
            #expect(child["schema"] as? String == "vhdedit.convert/1")
            let destination = try #require(child["destination"] as? String)
            let base = URL(fileURLWithPath: input.path).deletingPathExtension().lastPathComponent
            #expect(destination == out + "/" + base + ".vhd")
            #expect(child["format"] as? String == "fixed")
            // qemu reads each output as the disk it was made from.
            let compare = try ExternalTool.run([
                "qemu-img", "compare", "-f", input.qemuFormat, "-F", "vpc", input.path, destination,
            ])
            #expect(compare.status == 0, "\(input.path): \(compare.output) \(compare.stderr)")
            // A fixed VHD of a whole-MiB size: qemu's vpc driver reads its footer's size.
            let info = try ExternalTool.check(["qemu-img", "info", "-f", "vpc", "--output=json", destination])
            #expect(info.output.contains("\"virtual-size\": 8388608,"), "\(info.output)")
        }
        let failed = try #require(items[vmdk], "no line for the VMDK: \(result.output)")
        #expect(failed["ok"] as? Bool == false)
        #expect((failed["summary"] as? String)?.contains("VMDK") == true, "\(failed)")
        #expect(failed["result"] == nil)

        let summary = try #require(try Self.jsonObject(lines.last!)["summary"] as? [String: Any])
        #expect(summary["total"] as? Int == 5 && summary["succeeded"] as? Int == 4 && summary["failed"] as? Int == 1)
        #expect(summary["failures"] as? [String] == [vmdk])
        // Only the four outputs: no temporary file, nothing for the VMDK; the inputs untouched.
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: out).sorted() == [
                "disk-q.vhd", "disk-raw.vhd", "disk-v.vhd", "disk-x.vhd",
            ])
        #expect(try inputs.map { try FileDigest.sha256($0.path) } == sums)
    }

    /// Several sources on the command line, text output: one line per image and the summary; raw outputs.
    @Test func severalSourcesIntoAFolderAsText() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-batch-convert-text")
        let (inputs, _) = try Self.inputs(in: dir)
        let out = dir.file("raw")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
        let picked = [inputs[1], inputs[2]]
        let result = try CLI.run(
            ["convert"] + picked.map(\.path) + ["--output-dir", out, "--to", "raw", "--jobs", "2", "--no-sync"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.output.split(separator: "\n")
        #expect(lines.count == 3, "\(result.output)")
        #expect(
            lines.prefix(2).allSatisfy {
                $0.hasPrefix("ok   ") && $0.contains(": wrote \(out)/")
                    && $0.contains(": raw, virtual size 8388608 bytes")
            }, "\(result.output)")
        #expect(lines.last?.hasPrefix("2 images: 2 ok, 0 failed") == true, "\(result.output)")
        for input in picked {
            let base = URL(fileURLWithPath: input.path).deletingPathExtension().lastPathComponent
            let compare = try ExternalTool.run([
                "qemu-img", "compare", "-f", input.qemuFormat, "-F", "raw", input.path, out + "/" + base + ".raw",
            ])
            #expect(compare.status == 0, "\(compare.output) \(compare.stderr)")
        }
    }

    /// One source with --output-dir runs in this process and prints the convert's own JSON (what each batch
    /// child prints).
    @Test func oneSourceIntoAFolder() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-batch-convert-one")
        let (inputs, _) = try Self.inputs(in: dir)
        let out = dir.file("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
        let result = try CLI.run(["convert", inputs[3].path, "--output-dir", out + "/", "--to", "dynamic", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try Self.jsonObject(Substring(result.output.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(object["destination"] as? String == out + "/disk-v.vhd")
        #expect(object["sourceFormat"] as? String == "vhd-dynamic")
        let verdict = try JSONSchemaTests.validate(result.stdout)
        #expect(verdict.status == 0, "\(verdict.output)")
        let compare = try ExternalTool.run([
            "qemu-img", "compare", "-f", "vpc", "-F", "vpc", inputs[3].path, out + "/disk-v.vhd",
        ])
        #expect(compare.status == 0, "\(compare.output) \(compare.stderr)")
    }

    /// Two sources with one output name, and an output that is an input, are refused before anything is
    /// converted; misuse of the batch options is a usage error.
    @Test func collisionsAndOutputsThatAreInputsAreRefusedBeforeAnyWork() throws {
        let dir = try TemporaryDirectory(prefix: "vhdedit-batch-convert-refuse")
        let (inputs, _) = try Self.inputs(in: dir)
        let other = dir.file("other")
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: false)
        let twin = other + "/disk-q.img"
        try ExternalTool.check(["cp", "--sparse=always", inputs[0].path, twin])
        let out = dir.file("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)

        let collision = try CLI.run(["convert", inputs[1].path, twin, "--output-dir", out, "--to", "fixed"])
        #expect(collision.status == 1)
        #expect(
            collision.stderr
                == "vhdedit: \(out)/disk-q.vhd: \(inputs[1].path) and \(twin) would both be written to this destination: "
                + "rename one, or convert them into different folders\n", "\(collision.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).isEmpty)

        // disk-v.vhd converted to fixed into its own folder would replace itself (the first source is fine).
        let before = try FileDigest.sha256(inputs[3].path)
        let itself = try CLI.run([
            "convert", inputs[0].path, inputs[3].path, "--output-dir", dir.path, "--to", "fixed", "--force",
        ])
        #expect(itself.status == 1)
        #expect(
            itself.stderr.contains("is where \(inputs[3].path) would be converted to, but it is an input image"),
            "\(itself.stderr)")
        #expect(
            !FileManager.default.fileExists(atPath: dir.file("disk-raw.vhd")), "nothing is converted after a refusal")
        #expect(try FileDigest.sha256(inputs[3].path) == before)

        let missingFolder = try CLI.run(["convert", inputs[0].path, "--output-dir", dir.file("nowhere"), "--to", "raw"])
        #expect(missingFolder.status == 1)
        #expect(
            missingFolder.stderr.contains("the output folder does not exist or is not a directory"),
            "\(missingFolder.stderr)")

        for arguments in [
            ["convert", inputs[0].path, inputs[1].path, inputs[2].path, "--to", "raw"],
            ["convert", "--manifest", dir.file("m.txt"), "--to", "raw"],
            ["convert", inputs[0].path, dir.file("x.raw"), "--to", "raw", "--jobs", "2"],
            ["convert", inputs[0].path, "--output-dir", out, "--to", "raw", "--partition", "1"],
        ] {
            let usage = try CLI.run(arguments)
            #expect(usage.status == 64, "\(arguments): \(usage.stderr)")
            #expect(
                usage.stderr.hasPrefix("Error: ") && usage.stderr.contains("Usage: vhdedit convert "),
                "\(arguments): \(usage.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).isEmpty)
    }
}
