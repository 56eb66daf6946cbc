/// Finds and opens the parent of a differencing VHD.
///
/// Candidates, in order: the `W2ru` relative locator, the header's parent name, the `W2ku` absolute locator and
/// the `MacX` URL — Windows paths turned into host paths, relative ones (and the file names of absolute Windows
/// paths) taken relative to the child's folder; when none exists as written, names are matched ignoring case
/// as Windows does (two files that differ only in case are an error). The first candidate that exists and whose
/// footer unique id is the header's parent unique id is the parent. Parents are opened read-only (shared lock).
enum ParentResolver {
    /// The largest chain depth accepted (a guard against file-descriptor exhaustion; loops are caught earlier).
    static let maximumDepth = 256

    /// The host paths to try for the parent of `structure`, best first.
    static func candidates(of structure: VHDFileStructure) -> [String] {
        let folder = HostPaths.directory(of: structure.path)
        var result: [String] = []
        func add(_ path: String) {
            if !path.isEmpty, !result.contains(path) { result.append(path) }
        }
        func hostRelative(_ windows: String) -> String {
            var path = windows.replacingBackslashes()
            while path.hasPrefix("./") { path.removeFirst(2) }
            return HostPaths.join(folder, path)
        }
        func fileNameOnly(_ windows: String) -> String {
            HostPaths.join(folder, HostPaths.fileName(of: windows.replacingBackslashes()))
        }
        let locators = structure.parentLocatorPaths
        for locator in locators where locator.platform == .w2ru || locator.platform == .wi2r {
            add(hostRelative(locator.path))
        }
        if let name = structure.header?.parentName, !name.isEmpty {
            add(name.hasPrefix("/") ? name : fileNameOnly(name))
        }
        for locator in locators
        where locator.platform == .w2ku || locator.platform == .wi2k || locator.platform == .macX {
            if locator.path.hasPrefix("/") { add(locator.path) }
            add(fileNameOnly(locator.path))
        }
        return result
    }

    /// Opens the parent of the differencing disk `structure`.
    static func openParent(of structure: VHDFileStructure, ancestors: [String]) throws(BlockIOError) -> VHDImage {
        guard let header = structure.header else {
            throw BlockIOError(.invalidArgument, "not a differencing disk", path: structure.path)
        }
        guard ancestors.count < maximumDepth else {
            throw BlockIOError(
                .parent, "the parent chain is deeper than \(maximumDepth) images", path: structure.path,
                structure: "dynamic disk header", field: "parent_unicode_name")
        }
        let candidates = candidates(of: structure)
        var mismatches: [String] = []
        let files = try HostPaths.parentFiles(candidates) { candidate, matches in
            BlockIOError(
                .parent,
                "parent \"\(candidate)\" is not there as written, and the files that match it ignoring case (as "
                    + "Windows would) are several: \(matches.joined(separator: ", ")); rename all but the parent",
                path: structure.path, offset: structure.footer.dataOffset + 64, structure: "dynamic disk header",
                field: "parent_unicode_name")
        }
        for candidate in files {
            let canonical = HostPaths.canonical(candidate) ?? candidate
            if ancestors.contains(canonical) {
                throw BlockIOError(
                    .parent, "parent chain loops: \(candidate) is already a child in this chain", path: structure.path,
                    offset: structure.footer.dataOffset + 64, structure: "dynamic disk header",
                    field: "parent_unicode_name")
            }
            // Shared lock; a parent with a pending edit journal is read as committed, never written.
            let file = try RecoveredStore(over: HostFile(path: candidate, access: .readOnly))
            let parent = try VHDImage.open(store: file, ancestors: ancestors)
            guard parent.structure.footer.uniqueID == header.parentUniqueID else {
                mismatches.append("\(candidate) has unique id \(parent.structure.footer.uniqueID)")
                continue
            }
            return parent
        }
        if !mismatches.isEmpty {
            throw BlockIOError(
                .parent,
                "parent unique id mismatch: the child expects \(header.parentUniqueID), but "
                    + mismatches.joined(separator: "; "),
                path: structure.path, offset: structure.footer.dataOffset + 40, structure: "dynamic disk header",
                field: "parent_unique_id")
        }
        throw BlockIOError(
            .parent,
            "parent \"\(header.parentName)\" not found; tried: "
                + (candidates.isEmpty ? "(no locator or name)" : candidates.joined(separator: ", ")),
            path: structure.path, offset: structure.footer.dataOffset + 64, structure: "dynamic disk header",
            field: "parent_unicode_name")
    }
}

extension String {
    /// The string with `\` turned into `/`.
    fileprivate func replacingBackslashes() -> String {
        String(self.map { $0 == "\\" ? "/" : $0 })
    }
}
