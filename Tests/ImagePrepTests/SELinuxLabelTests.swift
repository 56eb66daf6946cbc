import Ext4
import Foundation
import ImagePrep
import Testing
import _TestSupport

/// Files vhdedit creates in an SELinux guest get the label the guest's own policy gives their path: the
/// reference policy nobody here wrote (Debian's selinux-policy-default, 5,000+ file_contexts entries) installed
/// into a test guest as `/etc/selinux/targeted`, `matchpathcon -f` as the oracle of each expected label, and
/// `debugfs ea_get` reading what was written; `e2fsck -fn` stays clean.
@Suite struct SELinuxLabelTests {
    static let hostPolicy = "/etc/selinux/default/contexts/files"

    /// A guest filesystem (whole-disk ext4 made by mkfs.ext4 -d) with `/etc/selinux/config` saying `mode` and
    /// the reference policy's file contexts (plus `extra` files in that folder).
    static func guest(
        mode: String?, extra: [String: String] = [:], policy: Bool = true
    ) throws -> (TemporaryDirectory, String) {
        let work = try TemporaryDirectory(prefix: "selinux-guest")
        let root = work.file("root")
        let contexts = root + "/etc/selinux/targeted/contexts/files"
        for folder in [
            contexts, root + "/root/.ssh", root + "/home/azureuser", root + "/etc/sysconfig/network-scripts",
            root + "/etc/udev/rules.d", root + "/var/lib/waagent", root + "/usr/bin", root + "/srv/www",
        ] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        if policy {
            for name in ["file_contexts", "file_contexts.homedirs", "file_contexts.subs_dist"] {
                try FileManager.default.copyItem(atPath: hostPolicy + "/" + name, toPath: contexts + "/" + name)
            }
        }
        for (name, text) in extra { try text.write(toFile: contexts + "/" + name, atomically: false, encoding: .utf8) }
        if let mode {
            try "# SELinux\nSELINUX=\(mode)\nSELINUXTYPE=targeted\n".write(
                toFile: root + "/etc/selinux/config", atomically: false, encoding: .utf8)
        }
        try "guest\n".write(toFile: root + "/etc/hostname", atomically: false, encoding: .utf8)
        let image = work.file("disk.img")
        try ExternalTool.check(["mkfs.ext4", "-q", "-F", "-I", "256", "-d", root, image, "32M"])
        return (work, image)
    }

    /// What debugfs reads back as `security.selinux` of `path`, without the NUL; nil when it has none.
    static func storedLabel(_ image: String, _ path: String) throws -> String? {
        let out = try ExternalTool.run(["debugfs", "-R", "ea_get \(path) security.selinux", image])
        guard let start = out.output.range(of: "\""), let end = out.output.range(of: "\"", options: .backwards),
            start.upperBound < end.lowerBound
        else { return nil }
        var label = String(out.output[start.upperBound..<end.lowerBound])
        if label.hasSuffix("\\000") { label.removeLast(4) }
        return label
    }

