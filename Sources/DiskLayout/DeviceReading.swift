import BlockIO

extension BlockDevice {
    /// Reads `count` bytes at `offset` for the structure named `structure`, turning a block I/O failure or a
    /// range past the end of the disk into a ``DiskLayoutError``.
    func readStructure(at offset: UInt64, count: Int, structure: String) throws(DiskLayoutError) -> [UInt8] {
        let (end, overflow) = offset.addingReportingOverflow(UInt64(count))
        guard !overflow, end <= size else {
            throw DiskLayoutError(
                .truncated, "the \(count)-byte structure ends past the end of the disk (\(size) bytes)",
                structure: structure, offset: offset)
        }
        do {
            return try read(at: offset, count: count)
        } catch {
            throw DiskLayoutError(.io, "cannot read \(count) bytes", structure: structure, offset: offset, cause: error)
        }
    }
}
