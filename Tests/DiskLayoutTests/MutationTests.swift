import BlockIO
import DiskLayout
import Foundation
import Testing
import _TestSupport

/// A disk held in memory, for mutation tests that parse thousands of damaged tables quickly.
final class MemoryDevice: BlockDevice {
    var bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    var size: UInt64 { UInt64(bytes.count) }
    var isWritable: Bool { true }
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockIOError) {
        try checkBounds(offset: offset, count: buffer.count)
        for index in 0..<buffer.count { buffer[index] = bytes[Int(offset) + index] }
    }
    func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockIOError) {
        try checkBounds(offset: offset, count: buffer.count)
        for index in 0..<buffer.count { bytes[Int(offset) + index] = buffer[index] }
    }
    func flush() throws(BlockIOError) {}
}

/// Random damage to real tables (sfdisk's MBR with logical partitions, sgdisk's GPT): every outcome is a table or
/// a ``DiskLayoutError``, never a crash, and the parse stays bounded.
@Suite struct MutationTests {
    /// Damages `count` random bytes of `device` among `regions`, optionally re-sealing the GPT header CRCs so the
    /// damage reaches the fields behind them; returns the original bytes to restore.
    static func mutate(
        _ device: MemoryDevice, regions: [Range<Int>], count: Int, resealGPT: Bool,
        rng: inout some RandomNumberGenerator
    ) -> [(Int, UInt8)] {
        var saved: [(Int, UInt8)] = []
        func set(_ index: Int, _ value: UInt8) {
            saved.append((index, device.bytes[index]))
            device.bytes[index] = value
        }
        for _ in 0..<count {
            let region = regions.randomElement(using: &rng)!
            set(Int.random(in: region, using: &rng), UInt8.random(in: 0...255, using: &rng))
        }
        if resealGPT {
            for headerOffset in [512, device.bytes.count - 512] {
                let size = Int(device.bytes[headerOffset + 12]) | Int(device.bytes[headerOffset + 13]) << 8
                guard size >= 92, size <= 512, device.bytes[headerOffset + 14] == 0,
                    device.bytes[headerOffset + 15] == 0
                else { continue }
                var header = Array(device.bytes[headerOffset..<headerOffset + size])
                for index in 16..<20 { header[index] = 0 }
                let crc = CRC32.checksum(header)
                for index in 0..<4 { set(headerOffset + 16 + index, UInt8(truncatingIfNeeded: crc >> (index * 8))) }
            }
        }
        return saved
    }

    static func restore(_ device: MemoryDevice, _ saved: [(Int, UInt8)]) {
        for (index, value) in saved.reversed() { device.bytes[index] = value }
    }

    @Test func damagedMBRChainsNeverCrash() throws {
        let fixture = try DiskFixture(sizeMiB: 32)
        try fixture.sfdisk(MBRTests.logicalScript)
        let device = MemoryDevice(try fixture.bytes(at: 0, count: 32 << 20))
        let ebrs = try HostileTableTests.ebrOffsets(fixture).map { Int($0) + 446..<Int($0) + 512 }
        var rng = SystemRandomNumberGenerator()
        var outcomes: [String: Int] = [:]
        for _ in 0..<300 {
            let saved = Self.mutate(device, regions: [446..<512] + ebrs, count: 3, resealGPT: false, rng: &rng)
            defer { Self.restore(device, saved) }
            do {
                let table = try PartitionTable.read(from: device)
                #expect(table.partitions.count <= 4 + MBRReaderLimit.logical)
                outcomes[table.kind.rawValue, default: 0] += 1
            } catch {
                outcomes[error.code.name, default: 0] += 1
            }
        }
        #expect(outcomes.values.reduce(0, +) == 300)
    }

    @Test func damagedGPTsNeverCrash() throws {
        let fixture = try DiskFixture(sizeMiB: 4)
        try fixture.sgdisk([
            "-n", "1:2048:+1M", "-t", "1:8300", "-c", "1:one", "-n", "2:0:+1M", "-t", "2:ef00", "-n", "5:0:0",
        ])
        let device = MemoryDevice(try fixture.bytes(at: 0, count: 4 << 20))
        let end = device.bytes.count
        var rng = SystemRandomNumberGenerator()
        var outcomes: [String: Int] = [:]
        for round in 0..<300 {
            let saved = Self.mutate(
                device, regions: [446..<512, 512..<604, 1024..<3072, end - 512..<end - 420],
                count: 4, resealGPT: round % 2 == 0, rng: &rng)
            defer { Self.restore(device, saved) }
            do {
                let table = try PartitionTable.read(from: device)
                outcomes[table.kind.rawValue, default: 0] += 1
            } catch {
                outcomes[error.code.name, default: 0] += 1
            }
        }
        #expect(outcomes.values.reduce(0, +) == 300)
    }
}

/// The chain bound the MBR reader documents (256 EBRs).
enum MBRReaderLimit { static let logical = 256 }
