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

extension String {
    /// The string padded with spaces, or cut, to `length` UTF-16 units (what `padding(toLength:withPad:startingAt:)`
    /// gives for a space pad).
    func padded(toLength length: Int) -> String {
        let units = utf16.count
        if units >= length { return String(decoding: Array(utf16.prefix(length)), as: UTF16.self) }
        return self + String(repeating: " ", count: length - units)
    }
}
