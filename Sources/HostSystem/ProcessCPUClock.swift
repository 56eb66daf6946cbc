#if canImport(Glibc)
    import Glibc
#endif

/// The CPU time this process has used so far, all its threads together (`CLOCK_PROCESS_CPUTIME_ID`).
public enum ProcessCPUClock {
    /// Nanoseconds of CPU time (user and system) used by every thread of the process; 0 where the clock is missing.
    public static func nanoseconds() -> UInt64 {
        var time = timespec()
        guard clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time) == 0 else { return 0 }
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
