import ImagePrep

/// An in-memory guest tree for unit tests of the planning logic (the real tests run on images).
final class MemoryGuestFiles: GuestFiles {
    enum Node: Equatable {
        case file([UInt8], mode: UInt16)
        case directory(mode: UInt16)
        case symlink(String)
    }

    var nodes: [String: Node] = ["/": .directory(mode: 0o755)]
    var writes = 0

    init(_ files: [String: String] = [:], links: [String: String] = [:]) {
        for (path, text) in files { addFile(path, text) }
        for (path, target) in links {
            addParents(path)
            nodes[path] = .symlink(target)
        }
    }

    func addParents(_ path: String) {
        var parent = ""
        for part in path.split(separator: "/").dropLast() {
            parent += "/" + part
            if nodes[parent] == nil { nodes[parent] = .directory(mode: 0o755) }
        }
    }

    func addFile(_ path: String, _ text: String, mode: UInt16 = 0o644) {
        addParents(path)
        nodes[path] = .file(Array(text.utf8), mode: mode)
    }

    func text(_ path: String) -> String? {
        if case .file(let bytes, _)? = nodes[path] { return String(decoding: bytes, as: UTF8.self) }
        return nil
    }

    func lstat(_ path: String) throws(ImagePrepError) -> GuestFileInfo? {
        switch nodes[path] {
        case .file(let bytes, let mode)?: return GuestFileInfo(type: .regular, size: UInt64(bytes.count), mode: mode)
        case .directory(let mode)?:
            let owner: UInt32 = path.hasPrefix("/home/") ? 1000 : 0
            return GuestFileInfo(type: .directory, size: 4096, mode: mode, uid: owner, gid: owner)
        case .symlink(let target)?: return GuestFileInfo(type: .symlink, size: UInt64(target.utf8.count), mode: 0o777)
        case nil: return nil
        }
    }

    func readFile(_ path: String, limit: Int) throws(ImagePrepError) -> [UInt8] {
        guard let resolved = try resolve(path), case .file(let bytes, _)? = nodes[resolved] else {
            throw ImagePrepError(.notFound, "no such file", path: path)
        }
        guard bytes.count <= limit else { throw ImagePrepError(.unexpectedFile, "too large", path: path) }
        return bytes
    }

    func readPrefix(_ path: String, count: Int) throws(ImagePrepError) -> [UInt8] {
        Array(try readFile(path, limit: .max).prefix(count))
    }

    func writeFile(_ path: String, contents: [UInt8], newFileMode: UInt16) throws(ImagePrepError) {
        writes += 1
        guard case .directory? = nodes[parentOf(path)] else { throw ImagePrepError(.notFound, "no parent", path: path) }
        if case .file(_, let mode)? = nodes[path] {
            nodes[path] = .file(contents, mode: mode)
        } else {
            nodes[path] = .file(contents, mode: newFileMode)
        }
    }

    func removeFile(_ path: String) throws(ImagePrepError) {
        writes += 1
        guard let node = nodes[path], node != .directory(mode: 0o755) else {
            throw ImagePrepError(.notFound, "no file", path: path)
        }
        nodes[path] = nil
    }

    func removeTree(_ path: String) throws(ImagePrepError) {
        writes += 1
        for key in nodes.keys where key == path || key.hasPrefix(path + "/") { nodes[key] = nil }
    }

    func listDirectory(_ path: String) throws(ImagePrepError) -> [String] {
        let prefix = path == "/" ? "/" : path + "/"
        return nodes.keys.filter { $0 != "/" && $0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).contains("/") }
            .map { String($0.dropFirst(prefix.count)) }.sorted()
    }

    func makeSymlink(_ path: String, target: String) throws(ImagePrepError) {
        writes += 1
        guard nodes[path] == nil else { throw ImagePrepError(.unexpectedFile, "exists", path: path) }
        addParents(path)
        nodes[path] = .symlink(target)
    }

    func readLink(_ path: String) throws(ImagePrepError) -> String {
        guard case .symlink(let target)? = nodes[path] else {
            throw ImagePrepError(.unexpectedFile, "not a link", path: path)
        }
        return target
    }

    func parentOf(_ path: String) -> String {
        let parts = path.split(separator: "/")
        return parts.count <= 1 ? "/" : "/" + parts.dropLast().joined(separator: "/")
    }
}
