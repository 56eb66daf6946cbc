/// A partition's type code: an MBR type byte or a GPT type GUID.
public enum PartitionType: Hashable, Sendable {
    case mbr(MBRPartitionType)
    case gpt(GPTPartitionType)

    /// The code as `sfdisk --json` prints it: lower-case hex for MBR (`"83"`, `"c"`), the upper-case GUID for GPT.
    public var code: String {
        switch self {
        case .mbr(let type): type.hex
        case .gpt(let type): type.guid.description
        }
    }

    /// The conventional name.
    public var name: String {
        switch self {
        case .mbr(let type): type.name
        case .gpt(let type): type.name
        }
    }

    /// What the type says the partition is for.
    public var role: PartitionRole {
        switch self {
        case .mbr(let type): type.role
        case .gpt(let type): type.role
        }
    }
}
