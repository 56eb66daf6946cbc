import BlockIO

/// Where each block of the journal inode lies on the filesystem's device: the inode's block map as sorted runs,
/// looked up by binary search.
struct JournalBlockMap {
    let runs: [BlockRun]
    /// Blocks the map covers (the journal inode's length in blocks).
    let count: UInt64

    init(runs: [BlockRun]) {
        self.runs = runs
        count = runs.last.map { $0.logical + $0.count } ?? 0
    }

    /// The device block holding journal block `index`, or nil past the journal's end.
    func physical(_ index: UInt64) -> UInt64? {
        var low = 0
        var high = runs.count
        while low < high {
            let middle = (low + high) / 2
            let run = runs[middle]
            if index < run.logical {
                high = middle
            } else if index >= run.logical + run.count {
                low = middle + 1
            } else {
                return run.physical + (index - run.logical)
            }
        }
        return nil
    }

    /// Whether device block `block` belongs to the journal.
    func contains(physical block: UInt64) -> Bool {
        runs.contains { block >= $0.physical && block - $0.physical < $0.count }
    }
}

/// The journal's blocks read from the filesystem's device through its block map.
struct DeviceJournalSource: JournalBlockSource {
    let device: any BlockDevice
    let map: JournalBlockMap
    let journalBlockSize: Int

    func readJournalBlock(_ index: UInt32) throws(Ext4Error) -> [UInt8] {
        guard let block = map.physical(UInt64(index)) else {
            throw Ext4Error(.journal, "journal block \(index) is past the end of the journal inode (\(map.count) blocks)")
        }
        do {
            return try device.read(at: block * UInt64(journalBlockSize), count: journalBlockSize)
        } catch {
            throw Ext4Error(.io, "cannot read journal block \(index) (device block \(block))", underlying: error)
        }
    }
}
