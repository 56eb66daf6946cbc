import Foundation
import Testing
import VHDEditKit
import _TestSupport

/// Errors keep the error of the layer below as a typed `cause` (matched with `as?`, never by message text),
/// while their text stays what it was.
@Suite struct ErrorChainTests {
    @Test func imagePreparationErrorsCarryTheLayerBelowsError() throws {
        let dir = try TemporaryDirectory()
        // A missing file: the open failure is said once, with no cause left to chain.
        do {
            _ = try ImagePreparation.inspect(dir.file("missing.vhd"))
            Issue.record("inspect of a missing file succeeded")
        } catch {
            #expect(error.code == .image && error.cause == nil)
            #expect(error.description == "\(dir.file("missing.vhd")): cannot open the image: No such file or directory")
        }
        // A folder: BlockIO's refusal, typed.
        do {
            _ = try ImagePreparation.inspect(dir.path)
            Issue.record("inspect of a folder succeeded")
        } catch {
            let cause = try #require(error.cause as? BlockIOError)
            #expect(cause.code == .invalidArgument)
            #expect(error.description == "\(dir.path): cannot open the image: is a directory, not a disk image file")
        }
        // Zeros: no Linux root, DiskLayout's error, typed.
        let zeros = dir.file("zeros.raw")
        try ExternalTool.check(["truncate", "-s", "4M", zeros])
        do {
            _ = try ImagePreparation.inspect(zeros)
            Issue.record("inspect of a zero-filled file succeeded")
        } catch {
            #expect(error.code == .noRoot)
            #expect((error.cause as? DiskLayoutError) != nil, "\(String(describing: error.cause))")
        }
        // JSON carries the cause as its text, as before.
        let encoded = try JSONEncoder().encode(ImagePrepError(.image, "m", image: "i", cause: BlockIOError(.io, "x")))
        let decoded = try JSONDecoder().decode(ImagePrepError.self, from: encoded)
        #expect(decoded.description == "i: m: x")
        #expect((decoded.cause as? CauseText)?.description == "x")
    }
}

/// `DiskFacts` keeps its JSON spellings and gives the lower layers' enums back.
@Suite struct DiskFactsTypedTests {
    @Test func spellingsRoundTrip() throws {
        for kind in [PartitionTable.Kind.mbr, .gpt, .unpartitioned] {
            let facts = DiskFacts(
                format: DiskImage.Format.vhdDynamic.rawValue, virtualSize: 0, fileLength: 0,
                partitionTable: DiskFacts.spelling(of: kind), partitions: [], rootPartition: nil)
            #expect(facts.tableKind == kind)
            #expect(facts.imageFormat == .vhdDynamic)
        }
        let report = try ImagePreparation.inspect(
            ReadmeExampleTests.root.appendingPathComponent("TestImages/centos6-dynamic.vhd").path)
        #expect(report.disk.tableKind == .mbr && report.disk.partitionTable == "mbr")
        #expect(report.disk.imageFormat == .vhdDynamic)
    }
}
