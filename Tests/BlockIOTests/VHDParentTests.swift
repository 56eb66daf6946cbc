import BlockIO
import Foundation
import Testing
import _TestSupport

/// Differencing parents: found through the locators relative to the child's folder, identity checked, loops
/// caught, parents never written.
@Suite struct VHDParentTests {
    static func makeChild(_ dir: TemporaryDirectory, parent: String, child: String) throws {
        try VHDFixture.retryingInUse { () throws(BlockIOError) in
            try ImageCreator.create(.differencing(parent: dir.file(parent)), at: dir.file(child))
        }
    }

    @Test func parentIsFoundAfterTheFolderMoves() throws {
        let dir = try TemporaryDirectory()
        try VHDFixture.qemuCreate(dir.file("base.vhd"), size: "3M")
        try VHDFixture.qemuWrite(dir.file("base.vhd"), pattern: 0x31, offset: 0, length: 65536)
        try Self.makeChild(dir, parent: "base.vhd", child: "child.vhd")
        // Move both into another folder: the absolute locators are stale, the relative one still works.
        let moved = dir.file("moved")
        try FileManager.default.createDirectory(atPath: moved, withIntermediateDirectories: false)
        for name in ["base.vhd", "child.vhd"] {
            try FileManager.default.moveItem(atPath: dir.file(name), toPath: moved + "/" + name)
        }
        let image = try VHDFixture.open(path: moved + "/child.vhd")
        #expect(image.vhd?.parent?.structure.path == moved + "/base.vhd")
        #expect(try image.device.read(at: 0, count: 4) == [0x31, 0x31, 0x31, 0x31])
    }

    @Test func parentIsOpenedReadOnlyWithASharedLock() throws {
        let dir = try TemporaryDirectory()
        try VHDFixture.qemuCreate(dir.file("base.vhd"), size: "3M")
        try Self.makeChild(dir, parent: "base.vhd", child: "child.vhd")
        let child = try VHDFixture.open(path: dir.file("child.vhd"), writable: true)
        #expect(child.vhd?.parent?.device.isWritable == false)
        // Another reader of the parent is fine; a writer is refused while the child is open.
        _ = try VHDFixture.open(path: dir.file("base.vhd"))
        #expect(throws: BlockIOError.self) { _ = try VHDFixture.open(path: dir.file("base.vhd"), writable: true) }
        withExtendedLifetime(child) {}
    }

    @Test func missingParentIsNamed() throws {
        let dir = try TemporaryDirectory()
        try VHDFixture.qemuCreate(dir.file("base.vhd"), size: "3M")
        try Self.makeChild(dir, parent: "base.vhd", child: "child.vhd")
        try FileManager.default.removeItem(atPath: dir.file("base.vhd"))
        do {
            _ = try VHDFixture.open(path: dir.file("child.vhd"))
            Issue.record("opened without its parent")
        } catch {
            #expect(error.code == .parent)
            #expect(error.path == dir.file("child.vhd"))
            #expect(error.structure == "dynamic disk header")
            #expect(error.message.contains("base.vhd"))
            #expect(error.message.contains("not found"), "\(error)")
        }
    }

    @Test func parentWithAnotherUniqueIDIsRefused() throws {
        let dir = try TemporaryDirectory()
        try VHDFixture.qemuCreate(dir.file("base.vhd"), size: "3M")
        try Self.makeChild(dir, parent: "base.vhd", child: "child.vhd")
        let expected = try VHDFixture.open(path: dir.file("base.vhd")).vhd!.structure.footer.uniqueID
        try FileManager.default.removeItem(atPath: dir.file("base.vhd"))
        try VHDFixture.qemuCreate(dir.file("base.vhd"), size: "3M")  // same name, new unique id
        let impostor = try VHDFixture.open(path: dir.file("base.vhd")).vhd!.structure.footer.uniqueID
        do {
            _ = try VHDFixture.open(path: dir.file("child.vhd"))
            Issue.record("opened with the wrong parent")
        } catch {
            #expect(error.code == .parent)
            #expect(error.field == "parent_unique_id")
            #expect(error.message.contains(expected.description))
            #expect(error.message.contains(impostor.description))
        }
    }

