/// Something wrong or unusual found in a partition table that did not stop it being read: a damaged primary
/// GPT header (the backup was used), an EBR chain that loops, overlapping partitions, a hybrid MBR.
///
/// Warnings are carried in the result (``PartitionTable/warnings``) and printed by `vhdedit partitions/info`.
public struct DiskLayoutWarning: Hashable, Sendable, Codable, CustomStringConvertible {
    /// What kind of warning this is, as a stable word for scripts (e.g. `"primaryHeaderDamaged"`).
    public struct Code: Hashable, Sendable, Codable, CustomStringConvertible {
        /// The code's name, as printed and matched.
        public let name: String
        /// A code named `name`.
        public init(_ name: String) { self.name = name }
        /// The ``name``.
        public var description: String { name }
        /// Decodes the code from its name.
        public init(from decoder: any Decoder) throws { name = try decoder.singleValueContainer().decode(String.self) }
        /// Encodes the code as its name.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(name)
        }

        /// The primary GPT header or its entry array is unusable; the backup at the last LBA was used.
        public static let primaryGPTDamaged = Code("primaryGPTDamaged")
        /// The backup GPT header is missing or damaged (the primary was used).
        public static let backupGPTDamaged = Code("backupGPTDamaged")
        /// The backup GPT header is not at the last sector (the disk was grown or shrunk after partitioning).
        public static let backupGPTMisplaced = Code("backupGPTMisplaced")
        /// The MBR holds real partitions beside the `0xEE` protective one.
        public static let hybridMBR = Code("hybridMBR")
        /// A GPT header is present but the MBR does not protect it; the MBR was used.
        public static let unprotectedGPT = Code("unprotectedGPT")
        /// Sector 0 holds no MBR at all, but a GPT header is at LBA 1; the GPT was used.
        public static let missingProtectiveMBR = Code("missingProtectiveMBR")
        /// The chain of extended boot records comes back to an EBR already seen.
        public static let ebrLoop = Code("ebrLoop")
        /// The chain of extended boot records is longer than we follow.
        public static let tooManyLogicalPartitions = Code("tooManyLogicalPartitions")
        /// An EBR is unreadable: outside the extended partition or the disk, or without its `0x55AA` signature.
        public static let badEBR = Code("badEBR")
        /// A partition ends past the end of the disk; it is listed but cannot be opened.
        public static let partitionPastEndOfDisk = Code("partitionPastEndOfDisk")
        /// Two partitions share sectors.
        public static let overlap = Code("overlap")
        /// A partition lies outside the range a table says is usable (GPT usable LBAs, the extended partition).
        public static let outsideUsableArea = Code("outsideUsableArea")
        /// A GPT partition entry is malformed (last LBA before first LBA).
        public static let badEntry = Code("badEntry")
        /// The table has more partitions than are probed (``PartitionedDisk/maximumProbedPartitions``).
        public static let tooManyPartitionsToProbe = Code("tooManyPartitionsToProbe")
        /// libblkid found more than one filesystem signature in a partition.
        public static let ambiguousFilesystem = Code("ambiguousFilesystem")
        /// An LVM2 physical volume or volume group cannot be read (damaged metadata, copies that disagree).
        public static let lvmUnreadable = Code("lvmUnreadable")
    }

    /// The kind of warning.
    public var code: Code
    /// A sentence for a person.
    public var message: String
    /// The partition concerned, when there is one (1-based, like `/dev/sda1`).
    public var partition: Int?
    /// The byte offset on the disk concerned, when there is one.
    public var offset: UInt64?

    /// A warning of kind `code` with a sentence for a person and, when known, the partition and disk offset.
    public init(_ code: Code, _ message: String, partition: Int? = nil, offset: UInt64? = nil) {
        self.code = code
        self.message = message
        self.partition = partition
        self.offset = offset
    }

    /// `warning: ` and ``detail``.
    public var description: String { "warning: " + detail }

    /// The partition, the message and the offset, without the `warning: ` in front (for callers that label
    /// warnings themselves).
    public var detail: String {
        var text = ""
        if let partition { text += "partition \(partition): " }
        text += message
        if let offset { text += " (at disk byte offset \(offset))" }
        return text
    }
}
