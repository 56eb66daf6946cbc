import BlockIO
import Foundation
import Testing
import _TestSupport

@Suite struct RawImageTests {
    @Test func readsAndWritesTheFileBytes() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("disk.raw")
        try ExternalTool.check(["truncate", "-s", "1M", path])
        do {
            let image = try DiskImage.open(path: path, writable: true)
            #expect(image.format == .raw)
            #expect(image.device.size == 1 << 20)
            try image.device.write(at: 4096, bytes: Array("vhdedit".utf8))
            try image.device.flush()
            try image.commit()
        }
        let head = try ExternalTool.check(["dd", "if=\(path)", "bs=1", "skip=4096", "count=7", "status=none"])
        #expect(head.output == "vhdedit")
    }

    @Test func secondWriterIsRefusedAsInUse() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("disk.raw")
        try ExternalTool.check(["truncate", "-s", "64K", path])
        let first = try DiskImage.open(path: path, writable: true)
        #expect(throws: BlockIOError.self) { _ = try DiskImage.open(path: path, writable: true) }
        do {
            _ = try DiskImage.open(path: path, writable: true)
        } catch {
            #expect(error.code == .inUse)
        }
        withExtendedLifetime(first) {}
    }

    @Test func sliceStaysInsideItsRange() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("disk.raw")
        try ExternalTool.check(["truncate", "-s", "64K", path])
        let image = try DiskImage.open(path: path, writable: true)
        let slice = try SliceDevice(base: image.device, start: 8192, size: 4096)
        try slice.write(at: 0, bytes: [1, 2, 3])
        #expect(try image.device.read(at: 8192, count: 3) == [1, 2, 3])
        #expect(throws: BlockIOError.self) { try slice.write(at: 4095, bytes: [1, 2]) }
    }
}
