import BlockIO
import Foundation
import Testing
import _TestSupport

/// Writes into dynamic and differencing disks, checked against an in-memory model and qemu-img's reading.
@Suite struct VHDWriteTests {
    /// Applies `count` random writes (sector-aligned and not) to `device` and `model`.
    static func randomWrites(_ device: any BlockDevice, model: inout [UInt8], count: Int, seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        for index in 0..<count {
            let length = Int.random(in: 1...(70_000), using: &generator)
            let offset = Int.random(in: 0...(model.count - length), using: &generator)
            let bytes: [UInt8] =
                index % 5 == 4
                ? [UInt8](repeating: 0, count: length)  // some zero writes
                : VHDFixture.pseudoRandom(count: length, seed: UInt64(index) &+ seed)
            try device.write(at: UInt64(offset), bytes: bytes)
            model.replaceSubrange(offset..<offset + length, with: bytes)
        }
        try device.flush()
    }

    @Test func randomWritesIntoQemuDynamicMatchModelAndQemu() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("disk.vhd")
        try VHDFixture.qemuCreate(path, size: "7M")
        try VHDFixture.qemuWrite(path, pattern: 0x11, offset: 1 << 20, length: 8192)
        var model = try VHDFixture.qemuRaw(path, in: dir)
        do {
            let image = try VHDFixture.open(path: path, writable: true)
            try Self.randomWrites(image.device, model: &model, count: 40, seed: 1)
            #expect(try VHDFixture.readAll(image.device) == model)
            try image.commit()
        }
        // qemu reads what the model holds.
        #expect(try VHDFixture.qemuRaw(path, in: dir) == model)
        // Reopened, we read the same; both footers identical, checksums valid.
        let reopened = try VHDFixture.open(path: path)
        #expect(reopened.warnings.isEmpty)
        #expect(try VHDFixture.readAll(reopened.device) == model)
        let length = try VHDFixture.length(path)
        #expect(try VHDFixture.bytes(path, at: 0, count: 512) == VHDFixture.bytes(path, at: length - 512, count: 512))
        #expect(reopened.vhd?.structure.footerCopyState == .valid)
    }

    @Test func randomWritesIntoOurDynamicMatchQemu() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("ours.vhd")
        try ImageCreator.create(.dynamic(size: 5 << 20), at: path)
        var model = [UInt8](repeating: 0, count: 5 << 20)
        do {
            let image = try VHDFixture.open(path: path, writable: true)
            try Self.randomWrites(image.device, model: &model, count: 30, seed: 2)
            try image.commit()
        }
        #expect(try VHDFixture.qemuRaw(path, in: dir) == model)
        #expect(try VHDFixture.qemuVirtualSize(path) == 5 << 20)
    }

    @Test func zeroWriteIntoUnallocatedBlockAllocatesNothing() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("zero.vhd")
        try VHDFixture.qemuCreate(path, size: "8M")
        let before = try FileDigest.sha256(path)
        do {
            let image = try VHDFixture.open(path: path, writable: true)
            try image.device.write(at: 3 << 20, bytes: [UInt8](repeating: 0, count: 1 << 20))
            try image.device.write(at: 100, bytes: [0, 0, 0])
            try image.device.flush()
            try image.commit()
        }
        #expect(try FileDigest.sha256(path) == before)
    }

    @Test func blockAllocationMatchesQemuLayout() throws {
        // vhd-format.md §11 case 17: 4 KiB at 3 MiB+512, then 512 B at 0, into a fresh qemu 64 MiB image.
        let dir = try TemporaryDirectory()
        let path = dir.file("d64.vhd")
        try VHDFixture.qemuCreate(path, size: "64M")
        do {
            let image = try VHDFixture.open(path: path, writable: true)
            try image.device.write(at: 3 << 20 + 512, bytes: [UInt8](repeating: 0xAB, count: 4096))
            try image.device.write(at: 0, bytes: [UInt8](repeating: 0xCD, count: 512))
            let table = try #require((image.device as? DynamicVHD)?.allocationTable)
            #expect(table.entries[1] == 4)
            #expect(table.entries[0] == 0x1005)
            try image.commit()
        }
        #expect(try VHDFixture.length(path) == 4_197_888)
        let check = try ExternalTool.run([
            "qemu-io", "-f", "vpc", "-c", "read -P 0xab \(3 << 20 + 512) 4096", "-c", "read -P 0xcd 0 512",
            "-c", "read -P 0 512 4096", path,
        ])
        #expect(check.status == 0)
        #expect(!check.output.contains("Pattern verification failed"))
    }

    @Test func differencingWritesLeaveParentUnchanged() throws {
        let dir = try TemporaryDirectory()
        let parentPath = dir.file("parent.vhd")
        try VHDFixture.qemuCreate(parentPath, size: "6M")
        try VHDFixture.qemuWrite(parentPath, pattern: 0x5A, offset: 0, length: 3 << 20)
        try VHDFixture.qemuWrite(parentPath, pattern: 0x6B, offset: 5 << 20, length: 4096)
        let parentDigest = try FileDigest.sha256(parentPath)
        var model = try VHDFixture.qemuRaw(parentPath, in: dir)
        let childPath = dir.file("child.vhd")
        try VHDFixture.retryingInUse { () throws(BlockIOError) in
            try ImageCreator.create(.differencing(parent: parentPath), at: childPath)
        }
        do {
            let child = try VHDFixture.open(path: childPath, writable: true)
            #expect(child.format == .vhdDifferencing)
            #expect(try VHDFixture.readAll(child.device) == model)
            try Self.randomWrites(child.device, model: &model, count: 30, seed: 3)
            // A write of a few bytes inside a parent-backed sector keeps the sector's other bytes.
            try child.device.write(at: (5 << 20) + 7, bytes: [1, 2, 3])
            model.replaceSubrange(((5 << 20) + 7)..<((5 << 20) + 10), with: [1, 2, 3])
            #expect(try VHDFixture.readAll(child.device) == model)
            try child.commit()
        }
        #expect(try FileDigest.sha256(parentPath) == parentDigest)
        let reopened = try VHDFixture.open(path: childPath)
        #expect(try VHDFixture.readAll(reopened.device) == model)
        // Flattened by us, read by qemu.
        let flat = dir.file("flat.vhd")
        try VHDFixture.retryingInUse { () throws(BlockIOError) in
            try ImageConverter.convert(source: childPath, destination: flat, options: .init(format: .dynamic))
        }
        #expect(try VHDFixture.qemuRaw(flat, in: dir) == model)
        // qemu opens the child alone (as a dynamic disk, without its parent): the sectors the bitmaps mark as
        // present read the same through qemu, and the size matches.
        #expect(try VHDFixture.qemuVirtualSize(childPath) == UInt64(model.count))
        let qemuChild = try VHDFixture.qemuRaw(childPath, in: dir)
        let dynamic = try #require(reopened.device as? DynamicVHD)
        let bitmapSize = Int(try #require(reopened.vhd?.structure.header?.bitmapSize))
        var checkedSectors = 0
        for (index, entry) in dynamic.allocationTable.entries.enumerated() where entry != 0xFFFF_FFFF {
            let bitmap = SectorBitmap(
                parsing: try VHDFixture.bytes(childPath, at: UInt64(entry) * 512, count: bitmapSize))
            for sector in 0..<4096 where bitmap.isSet(sector) {
                let start = index * (2 << 20) + sector * 512
                guard start < model.count else { break }
                #expect(qemuChild[start..<start + 512] == model[start..<start + 512])
                checkedSectors += 1
            }
        }
        #expect(checkedSectors > 100)
        // Every bitmap byte is all-set or all-clear (whole 4 KiB pieces copied on write).
        for entry in dynamic.allocationTable.entries where entry != 0xFFFF_FFFF {
            let bitmap = try VHDFixture.bytes(childPath, at: UInt64(entry) * 512, count: bitmapSize)
            #expect(bitmap.allSatisfy { $0 == 0 || $0 == 0xFF })
        }
        // libvhdi reads the child's metadata: its parent id is the parent's id.
        let info = try ExternalTool.check(["vhdiinfo", childPath]).output
        #expect(info.contains("Parent identifier\t: \(try #require(reopened.vhd?.parent?.structure.footer.uniqueID))"))
    }

    /// libvhdi (which honours sector bitmaps and resolves the parent itself) reads our writes as the model says.
    @Test(.enabled(if: VHDFixture.canMountWithLibvhdi)) func libvhdiReadsOurDynamicAndDifferencingWrites() throws {
        let dir = try TemporaryDirectory()
        let parentPath = dir.file("parent.vhd")
        try VHDFixture.qemuCreate(parentPath, size: "6M")
        try VHDFixture.qemuWrite(parentPath, pattern: 0x3D, offset: 512, length: 4 << 20)
        var model = try VHDFixture.qemuRaw(parentPath, in: dir)
        let childPath = dir.file("child.vhd")
        try VHDFixture.retryingInUse { () throws(BlockIOError) in
            try ImageCreator.create(.differencing(parent: parentPath), at: childPath)
        }
        do {
            let child = try VHDFixture.open(path: childPath, writable: true)
            try Self.randomWrites(child.device, model: &model, count: 25, seed: 21)
            try child.commit()
        }
        // vhdimount shows the chain's images as vhdi1 (the parent) … vhdiN (the child, parent applied).
        #expect(try VHDFixture.libvhdiRaw(childPath, in: dir, layer: 2) == model)

        let dynamicPath = dir.file("dynamic.vhd")
        try ImageCreator.create(.dynamic(size: 5 << 20), at: dynamicPath)
        var dynamicModel = [UInt8](repeating: 0, count: 5 << 20)
        do {
            let image = try VHDFixture.open(path: dynamicPath, writable: true)
            try Self.randomWrites(image.device, model: &dynamicModel, count: 25, seed: 22)
            try image.commit()
        }
        #expect(try VHDFixture.libvhdiRaw(dynamicPath, in: dir, layer: 1) == dynamicModel)
    }

    @Test func chainOfThreeReadsThroughEveryLevel() throws {
        let dir = try TemporaryDirectory()
        let base = dir.file("base.vhd")
        try VHDFixture.qemuCreate(base, size: "5M")
        try VHDFixture.qemuWrite(base, pattern: 1, offset: 0, length: 5 << 20 - 1 << 19)
        var model = try VHDFixture.qemuRaw(base, in: dir)
        var parent = base
        for level in 1...3 {
            let child = dir.file("level\(level).vhd")
            try VHDFixture.retryingInUse { () throws(BlockIOError) in
                try ImageCreator.create(.differencing(parent: parent), at: child)
            }
            let image = try VHDFixture.open(path: child, writable: true)
            let offset = level * 1_000_000 + 3
            let bytes = [UInt8](repeating: UInt8(level * 40), count: 700_000)
            try image.device.write(at: UInt64(offset), bytes: bytes)
            model.replaceSubrange(offset..<offset + bytes.count, with: bytes)
            try image.commit()
            parent = child
        }
        let top = try VHDFixture.open(path: parent)
        #expect(top.vhd?.chain.count == 4)
        #expect(try VHDFixture.readAll(top.device) == model)
        let raw = dir.file("top.raw")
        try VHDFixture.retryingInUse { () throws(BlockIOError) in
            try ImageConverter.convert(source: parent, destination: raw, options: .init(format: .raw))
        }
        #expect(try ExternalTool.run(["cmp", raw, "-"], stdin: Data(model)).status == 0)
    }

    /// A store that fails on its `limit`-th write, to stop an allocation at every step.
    final class FailingStore: ByteStore {
        let base: HostFile
        var writesLeft: Int
        init(_ base: HostFile, writesAllowed: Int) {
            self.base = base
            writesLeft = writesAllowed
        }
        var path: String { base.path }
        var isWritable: Bool { true }
        func length() throws(BlockIOError) -> UInt64 { try base.length() }
        func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) -> Int {
            try base.read(at: offset, into: buffer)
        }
        func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockIOError) {
            guard writesLeft > 0 else { throw BlockIOError(.io, "injected crash") }
            writesLeft -= 1
            try base.write(at: offset, from: buffer)
        }
        func setLength(_ length: UInt64) throws(BlockIOError) { try base.setLength(length) }
        func sync() throws(BlockIOError) { try base.sync() }
    }

    @Test func crashAtEveryAllocationStepLeavesAReadableOldOrNewImage() throws {
        let dir = try TemporaryDirectory()
        let data = [UInt8](repeating: 0xE7, count: 5000)
        for allowed in 0...4 {
            let path = dir.file("crash\(allowed).vhd")
            try VHDFixture.qemuCreate(path, size: "4M")
            try VHDFixture.qemuWrite(path, pattern: 0x21, offset: 0, length: 4096)
            let old = try VHDFixture.qemuRaw(path, in: dir)
            var new = old
            new.replaceSubrange((2 << 20)..<((2 << 20) + data.count), with: data)
            var finished = false
            do {
                let store = FailingStore(try HostFile(path: path, access: .readWrite), writesAllowed: allowed)
                let image = try VHDImage.open(store: store)
                try image.device.write(at: 2 << 20, bytes: data)
                finished = true
            } catch {
                #expect(error.message == "injected crash")
            }
            var reopened: DiskImage? = try VHDFixture.open(path: path)
            let contents = try VHDFixture.readAll(try #require(reopened).device)
            #expect(contents == old || contents == new, "after \(allowed) writes")
            if finished { #expect(contents == new) }
            // qemu agrees, and the BAT never points past the end of the file.
            #expect(try VHDFixture.qemuRaw(path, in: dir) == contents)
            let length = try VHDFixture.length(path)
            for entry in reopened?.vhd?.structure.table?.entries ?? [] where entry != 0xFFFF_FFFF {
                #expect(UInt64(entry) * 512 + 512 + (2 << 20) <= length)
            }
            reopened = nil
            // Opened for writing again, a later write still works and lands in a valid image.
            do {
                let writer = try VHDFixture.open(path: path, writable: true)
                try writer.device.write(at: 3 << 20, bytes: [9, 9, 9])
                try writer.commit()
            }
            let final = try VHDFixture.open(path: path)
            #expect(final.warnings.isEmpty)
            #expect(try final.device.read(at: 3 << 20, count: 3) == [9, 9, 9])
        }
    }
}
