import CSandbox
import CSeccomp
import Foundation
import Testing
import _TestSupport

/// The sandbox's seccomp filter is a BPF program written by hand (CSandbox), so that the binary does not link
/// libseccomp. libseccomp is the oracle: for the same rules (named calls refused with `EPERM`, everything else
/// allowed, a foreign architecture killed) it builds its own program, and both programs must decide every
/// system call number of every architecture the same way.
@Suite struct SeccompFilterTests {
    /// The calls the sandbox refuses, by name (libseccomp resolves the names to this architecture's numbers).
    static let refused = [
        "execve", "execveat", "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4", "ptrace",
        "process_vm_readv", "process_vm_writev",
    ]
    /// Refused too unless files may be opened.
    static let opens = ["open", "openat", "openat2", "creat"]

    /// What a program decides for one call: allow, fail with an errno, or kill.
    enum Verdict: Equatable, CustomStringConvertible {
        case allow, errno(UInt32), kill

        init(_ value: UInt32) {
            switch value & 0xFFFF_0000 {
            case 0x7FFF_0000: self = .allow
            case 0x0005_0000: self = .errno(value & 0xFFFF)
            default: self = .kill  // SECCOMP_RET_KILL_THREAD (0), SECCOMP_RET_KILL_PROCESS
            }
        }

        var description: String {
            switch self {
            case .allow: "allow"
            case .errno(let code): "errno \(code)"
            case .kill: "kill"
            }
        }
    }

    /// One classic BPF instruction (struct sock_filter).
    struct Instruction {
        var code: UInt16, jt: UInt8, jf: UInt8, k: UInt32
    }

    /// Runs `program` on a seccomp_data of `arch` and `number` (the only fields either program loads). The
    /// instructions are the subset seccomp filters of this shape use; anything else fails the test.
    static func run(_ program: [Instruction], arch: UInt32, number: UInt32) throws -> Verdict {
        var accumulator: UInt32 = 0
        var pc = 0
        while pc < program.count {
            let op = program[pc]
            pc += 1
            switch op.code {
            case 0x20:  // BPF_LD | BPF_W | BPF_ABS
                switch op.k {
                case 0: accumulator = number
                case 4: accumulator = arch
                default: throw Unsupported(what: "a load of seccomp_data offset \(op.k)")
                }
            case 0x15, 0x25, 0x35, 0x45:  // BPF_JMP | JEQ, JGT, JGE, JSET | BPF_K
                let taken =
                    switch op.code {
                    case 0x15: accumulator == op.k
                    case 0x25: accumulator > op.k
                    case 0x35: accumulator >= op.k
                    default: accumulator & op.k != 0
                    }
                pc += Int(taken ? op.jt : op.jf)
            case 0x05:  // BPF_JMP | BPF_JA
                pc += Int(op.k)
            case 0x06:  // BPF_RET | BPF_K
                return Verdict(op.k)
            default:
                throw Unsupported(what: "opcode 0x\(String(op.code, radix: 16))")
            }
        }
        throw Unsupported(what: "a program that runs off its end")
    }

    struct Unsupported: Error, CustomStringConvertible {
        var what: String
        var description: String { "the simulator does not know \(what)" }
    }

    /// The program libseccomp builds for the rules (seccomp_export_bpf).
    static func libseccompProgram(opensFiles: Bool) throws -> [Instruction] {
        let filter = try #require(seccomp_init(SCMP_ACT_ALLOW))
        defer { seccomp_release(filter) }
        for name in refused + (opensFiles ? [] : opens) {
            let number = seccomp_syscall_resolve_name(name)
            try #require(number != __NR_SCMP_ERROR, "libseccomp does not know \(name)")
            // A call this architecture lacks (open, creat on aarch64) is a negative pseudo-number libseccomp skips.
            #expect(seccomp_rule_add_array(filter, cseccomp_act_errno(UInt16(EPERM)), number, 0, nil) == 0, "\(name)")
        }
        let dir = try TemporaryDirectory(prefix: "vhdedit-seccomp")
        let path = dir.file("filter.bpf")
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0o600)
        try #require(fd >= 0)
        let exported = seccomp_export_bpf(filter, fd)
        close(fd)
        try #require(exported == 0)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        try #require(bytes.count % 8 == 0 && !bytes.isEmpty)
        return stride(from: 0, to: bytes.count, by: 8).map { at in
            func le(_ offset: Int, _ count: Int) -> UInt32 {
                (0..<count).reduce(UInt32(0)) { $0 | UInt32(bytes[at + offset + $1]) << (8 * UInt32($1)) }
            }
            return Instruction(code: UInt16(le(0, 2)), jt: bytes[at + 2], jf: bytes[at + 3], k: le(4, 4))
        }
    }

    /// The program the sandbox installs.
    static func sandboxProgram(opensFiles: Bool) throws -> [Instruction] {
        var buffer = [sock_filter](repeating: sock_filter(), count: 64)
        let count = csandbox_seccomp_program(opensFiles ? 1 : 0, &buffer, Int32(buffer.count))
        try #require(count > 0)
        return buffer.prefix(Int(count)).map { Instruction(code: $0.code, jt: $0.jt, jf: $0.jf, k: $0.k) }
    }

    /// The architectures a call can arrive through: x86-64, i386, aarch64, arm, and one nobody has.
    static let architectures: [UInt32] = [0xC000_003E, 0x4000_0003, 0xC000_00B7, 0x4000_0028, 0]

    /// Call numbers: every number in use, the x32 range, and the edges.
    static let numbers: [UInt32] =
        Array(0..<1024) + (0..<1024).map { 0x4000_0000 + $0 } + [0x3FFF_FFFF, 0x7FFF_FFFF, 0xFFFF_FFFE, 0xFFFF_FFFF]

    @Test(arguments: [false, true])
    func theHandWrittenFilterDecidesEveryCallAsLibseccompDoes(opensFiles: Bool) throws {
        let reference = try Self.libseccompProgram(opensFiles: opensFiles)
        let ours = try Self.sandboxProgram(opensFiles: opensFiles)
        var differences: [String] = []
        var refusedCount = 0
        for arch in Self.architectures {
            for number in Self.numbers {
                let expected = try Self.run(reference, arch: arch, number: number)
                let got = try Self.run(ours, arch: arch, number: number)
                if expected == .errno(UInt32(EPERM)) { refusedCount += 1 }
                if expected != got && differences.count < 10 {
                    differences.append(
                        "arch \(String(arch, radix: 16)) call \(number): libseccomp \(expected), ours \(got)")
                }
            }
        }
        #expect(differences.isEmpty, "\(differences)")
        // The comparison covered the refused calls (not two programs that allow everything).
        let names = Self.refused + (opensFiles ? [] : Self.opens)
        let native = names.filter { seccomp_syscall_resolve_name($0) >= 0 }
        #expect(refusedCount == native.count, "\(refusedCount) refused numbers for \(native)")
    }

    @Test func theProgramIsReportedWhenItDoesNotFit() {
        var small = [sock_filter](repeating: sock_filter(), count: 4)
        let needed = csandbox_seccomp_program(0, &small, Int32(small.count))
        #expect(needed < -4)
    }
}
