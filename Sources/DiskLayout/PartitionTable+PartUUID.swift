extension PartitionTable {
    /// The `PARTUUID` Linux gives `partition` (what `/dev/disk/by-partuuid/`, `root=PARTUUID=` and fstab's
    /// `PARTUUID=` name), lower case, or `nil` when the table gives it none.
    ///
    /// On a GPT disk it is the partition's unique GUID. On an MBR disk the kernel makes one from the disk
    /// signature and the partition number, both in hexadecimal: `SSSSSSSS-NN` (`block/partitions/msdos.c`;
    /// blkid prints the same), so `0x1234abcd`'s second partition is `1234abcd-02`.
    public func partUUID(of partition: Partition) -> String? {
        if let guid = partition.uniqueGUID { return "\(guid)".lowercased() }
        guard let diskSignature else { return nil }
        return Self.hex(UInt64(diskSignature), digits: 8) + "-" + Self.hex(UInt64(partition.number), digits: 2)
    }

    /// `value` in lower-case hexadecimal, zero-padded to at least `digits` digits.
    static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16)
        return text.count >= digits ? text : String(repeating: "0", count: digits - text.count) + text
    }
}
