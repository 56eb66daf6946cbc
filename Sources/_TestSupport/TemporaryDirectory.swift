import Foundation

/// A fresh folder under the system's temporary directory, removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    /// The folder's path.
    public let path: String

    /// Creates a fresh folder named `prefix.XXXXXX` under the temporary directory.
    /// - Parameter prefix: The start of the folder's name.
    /// - Throws: When the folder cannot be created.
    public init(prefix: String = "vhdedit-test") throws {
        let base = FileManager.default.temporaryDirectory.path
        let template = "\(base)/\(prefix).XXXXXX"
        var bytes = Array(template.utf8CString)
        guard let made = mkdtemp(&bytes) else { throw CocoaError(.fileWriteUnknown) }
        path = String(cString: made)
    }

    /// `path/name`.
    public func file(_ name: String) -> String { "\(path)/\(name)" }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Helpers to compare files.
public enum FileDigest {
    /// The sha256 of the file at `path`, as hex, from `sha256sum`.
    public static func sha256(_ path: String) throws -> String {
        let result = try ExternalTool.check(["sha256sum", path])
        return String(result.output.prefix(64))
    }
}
