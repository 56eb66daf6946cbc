internal import CHostFile

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A child program started with `posix_spawn`, without Foundation's `Process` (which would load Foundation and
/// ICU into every `vhdedit` run).
public struct ChildProcess: Sendable {
    /// How a child ended.
    public enum Termination: Sendable, Equatable {
        /// `exit(status)`.
        case exited(Int32)
        /// Killed by the signal.
        case signaled(Int32)
    }

    /// What a finished child left behind.
    public struct Outcome: Sendable {
        /// How it ended.
        public var termination: Termination
        /// Its standard output (empty when not captured).
        public var output: [UInt8]
        /// Its standard error (empty when not captured).
        public var errors: [UInt8]
        /// Whether the timeout expired and the child was signalled.
        public var timedOut: Bool
    }

    /// A failure to start a child, with the program and the `errno` of `posix_spawn`.
    public struct StartError: Error, CustomStringConvertible {
        /// The program that could not be started.
        public var program: String
        /// The `errno` `posix_spawn` returned.
        public var code: Int32
        /// `cannot start PROGRAM: reason`.
        public var description: String { "cannot start \(program): \(String(cString: strerror(code)))" }
    }

    /// The program path and its arguments (without argv[0], which is the path).
    public var program: String
    /// The arguments after argv[0].
    public var arguments: [String]

    /// A child that runs `program` with `arguments`.
    public init(program: String, arguments: [String]) {
        self.program = program
        self.arguments = arguments
    }

    /// Runs the child to its end.
    ///
    /// - Parameters:
    ///   - capture: `true`: standard input is /dev/null and standard output and error are collected; `false`:
    ///     the child shares this process's standard streams and, as with `system(3)`, this process ignores
    ///     SIGINT until the child ends: a Ctrl-C goes to the child (an editor, say), which decides, and the
    ///     caller gets to clean up after it.
    ///   - timeout: seconds before the child gets SIGTERM (and SIGKILL one second later); only with `capture`.
    public func run(capture: Bool, timeout: Double? = nil) throws(StartError) -> Outcome {
        var argumentBytes: [CChar] = []
        for argument in [program] + arguments {
            argumentBytes += argument.utf8.map { CChar(bitPattern: $0) }
            argumentBytes.append(0)
        }
        var pid: pid_t = 0
        guard capture else {
            // The child gets SIGINT's default action back (chostfile_spawn); this process ignores it meanwhile.
            var ignore = sigaction()
            ignore.__sigaction_handler.sa_handler = SIG_IGN
            var previous = sigaction()
            sigaction(SIGINT, &ignore, &previous)
            defer { sigaction(SIGINT, &previous, nil) }
            let code = chostfile_spawn(program, argumentBytes, argumentBytes.count, -1, -1, -1, &pid)
            guard code == 0 else { throw StartError(program: program, code: code) }
            return Outcome(termination: Self.wait(pid), output: [], errors: [], timedOut: false)
        }
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard chostfile_pipe_cloexec(&outPipe) == 0 else { throw StartError(program: program, code: errno) }
        guard chostfile_pipe_cloexec(&errPipe) == 0 else {
            let code = errno
            close(outPipe[0]); close(outPipe[1])
            throw StartError(program: program, code: code)
        }
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        let code = chostfile_spawn(program, argumentBytes, argumentBytes.count, null, outPipe[1], errPipe[1], &pid)
        if null >= 0 { close(null) }
        close(outPipe[1]); close(errPipe[1])
        guard code == 0 else {
            close(outPipe[0]); close(errPipe[0])
            throw StartError(program: program, code: code)
        }
        var output: [UInt8] = [], errors: [UInt8] = []
        var fds = [
            pollfd(fd: outPipe[0], events: Int16(POLLIN), revents: 0),
            pollfd(fd: errPipe[0], events: Int16(POLLIN), revents: 0),
        ]
        var chunk = [UInt8](repeating: 0, count: 65536)
        let start = Self.now()
        var timedOut = false
        var killAt: Double? = nil
        while fds.contains(where: { $0.fd >= 0 }) {
            var wait: Int32 = -1
            let elapsed = Self.now() - start
            if let timeout, !timedOut {
                if elapsed >= timeout {
                    timedOut = true
                    kill(pid, SIGTERM)
                    killAt = elapsed + 1
                } else {
                    wait = Int32(min((timeout - elapsed) * 1000 + 1, 60_000))
                }
            }
            if let deadline = killAt {
                if elapsed >= deadline {
                    kill(pid, SIGKILL)
                    killAt = nil
                } else {
                    wait = Int32((deadline - elapsed) * 1000 + 1)
                }
            }
            let ready = poll(&fds, nfds_t(fds.count), wait)
            if ready < 0 && errno != EINTR { break }
            guard ready > 0 else { continue }
            for index in fds.indices where fds[index].fd >= 0 && fds[index].revents != 0 {
                let count = read(fds[index].fd, &chunk, chunk.count)
                if count > 0 {
                    if index == 0 { output += chunk[0..<count] } else { errors += chunk[0..<count] }
                } else if count == 0 || errno != EINTR {
                    close(fds[index].fd)
                    fds[index].fd = -1
                }
            }
        }
        for descriptor in fds where descriptor.fd >= 0 { close(descriptor.fd) }
        return Outcome(termination: Self.wait(pid), output: output, errors: errors, timedOut: timedOut)
    }

    /// Monotonic seconds.
    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Waits for `pid` (retrying on EINTR) and decodes its wait status.
    static func wait(_ pid: pid_t) -> Termination {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }
}
