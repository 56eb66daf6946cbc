public import BlockIO
public import DiskLayout

extension DiskFacts {
    /// ``format`` as the container format BlockIO detected; `nil` for a spelling it does not know.
    public var imageFormat: DiskImage.Format? { DiskImage.Format(rawValue: format) }

    /// ``partitionTable`` as DiskLayout's table kind (`none` is `PartitionTable/Kind/unpartitioned`);
    /// `nil` for a spelling it does not know.
    public var tableKind: PartitionTable.Kind? {
        switch partitionTable {
        case "mbr": return .mbr
        case "gpt": return .gpt
        case "none": return .unpartitioned
        default: return nil
        }
    }

    /// The ``partitionTable`` spelling of `kind` (what ``DiskFacts`` records and `inspect --json` prints).
    public static func spelling(of kind: PartitionTable.Kind) -> String {
        switch kind {
        case .mbr: return "mbr"
        case .gpt: return "gpt"
        case .unpartitioned: return "none"
        }
    }
}
