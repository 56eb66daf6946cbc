#if canImport(Glibc)
    @preconcurrency import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Unbuffered writes to the standard descriptors (what `FileHandle.standardOutput/standardError.write` did,
/// without loading Foundation).
public enum StandardStreams {
    /// Writes all of `bytes` to `descriptor` (1 or 2), retrying short writes and EINTR. Standard output that
    /// cannot be written ends the command with status 1 (``OutputCheck``); a failed write to standard error is
    /// dropped (there is nowhere to report it).
    public static func write(_ bytes: [UInt8], to descriptor: Int32) {
        if descriptor == 1 { OutputCheck.install() }
        var rest = bytes
        while !rest.isEmpty {
            let written = Glibc.write(descriptor, rest, rest.count)
            if written > 0 {
                rest = written == rest.count ? [] : Array(rest[written...])
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                if descriptor == 1 { OutputCheck.fail(written < 0 ? errno : EIO) }
                return
            }
        }
    }
}

/// Output that did not reach standard output is an error, as with cat(1): `vhdedit cat IMAGE FILE > /dev/full`
/// exited 0 having written nothing. A failed direct write (``StandardStreams``) ends the command at once; text
/// printed through stdio (`print`) is flushed and checked when the process exits. Either way standard error gets
/// `vhdedit: cannot write standard output: REASON` and the exit status is 1.
public enum OutputCheck {
    private static let installed: Bool = {
        atexit {
            if fflush(stdout) != 0 || ferror(stdout) != 0 { OutputCheck.fail(errno) }
        }
        return true
    }()

    /// Registers the check at exit (once); called before a command prints.
    public static func install() { _ = installed }

    /// Reports that standard output failed with `code` and ends the process with status 1 (`_exit`: the
    /// failed output is not flushed again).
    public static func fail(_ code: Int32) -> Never {
        let reason = String(cString: strerror(code == 0 ? EIO : code))
        let line = Array("vhdedit: cannot write standard output: \(reason)\n".utf8)
        _ = Glibc.write(2, line, line.count)
        _exit(1)
    }
}
