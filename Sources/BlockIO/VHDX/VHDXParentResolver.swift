/// Finds and opens the parent of a differencing VHDX through its parent locator.
///
/// Candidates, in order: `relative_path` taken relative to the child's folder, then the file name of
/// `absolute_win32_path` in the child's folder (a Windows drive path means nothing on this host);
/// `volume_path` (a Windows volume GUID path) is ignored. When none exists as written, names are matched
/// ignoring case as Windows does (two files that differ only in case are an error). The first candidate that exists and is a VHDX whose
/// current `data_write_guid` is the child's `parent_linkage` (or `parent_linkage2`) is the parent. Parents are
/// opened read-only (shared lock); a loop in the chain is an error.
enum VHDXParentResolver {
    /// The largest chain depth accepted.
    static let maximumDepth = 256

    /// The host paths to try for the parent of `structure`, best first.
    static func candidates(of structure: VHDXFileStructure) -> [String] {
        guard let locator = structure.metadata.parentLocator else { return [] }
        let folder = HostPaths.directory(of: structure.path)
        var result: [String] = []
        func add(_ path: String) {
            if !path.isEmpty, !result.contains(path) { result.append(path) }
        }
        if let relative = locator.value(of: "relative_path") {
            var path = String(relative.map { $0 == "\\" ? "/" : $0 })
            while path.hasPrefix("./") { path.removeFirst(2) }
            if !path.hasPrefix("/") { add(HostPaths.join(folder, path)) }
        }
        if let absolute = locator.value(of: "absolute_win32_path") {
            add(HostPaths.join(folder, HostPaths.fileName(of: String(absolute.map { $0 == "\\" ? "/" : $0 }))))
        }
        return result
    }

    /// Opens the parent of the differencing disk `structure`.
    static func openParent(of structure: VHDXFileStructure, ancestors: [String]) throws(BlockIOError) -> VHDXImage {
        let field = "parent_linkage"
        let locatorOffset =
            structure.regionTable.metadata.fileOffset
            + UInt64(structure.metadataTable.entries.first { $0.itemID == VHDXMetadata.parentLocatorGUID }?.offset ?? 0)
        func failure(_ message: String, field: String) -> BlockIOError {
            BlockIOError(
                .parent, message, path: structure.path, offset: locatorOffset, structure: "VHDX parent locator",
                field: field)
        }
        guard let locator = structure.metadata.parentLocator else {
            throw failure("a differencing disk without a parent locator", field: "locator_type")
        }
        guard let linkage = locator.value(of: "parent_linkage").flatMap(VHDXGUID.init(text:)) else {
            throw failure("the parent_linkage key is missing or not a GUID", field: field)
        }
        let alternative = locator.value(of: "parent_linkage2").flatMap(VHDXGUID.init(text:))
        guard ancestors.count < maximumDepth else {
            throw failure("the parent chain is deeper than \(maximumDepth) images", field: "relative_path")
        }
        let candidates = candidates(of: structure)
        var mismatches: [String] = []
        let files = try HostPaths.parentFiles(candidates) { candidate, matches in
            failure(
                "parent \"\(candidate)\" is not there as written, and the files that match it ignoring case (as "
                    + "Windows would) are several: \(matches.joined(separator: ", ")); rename all but the parent",
                field: "relative_path")
        }
        for candidate in files {
            let canonical = HostPaths.canonical(candidate) ?? candidate
            if ancestors.contains(canonical) {
                throw failure(
                    "parent chain loops: \(candidate) is already a child in this chain", field: "relative_path")
            }
            let file = try RecoveredStore(over: HostFile(path: candidate, access: .readOnly))
            guard try VHDXFileIdentifier.isVHDX(file) else {
                mismatches.append("\(candidate) is not a VHDX")
                continue
            }
            let parent = try VHDXImage.open(store: file, ancestors: ancestors)
            let dataWrite = parent.structure.header.dataWriteGUID
            guard dataWrite == linkage || dataWrite == alternative else {
                mismatches.append("\(candidate) has data write GUID \(dataWrite)")
                continue
            }
            guard parent.structure.metadata.logicalSectorSize == structure.metadata.logicalSectorSize else {
                throw failure(
                    "parent \(candidate) has \(parent.structure.metadata.logicalSectorSize)-byte sectors, the child "
                        + "\(structure.metadata.logicalSectorSize)", field: field)
            }
            return parent
        }
        if !mismatches.isEmpty {
            throw failure(
                "parent linkage mismatch: the child expects data write GUID \(linkage), but "
                    + mismatches.joined(separator: "; "), field: field)
        }
        throw failure(
            "parent not found; tried: "
                + (candidates.isEmpty
                    ? "(no relative_path or absolute_win32_path)" : candidates.joined(separator: ", ")),
            field: "relative_path")
    }
}
