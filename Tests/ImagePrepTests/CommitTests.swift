import Foundation
import ImagePrep
import Testing
import _TestSupport

/// A GuestFiles that fails after `failAfter` writes, to prove a failed run commits nothing.
final class FailingGuestFiles: GuestFiles {
    let base: any GuestFiles
    var remaining: Int
    init(_ base: any GuestFiles, failAfter: Int) { self.base = base; remaining = failAfter }
    func spend() throws(ImagePrepError) {
        remaining -= 1
        if remaining < 0 { throw ImagePrepError(.filesystem, "injected failure") }
    }
    func lstat(_ path: String) throws(ImagePrepError) -> GuestFileInfo? { try base.lstat(path) }
    func readFile(_ path: String, limit: Int) throws(ImagePrepError) -> [UInt8] {
        try base.readFile(path, limit: limit)
    }
    func readPrefix(_ path: String, count: Int) throws(ImagePrepError) -> [UInt8] {
        try base.readPrefix(path, count: count)
    }
    func writeFile(_ path: String, contents: [UInt8], newFileMode: UInt16) throws(ImagePrepError) {
        try spend(); try base.writeFile(path, contents: contents, newFileMode: newFileMode)
    }
    func removeFile(_ path: String) throws(ImagePrepError) { try spend(); try base.removeFile(path) }
    func removeTree(_ path: String) throws(ImagePrepError) { try spend(); try base.removeTree(path) }
    func listDirectory(_ path: String) throws(ImagePrepError) -> [String] { try base.listDirectory(path) }
    func readLink(_ path: String) throws(ImagePrepError) -> String { try base.readLink(path) }
}

@Suite struct CommitTests {
    @Test(arguments: ["centos6-dynamic.vhd", "centos6-fixed.vhd"])
    func aRunThatFailsHalfwayLeavesTheImageAsItWas(_ name: String) throws {
        let work = try TemporaryDirectory()
        let image = try TestImageFarm.copy(name, to: work)
        let hash = try FileDigest.sha256(image)
        do {
            let session = try GuestImage.openForPreparation(path: image, writable: true)
            let inspection = try OSInspector(files: session.files, disk: session.facts).inspect()
            let plan = try Generalizer.plan(
                files: session.files, inspection: inspection, options: Generalizer.Options(deleteUser: true))
            #expect(plan.changes.count > 6)
            #expect(throws: ImagePrepError.self) {
                try PlanApplier.apply(plan.changes, to: FailingGuestFiles(session.files, failAfter: 5))
            }
            // No commit: the session is dropped here.
        }
        #expect(try FileDigest.sha256(image) == hash)
        let fsck = try fsckClean(image, work: work)
        #expect(fsck.status == 0)
        // And the same run, uninterrupted, commits everything.
        let report = try ImagePreparation.generalize(
            image, options: Generalizer.Options(deleteUser: true), dryRun: false)
        #expect(!report.changes.isEmpty)
        #expect(try FileDigest.sha256(image) != hash)
        #expect(try ImagePreparation.generalize(image, dryRun: true).changes.isEmpty)
    }

    @Test func kernelArgsAndConfigCommandsPrintDiffsAndCommit() throws {
        let work = try TemporaryDirectory()
        let image = try TestImageFarm.copy("ubuntu1804-dynamic.vhd", to: work)
        let hash = try FileDigest.sha256(image)
        let dry = try VHDEditBinary.run([
            "kernel-args", image, "--add", "rootdelay=300", "--remove", "quiet", "--dry-run",
        ])
        #expect(
            dry.status == 0 && dry.output.contains("+GRUB_CMDLINE_LINUX=\"rootdelay=300\"")
                && dry.output.contains("would change 2 files"))
        #expect(try FileDigest.sha256(image) == hash)
        let real = try VHDEditBinary.run(["kernel-args", image, "--add", "rootdelay=300", "--remove", "quiet"])
        #expect(real.status == 0)
        let grub = try guestCat(image, "/boot/grub/grub.cfg", work: work)
        #expect(grub.contains("rootdelay=300") && !grub.contains(" quiet"))
        let set = try VHDEditBinary.run(["config", "set", image, "/etc/waagent.conf", "ResourceDisk.EnableSwap=n"])
        #expect(set.status == 0 && set.output.contains("-ResourceDisk.EnableSwap=y\n+ResourceDisk.EnableSwap=n"))
        let get = try VHDEditBinary.run([
            "config", "get", image, "/etc/waagent.conf", "ResourceDisk.EnableSwap", "Lib.Dir",
        ])
        #expect(get.output == "ResourceDisk.EnableSwap=n\nLib.Dir=/var/lib/waagent\n")
        let bad = try VHDEditBinary.run(["config", "set", image, "/etc/waagent.conf", "ResourceDisk.EnableSwap=maybe"])
        #expect(bad.status == 64 && bad.stderr.contains("y or n"))  // a usage error
        #expect(try fsckClean(image, work: work).status == 0)
    }
}
