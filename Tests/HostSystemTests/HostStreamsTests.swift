import Foundation
import HostSystem
import Testing
import _TestSupport

@Suite struct HostStreamsTests {
    /// Bytes written in several chunks land in order, and `sha256sum` of the file matches what was written.
    @Test func outputFileWritesEveryChunk() throws {
        let folder = try TemporaryDirectory()
        let path = folder.file("out.bin")
        let chunks: [[UInt8]] = [Array(repeating: 0xAB, count: 3 << 20), Array("tail\n".utf8), []]
        let output = try HostOutputFile(path: path, mode: 0o600)
        for chunk in chunks { try output.write(chunk) }
        try output.finish()
        let expected = Data(chunks.joined())
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == expected)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    /// An existing file is truncated, not appended to.
    @Test func outputFileTruncates() throws {
        let folder = try TemporaryDirectory()
        let path = folder.file("out.txt")
        try Data(repeating: 0x41, count: 1000).write(to: URL(fileURLWithPath: path))
        let output = try HostOutputFile(path: path)
        try output.write(Array("short".utf8))
        try output.finish()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "short")
    }

    /// A symlink where the output should go is refused, saying so (not the bare ELOOP text), and its target
    /// keeps its bytes.
    @Test func outputFileRefusesASymlink() throws {
        let folder = try TemporaryDirectory()
        let target = folder.file("precious")
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: target))
        let link = folder.file("link")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        #expect {
            _ = try HostOutputFile(path: link)
        } throws: { error in
            let failure = error as? HostSystemError
            return failure?.code == .invalidArgument && failure?.path == link
                && failure?.description
                    == "\(link): is a symbolic link; not written through (remove it or name another file)"
        }
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep me")
    }

    /// Reading in small chunks gives back the file's bytes and its size; a missing file names its path.
    @Test func inputFileReadsBackAndReportsSize() throws {
        let folder = try TemporaryDirectory()
        let path = folder.file("in.bin")
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let input = try HostInputFile(path: path)
        #expect(input.size == 100_000)
        var chunked: [UInt8] = []
        while case let chunk = try input.read(upToCount: 4096), !chunk.isEmpty { chunked += chunk }
        #expect(chunked == bytes)
        #expect(try HostInputFile(path: path).readToEnd() == bytes)
        #expect {
            _ = try HostInputFile(path: folder.file("missing"))
        } throws: { error in
            (error as? HostSystemError)?.errno == ENOENT && "\(error)".hasPrefix(folder.file("missing") + ": ")
        }
    }

    /// The scratch folder is new, private (0700) and under $TMPDIR's folder; released, it is gone with what is
    /// in it (files, a subfolder, a symbolic link, which is removed, not followed).
    @Test func scratchFolderIsPrivateAndRemovedWithItsContents() throws {
        let outside = try TemporaryDirectory(prefix: "vhdedit-test-outside")
        try Data("keep\n".utf8).write(to: URL(fileURLWithPath: outside.file("kept")))
        var folder: HostScratchFolder? = try HostScratchFolder(prefix: "vhdedit-test-scratch")
        let path = try #require(folder?.path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
        #expect((attributes[.type] as? FileAttributeType) == .typeDirectory)
        #expect(path.contains("/vhdedit-test-scratch."))
        try FileManager.default.createDirectory(atPath: path + "/edit/deeper", withIntermediateDirectories: true)
        try Data("copy\n".utf8).write(to: URL(fileURLWithPath: path + "/edit/.file.swp"))
        try Data("copy\n".utf8).write(to: URL(fileURLWithPath: path + "/edit/deeper/file"))
        try FileManager.default.createSymbolicLink(atPath: path + "/link", withDestinationPath: outside.path)
        folder = nil
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(try String(contentsOfFile: outside.file("kept"), encoding: .utf8) == "keep\n")
    }
}
