import Foundation
import Testing
import _TestSupport

/// Golden images: an image with no write permission for anyone (`chmod a-w`) is not written, even by root,
/// unless `--force`; `convert --force` does not replace one. Meaningful as root (root's writes ignore the mode),
/// which is how image farms run.
@Suite struct GoldenImageTests {
    static let isRoot = getuid() == 0

    func golden() throws -> FileCommandTests.Disk {
        let disk = try FileCommandTests.Disk(vhd: true)
        try ExternalTool.check(["chmod", "a-w", disk.image])
        return disk
    }

    @Test(.enabled(if: isRoot)) func writingCommandsRefuseAGoldenImageUnlessForced() throws {
        let disk = try golden()
        let image = disk.image
        let before = try FileDigest.sha256(image)
        let local = disk.directory.file("local.conf")
        try Data("golden\n".utf8).write(to: URL(fileURLWithPath: local))
        let writers: [[String]] = [
            ["put", image, local, "/etc/new.conf"], ["rm", image, "/etc/hostname"], ["mkdir", image, "/srv"],
            ["chmod", image, "600", "/etc/hostname"],
            ["config", "set", image, "/etc/waagent.conf", "ResourceDisk.Format=y"],
            ["generalize", image], ["azure-prepare", image],
        ]
        for command in writers {
            let result = try disk.vhdedit(command)
            #expect(result.status != 0, "\(command) wrote a golden image")
            #expect(
                result.stderr.contains("write-protected") && result.stderr.contains("--force"),
                "\(command): \(result.stderr)")
        }
        // A batch child is refused too.
        let batch = try disk.vhdedit(["generalize", image, "--timeout", "60"])
        #expect(batch.status != 0 && batch.output.contains("write-protected"), "batch: \(batch.output)")
        #expect(try FileDigest.sha256(image) == before, "a refused command wrote the golden image")
        #expect(!FileManager.default.fileExists(atPath: image + ".vhdedit-journal"))
        // Readers are not concerned.
        let cat = try disk.vhdedit(["cat", image, "/etc/hostname"])
        #expect(cat.status == 0 && cat.output == "guest\n")

        // --force writes it (and a batch passes --force on to its children).
        let put = try disk.vhdedit(["put", image, local, "/etc/new.conf", "--force"])
        #expect(put.status == 0, "put --force: \(put.stderr)")
        #expect(try disk.vhdedit(["cat", image, "/etc/new.conf"]).output == "golden\n")
        let generalize = try disk.vhdedit(["generalize", image, "--timeout", "60", "--force"])
        #expect(generalize.status == 0, "generalize --force (batch): \(generalize.output) \(generalize.stderr)")
        try disk.expectClean()
        #expect(try FileDigest.sha256(image) != before)
    }

    @Test(.enabled(if: isRoot)) func convertDoesNotReplaceAGoldenDestination() throws {
        let disk = try FileCommandTests.Disk()
        let destination = disk.directory.file("master.vhd")
        try ExternalTool.check(["qemu-img", "create", "-q", "-f", "vpc", destination, "1M"])
        try ExternalTool.check(["chmod", "444", destination])
        let before = try FileDigest.sha256(destination)
        let convert = try disk.vhdedit(["convert", disk.image, destination, "--to", "fixed", "--force"])
        #expect(convert.status != 0 && convert.stderr.contains("write-protected"), "\(convert.stderr)")
        #expect(try FileDigest.sha256(destination) == before)
        let create = try disk.vhdedit(["create", destination, "--size", "2M", "--to", "dynamic", "--force"])
        #expect(create.status != 0 && create.stderr.contains("write-protected"), "\(create.stderr)")
        #expect(try FileDigest.sha256(destination) == before)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: disk.directory.path).allSatisfy {
                !$0.hasSuffix(".tmp")
            })
        // Once writable again it is replaced.
        try ExternalTool.check(["chmod", "644", destination])
        #expect(try disk.vhdedit(["convert", disk.image, destination, "--to", "fixed", "--force"]).status == 0)
        #expect(
            try ExternalTool.run(["qemu-img", "compare", "-f", "raw", "-F", "vpc", disk.image, destination]).status == 0
        )
    }
}
