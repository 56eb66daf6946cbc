public import BlockIO

/// The identifying start of an ELF executable's header (the first 20 bytes of `Elf32_Ehdr`/`Elf64_Ehdr`): what
/// tells a guest's architecture from its init binary, without running it.
///
/// | Offset | Size | Field |
/// |-------:|-----:|-------|
/// | 0      | 4    | `e_ident[EI_MAG0..3]`: `7F 45 4C 46` (`\x7FELF`) |
/// | 4      | 1    | `e_ident[EI_CLASS]`: 1 = 32-bit, 2 = 64-bit |
/// | 5      | 1    | `e_ident[EI_DATA]`: 1 = little-endian, 2 = big-endian (the order of every later field) |
/// | 6      | 1    | `e_ident[EI_VERSION]` |
/// | 7      | 9    | `e_ident[EI_OSABI..]`: ABI, ABI version, padding |
/// | 16     | 2    | `e_type` |
/// | 18     | 2    | `e_machine` (`EM_X86_64` = 0x3E, `EM_AARCH64` = 0xB7, …) |
public struct ELFHeader: Sendable, Equatable {
    /// The bytes this record reads.
    public static let size = 20
    /// `\x7FELF`.
    public static let magic: [UInt8] = [0x7F, 0x45, 0x4C, 0x46]

    /// 64 for `ELFCLASS64`, else 32.
    public var bits: Int
    /// The byte order of the file's fields (big-endian for `EI_DATA` 2, else little-endian).
    public var byteOrder: ByteOrder
    /// `e_ident[EI_DATA]` as stored.
    public var dataEncoding: UInt8
    /// `e_machine`.
    public var machine: UInt16

    /// Parses the first ``size`` bytes of a file; `nil` when they are fewer or the magic is not `\x7FELF`.
    public init?(parsing head: [UInt8]) {
        guard head.count >= Self.size, Array(head[0..<4]) == Self.magic else { return nil }
        bits = head[4] == 2 ? 64 : 32
        dataEncoding = head[5]
        byteOrder = head[5] == 2 ? .big : .little
        let reader = ByteReader(Array(head.prefix(Self.size)), byteOrder: byteOrder, structure: "ELF header")
        guard let machine = try? reader.uint16(at: 18, "e_machine") else { return nil }
        self.machine = machine
    }

    /// The machine as `uname -m` names it (`x86_64`, `aarch64`, `ppc64le`…), `machine-0xNN` when unknown.
    public var machineName: String {
        switch machine {
        case 0x03: return "i386"
        case 0x3E: return "x86_64"
        case 0xB7: return "aarch64"
        case 0x28: return "arm"
        case 0x15: return bits == 64 ? (dataEncoding == 1 ? "ppc64le" : "ppc64") : "ppc"
        case 0x16: return "s390x"
        case 0xF3: return bits == 64 ? "riscv64" : "riscv32"
        default: return "machine-0x" + String(machine, radix: 16)
        }
    }
}