    @Test func selfParentAndTwoImageLoopsAreCaught() throws {
        let dir = try TemporaryDirectory()
        // x.vhd's child replaces x.vhd: it now names itself as parent.
        try VHDFixture.qemuCreate(dir.file("x.vhd"), size: "3M")
        try Self.makeChild(dir, parent: "x.vhd", child: "c.vhd")
        try FileManager.default.removeItem(atPath: dir.file("x.vhd"))
        try FileManager.default.moveItem(atPath: dir.file("c.vhd"), toPath: dir.file("x.vhd"))
        for writable in [false, true] {
            do {
                _ = try VHDFixture.open(path: dir.file("x.vhd"), writable: writable)
                Issue.record("self loop opened")
            } catch {
                #expect(error.code == .parent)
                #expect(error.message.contains("loops"))
            }
        }
        // a -> b -> a
        try VHDFixture.qemuCreate(dir.file("a.vhd"), size: "3M")
        try Self.makeChild(dir, parent: "a.vhd", child: "b.vhd")
        try Self.makeChild(dir, parent: "b.vhd", child: "c.vhd")
        try FileManager.default.removeItem(atPath: dir.file("a.vhd"))
        try FileManager.default.moveItem(atPath: dir.file("c.vhd"), toPath: dir.file("a.vhd"))
        do {
            _ = try VHDFixture.open(path: dir.file("b.vhd"))
            Issue.record("loop opened")
        } catch {
            #expect(error.code == .parent)
            #expect(error.message.contains("loops"))
        }
    }

    @Test func locatorsAreWrittenTheWayReadersExpect() throws {
        let dir = try TemporaryDirectory()
        try VHDFixture.qemuCreate(dir.file("base.vhd"), size: "3M")
        try Self.makeChild(dir, parent: "base.vhd", child: "child.vhd")
        let image = try VHDFixture.open(path: dir.file("child.vhd"))
        let structure = try #require(image.vhd?.structure)
        let header = try #require(structure.header)
        #expect(header.parentName == "base.vhd")
        let parentFooter = try #require(image.vhd?.parent?.structure.footer)
        #expect(header.parentUniqueID == parentFooter.uniqueID)
        #expect(header.parentTimestamp == parentFooter.timestamp)
        let platforms = structure.parentLocatorPaths.map { "\($0.platform.name)=\($0.path)" }
        #expect(platforms.contains("W2ru=.\\base.vhd"))
        #expect(platforms.contains { $0.hasPrefix("W2ku=") && $0.hasSuffix("/base.vhd") })
        #expect(platforms.contains { $0.hasPrefix("MacX=") && $0.hasSuffix("/base.vhd") })
        for locator in header.parentLocators where locator.isUsed {
            #expect(locator.platformDataSpace % 512 == 0)
            #expect(locator.platformDataSpace >= 512)
        }
        // W2ru payload is UTF-16LE ".\base.vhd" (checked on the raw bytes).
        let w2ru = try #require(header.parentLocators.first { $0.platform == .w2ru })
        let payload = try VHDFixture.bytes(
            dir.file("child.vhd"), at: w2ru.platformDataOffset, count: Int(w2ru.platformDataLength))
        #expect(payload == Array(".\\base.vhd".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        // vhdiinfo sees the parent name.
        let info = try ExternalTool.check(["vhdiinfo", dir.file("child.vhd")]).output
        #expect(info.contains("Parent filename\t\t: base.vhd"))
    }

    @Test func fixedParentWorksToo() throws {
        let dir = try TemporaryDirectory()
        let parent = dir.file("fixed.vhd")
        try VHDFixture.qemuCreate(parent, size: "3M", options: "subformat=fixed,force_size=on")
        try VHDFixture.qemuWrite(parent, pattern: 0x4F, offset: 0, length: 3 << 20)
        try Self.makeChild(dir, parent: "fixed.vhd", child: "child.vhd")
        var model = try VHDFixture.qemuRaw(parent, in: dir)
        do {
            let child = try VHDFixture.open(path: dir.file("child.vhd"), writable: true)
            #expect(child.vhd?.parent?.format == .vhdFixed)
            try child.device.write(at: 1000, bytes: [1, 2, 3, 4])
            try child.commit()
        }
        model.replaceSubrange(1000..<1004, with: [1, 2, 3, 4])
        #expect(try VHDFixture.readAll(VHDFixture.open(path: dir.file("child.vhd")).device) == model)
        // The 4 KiB piece around the write was copied from the parent: qemu, reading the child alone, sees it.
        let alone = try VHDFixture.qemuRaw(dir.file("child.vhd"), in: dir)
        #expect(alone[0..<4096] == model[0..<4096])
        #expect(alone[4096..<8192].allSatisfy { $0 == 0 })
    }
}