    /// What matchpathcon says the guest's policy gives `path` of `type` (file, dir, lnk_file).
    static func expectedLabel(
        _ image: String, _ path: String, _ type: String, contexts: String = hostPolicy + "/file_contexts"
    ) throws -> String {
        let out = try ExternalTool.check(["matchpathcon", "-f", contexts, "-m", type, path]).output
        return String(out.split(separator: "\t").last!.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func fsckClean(_ image: String) throws -> Bool {
        try ExternalTool.run(["e2fsck", "-fn", image]).status == 0
    }

    @Test(arguments: ["enforcing", "permissive"])
    func everyCreatedInodeGetsThePolicysLabel(mode: String) throws {
        let (work, image) = try Self.guest(mode: mode)
        let guest = try GuestImage.open(path: image, writable: true)
        let fs = guest.filesystem
        let files = [
            "/root/.ssh/authorized_keys", "/etc/sysconfig/network-scripts/ifcfg-eth0", "/var/lib/waagent/ovf-env.xml",
            "/usr/bin/tool", "/etc/cloud-drop-in.cfg",
        ]
        for path in files { try fs.writeFile(GuestPath(path), contents: Array("x\n".utf8)) }
        try fs.makeDirectory(GuestPath("/home/azureuser/.ssh/keys"), parents: true)
        try fs.makeSymlink(GuestPath("/etc/udev/rules.d/75-persistent-net-generator.rules"), target: "/dev/null")
        try guest.close()
        #expect(try Self.fsckClean(image))
        for path in files {
            #expect(try Self.storedLabel(image, path) == Self.expectedLabel(image, path, "file"), "\(path)")
        }
        for path in ["/home/azureuser/.ssh", "/home/azureuser/.ssh/keys"] {
            #expect(try Self.storedLabel(image, path) == Self.expectedLabel(image, path, "dir"), "\(path)")
        }
        let link = "/etc/udev/rules.d/75-persistent-net-generator.rules"
        #expect(try Self.storedLabel(image, link) == Self.expectedLabel(image, link, "lnk_file"))
        #expect(try Self.storedLabel(image, "/root/.ssh/authorized_keys")?.contains("ssh_home_t") == true)
        withExtendedLifetime(work) {}
    }

    /// A rewritten file keeps its inode and its label; chmod and chown never drop it; stat shows it.
    @Test func rewrittenFilesKeepTheirLabel() throws {
        let (work, image) = try Self.guest(mode: "enforcing")
        let planted = "system_u:object_r:hostname_etc_t:s0"
        try ExternalTool.check(["debugfs", "-w", "-R", "ea_set /etc/hostname security.selinux \(planted)", image])
        let guest = try GuestImage.open(path: image, writable: true)
        try guest.filesystem.writeFile(GuestPath("/etc/hostname"), contents: Array("localhost\n".utf8))
        try guest.filesystem.chmod(GuestPath("/etc/hostname"), mode: 0o600)
        try guest.filesystem.chown(GuestPath("/etc/hostname"), uid: 7, gid: 7)
        #expect(try guest.filesystem.securityLabel(GuestPath("/etc/hostname")) == planted)
        try guest.close()
        #expect(try Self.storedLabel(image, "/etc/hostname") == planted)
        #expect(try Self.fsckClean(image))
        withExtendedLifetime(work) {}
    }

    /// Path equivalences of file_contexts.subs map /srv/www onto /var/www, as matchpathcon applies them.
    @Test func substitutionsAreHonoured() throws {
        let (work, image) = try Self.guest(mode: "enforcing", extra: ["file_contexts.subs": "/srv/www /var/www\n"])
        let guest = try GuestImage.open(path: image, writable: true)
        try guest.filesystem.writeFile(GuestPath("/srv/www/index.html"), contents: Array("<p>\n".utf8))
        try guest.close()
        let contexts = work.file("root/etc/selinux/targeted/contexts/files/file_contexts")
        let expected = try Self.expectedLabel(image, "/srv/www/index.html", "file", contexts: contexts)
        #expect(expected.contains("httpd_sys_content_t"))
        #expect(try Self.storedLabel(image, "/srv/www/index.html") == expected)
    }

    /// A guest with SELinux disabled or without a config gets no labels; an enforcing guest whose policy has no
    /// file_contexts is refused before anything is written.
    @Test func noLabelsWithoutSELinuxAndNoWritesWithoutAPolicy() throws {
        for mode in ["disabled", nil] as [String?] {
            let (work, image) = try Self.guest(mode: mode)
            let guest = try GuestImage.open(path: image, writable: true)
            try guest.filesystem.writeFile(GuestPath("/etc/new.conf"), contents: Array("x\n".utf8))
            try guest.close()
            #expect(try Self.storedLabel(image, "/etc/new.conf") == nil, "\(mode ?? "no config")")
            #expect(try Self.fsckClean(image))
            withExtendedLifetime(work) {}
        }
        let (work, image) = try Self.guest(mode: "enforcing", policy: false)
        let before = try FileDigest.sha256(image)
        #expect {
            _ = try GuestImage.open(path: image, writable: true)
        } throws: { error in
            "\(error)".contains("/etc/selinux/targeted/contexts/files/file_contexts")
        }
        #expect(try FileDigest.sha256(image) == before)
        withExtendedLifetime(work) {}
    }

    /// check warns about unlabelled inodes in an SELinux guest and passes once they are labelled;
    /// generalize --selinux-relabel (selection with selinux-relabel) plans /.autorelabel only for SELinux guests.
    @Test func checkAndRelabel() throws {
        let (work, image) = try Self.guest(mode: "enforcing")
        let before = try ImagePreparation.check(image).results.first { $0.id == "selinux.labels" }
        #expect(before?.verdict == .warn && before?.evidence.contains("/etc/hostname") == true)
        let plan = try ImagePreparation.generalize(
            image, options: Generalizer.Options(selection: OperationSelection().addingRelabel()), dryRun: false)
        #expect(plan.changes.contains { $0.path == "/.autorelabel" && $0.action == .create })
        let listing = try ExternalTool.check(["debugfs", "-R", "stat /.autorelabel", image]).output
        #expect(listing.contains("Type: regular"))
        #expect(try Self.storedLabel(image, "/.autorelabel") == Self.expectedLabel(image, "/.autorelabel", "file"))
        #expect(try Self.fsckClean(image))
        let (plainWork, plain) = try Self.guest(mode: "disabled")
        let none = try ImagePreparation.generalize(
            plain, options: Generalizer.Options(selection: OperationSelection(only: ["selinux-relabel"])), dryRun: true)
        #expect(none.changes.isEmpty && none.findings.contains { $0.message.contains("nothing to relabel") })
        let passing = try ImagePreparation.check(plain).results.first { $0.id == "selinux.labels" }
        #expect(passing?.verdict == .pass)
        withExtendedLifetime((work, plainWork)) {}
    }
}
