#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Unbuffered writes to the standard descriptors (what `FileHandle.standardOutput/standardError.write` did,
/// without loading Foundation).
enum StandardStreams {
    /// Writes all of `bytes` to `descriptor` (1 or 2), retrying short writes and EINTR; gives up on other errors.
    static func write(_ bytes: [UInt8], to descriptor: Int32) {
        var rest = bytes
        while !rest.isEmpty {
            let written = Glibc.write(descriptor, rest, rest.count)
            if written > 0 {
                rest = written == rest.count ? [] : Array(rest[written...])
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }
}

/// A host file read in chunks with `read(2)` (what `FileHandle(forReadingAtPath:)` did, without Foundation).
final class HostInputStream {
    /// A failed read, with the path and the `errno` text.
    struct ReadError: Error, CustomStringConvertible {
        var path: String
        var code: Int32
        var description: String { "\(path): \(String(cString: strerror(code)))" }
    }

    let path: String
    private let descriptor: Int32

    /// Opens `path` for reading, or `nil`.
    init?(path: String) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// The file's size from `fstat`, or `nil`.
    var size: UInt64? {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        return UInt64(status.st_size)
    }

    /// Up to `count` bytes (one `read(2)`, retried on EINTR); empty at the end of the file.
    func read(upToCount count: Int) throws(ReadError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        while true {
            let got = Glibc.read(descriptor, &buffer, count)
            if got >= 0 {
                buffer.removeLast(count - got)
                return buffer
            }
            if errno != EINTR { throw ReadError(path: path, code: errno) }
        }
    }

    /// The rest of the file.
    func readToEnd() throws(ReadError) -> [UInt8] {
        var all: [UInt8] = []
        while true {
            let chunk = try read(upToCount: 1 << 20)
            if chunk.isEmpty { return all }
            all += chunk
        }
    }
}

extension String {
    /// The string padded with spaces, or cut, to `length` UTF-16 units (what `padding(toLength:withPad:startingAt:)`
    /// gives for a space pad).
    func padded(toLength length: Int) -> String {
        let units = utf16.count
        if units >= length { return String(decoding: Array(utf16.prefix(length)), as: UTF16.self) }
        return self + String(repeating: " ", count: length - units)
    }
}
