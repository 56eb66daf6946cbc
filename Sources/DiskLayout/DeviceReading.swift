import BlockIO

extension BlockDevice {
    /// Reads `count` bytes at `offset` for the structure named `structure`, turning a block I/O failure or a
    /// range past the end of the disk into a ``DiskLayoutError``.
    func readStructure(at offset: UInt64, count: Int, structure: String) throws(DiskLayoutError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        try readStructure(at: offset, into: &bytes, structure: structure)
        return bytes
    }

    /// Fills `bytes` with the `bytes.count` bytes at `offset` (reusing its storage), with the errors of
    /// ``readStructure(at:count:structure:)``.
    func readStructure(at offset: UInt64, into bytes: inout [UInt8], structure: String) throws(DiskLayoutError) {
        let count = bytes.count
        let (end, overflow) = offset.addingReportingOverflow(UInt64(count))
        guard !overflow, end <= size else {
            throw DiskLayoutError(
                .truncated, "the \(count)-byte structure ends past the end of the disk (\(size) bytes)",
                structure: structure, offset: offset)
        }
        do {
            try read(at: offset, into: &bytes)
        } catch {
            throw DiskLayoutError(.io, "cannot read \(count) bytes", structure: structure, offset: offset, cause: error)
        }
    }
}
