import Foundation
import Testing
import VHDEditKit
import _TestSupport

/// `ELFHeader` reads e_machine in the byte order `EI_DATA` names, with the numbers glibc's `<elf.h>` defines,
/// and agrees with binutils' readelf on a real binary of this machine.
@Suite struct ELFHeaderTests {
    /// `#define NAME value` from /usr/include/elf.h.
    static func elfConstant(_ name: String) throws -> UInt16 {
        let header = try String(contentsOfFile: "/usr/include/elf.h", encoding: .utf8)
        let line = try #require(
            header.split(separator: "\n").first {
                $0.hasPrefix("#define \(name)\t") || $0.hasPrefix("#define \(name) ")
            })
        return try #require(UInt16(line.split(whereSeparator: { $0 == " " || $0 == "\t" })[2]))
    }

    static func head(bits: UInt8, data: UInt8, machine: UInt16) -> [UInt8] {
        var bytes: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, bits, data, 1] + [UInt8](repeating: 0, count: 13)
        let (high, low) = (UInt8(machine >> 8), UInt8(machine & 0xFF))
        bytes[18] = data == 2 ? high : low
        bytes[19] = data == 2 ? low : high
        return bytes
    }

    @Test func machinesInBothByteOrders() throws {
        let cases: [(String, UInt8, UInt8, String)] = [
            ("EM_X86_64", 2, 1, "x86_64"), ("EM_AARCH64", 2, 1, "aarch64"), ("EM_386", 1, 1, "i386"),
            ("EM_ARM", 1, 1, "arm"), ("EM_PPC64", 2, 1, "ppc64le"), ("EM_PPC64", 2, 2, "ppc64"),
            ("EM_S390", 2, 2, "s390x"), ("EM_RISCV", 2, 1, "riscv64"),
        ]
        for (constant, bits, data, name) in cases {
            let header = try #require(
                ELFHeader(parsing: Self.head(bits: bits, data: data, machine: try Self.elfConstant(constant))))
            #expect(header.machineName == name, "\(constant)")
            #expect(header.bits == (bits == 2 ? 64 : 32))
        }
        #expect(ELFHeader(parsing: Array(Self.head(bits: 2, data: 1, machine: 62).prefix(19))) == nil)
        #expect(ELFHeader(parsing: [0x7F, 0x45, 0x4C, 0x47] + [UInt8](repeating: 0, count: 16)) == nil)
    }

    @Test func agreesWithReadelf() throws {
        let readelf = try ExternalTool.check(["readelf", "-h", "/bin/sh"]).output
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "/bin/sh")).prefix(ELFHeader.size))
        let header = try #require(ELFHeader(parsing: bytes))
        #expect(readelf.contains(header.bits == 64 ? "ELF64" : "ELF32"))
        #expect(readelf.contains(header.byteOrder == .little ? "little endian" : "big endian"))
        var uname = try ExternalTool.check(["uname", "-m"]).output
        uname.removeLast()
        #expect(header.machineName == uname)
    }
}
