import Foundation
import GuestConfig
import Testing
import _TestSupport

/// ``FilesystemTable`` reads an fstab as util-linux's libmount does: the fields `findmnt --fstab -F FILE -J`
/// reports for each line (escapes such as `\040` decoded, comments and blank lines skipped).
@Suite struct FilesystemTableOracleTests {
    static let edgeCases = """
        # comment
           # indented comment
        LABEL=my\\040root / ext4 defaults 0 1
        UUID="0a3407de-014b"\t/mnt/a\\011b\txfs\tro,noatime 0 2
        /dev/sda2 none swap sw
        /swap\\040file none swap defaults 0 0
        proc /proc proc
        tmpfs /mnt/back\\134slash tmpfs mode=1777 0 0

        PARTUUID='5e3c-01' /boot/efi vfat umask=0077 0 1
        """

    @Test func fieldsMatchFindmnt() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("fstab")
        try Data(Self.edgeCases.utf8).write(to: URL(fileURLWithPath: path))
        let findmnt = try ExternalTool.check(["findmnt", "-F", path, "-J", "-o", "SOURCE,TARGET,FSTYPE,OPTIONS"])
        let object = try #require(try JSONSerialization.jsonObject(with: findmnt.stdout) as? [String: Any])
        let lines = try #require(object["filesystems"] as? [[String: Any]])
        let table = FilesystemTable(Self.edgeCases)
        #expect(table.entries.count == lines.count)
        for (entry, line) in zip(table.entries, lines) {
            #expect(entry.mountPoint == line["target"] as? String)
            #expect(entry.type == line["fstype"] as? String)
            #expect(entry.optionsText == (line["options"] as? String ?? "defaults"))
            let source = try #require(line["source"] as? String)
            switch entry.device {
            case .label(let label): #expect("LABEL=" + label == source)
            case .path(let device), .other(let device): #expect(device == source)
            // libmount keeps a tag's quotes in SOURCE and drops them when it looks the tag up.
            case .uuid(let uuid): #expect(["UUID=" + uuid, "UUID=\"\(uuid)\""].contains(source))
            case .partUUID(let uuid): #expect(["PARTUUID=" + uuid, "PARTUUID='\(uuid)'"].contains(source))
            case .partLabel(let label): #expect("PARTLABEL=" + label == source)
            }
        }
        #expect(table.entries.map(\.device).first == .label("my root"))
        #expect(table.entries.map(\.spec).first == "LABEL=my\\040root", "spec keeps the field as written")
    }
}
