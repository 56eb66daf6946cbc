internal import HostSystem

/// Chooses, by measuring, how ``ImageConverter`` copies the stored runs of a mapped source: written from the
/// read-only mapping (`pwrite`) or by the kernel (`copy_file_range`, page cache to page cache).
///
/// Which is cheaper depends on the kernel, not on the data. Measured on 2-core VMs of the same kind: on an earlier
/// kernel the kernel's copy took 0.29–0.37 s of CPU for 1 GiB against 0.67–1.25 s for writes from the mapping;
/// on Linux 6.18, where `copy_file_range` between two files of one ext4 filesystem goes through splice, a 1 GiB
/// qcow2 to a fixed VHD took 1.03 s of CPU (0.96 s) that way against 0.51 s (0.35 s) written from the mapping. So
/// the first ``trialBytes`` of a copy are written from the mapping and the next ``trialBytes`` go through the
/// kernel, each timed in process CPU time (helper threads included); the rest of the copy goes through the kernel
/// only when that cost at most ``kernelMargin`` of the writes. The margin keeps one noisy sample (a busy machine, a
/// writer spinning on the file's lock) from sending a whole copy down the path that costs twice as much here,
/// while a kernel whose copy is clearly cheaper still gets it. A copy smaller than the two trials is written from
/// the mapping.
struct CopyMethodTrial {
    /// The bytes each method is timed on.
    static let trialBytes = 16 << 20
    /// The kernel's copy is chosen when it costs at most this share of the writes' CPU time a byte.
    static let kernelMargin = 0.75

    private enum Phase {
        /// Timing writes from the mapping from `start` (CPU nanoseconds) over `bytes` so far; `start` is 0 until
        /// the first copy ends.
        case write(start: UInt64, bytes: Int)
        /// Timing the kernel's copy, the writes having cost `writeCost` nanoseconds a byte.
        case kernel(start: UInt64, bytes: Int, writeCost: Double)
        /// Chosen.
        case decided(kernel: Bool)
    }

    private var phase: Phase = .write(start: 0, bytes: 0)

    /// Whether the next copy should go through the kernel.
    var prefersKernel: Bool {
        switch phase {
        case .write: false
        case .kernel: true
        case .decided(let kernel): kernel
        }
    }

    /// Whether the trial is over.
    var isDecided: Bool {
        if case .decided = phase { return true }
        return false
    }

    /// Records a copy of `bytes` source bytes made the way ``prefersKernel`` said (`inKernel`), just finished.
    mutating func copied(bytes: Int, inKernel: Bool) {
        let now = ProcessCPUClock.nanoseconds()
        switch phase {
        case .write(let start, let done) where !inKernel:
            if start == 0 {
                // The first copy only starts the clock: it also paid for faulting in the copy's code paths.
                phase = .write(start: now, bytes: 0)
            } else if done + bytes >= Self.trialBytes {
                let cost = Double(now - start) / Double(done + bytes)
                phase = .kernel(start: now, bytes: 0, writeCost: cost)
            } else {
                phase = .write(start: start, bytes: done + bytes)
            }
        case .kernel(let start, let done, let writeCost) where inKernel:
            if done + bytes >= Self.trialBytes {
                let cost = Double(now - start) / Double(done + bytes)
                phase = .decided(kernel: cost <= Self.kernelMargin * writeCost)
            } else {
                phase = .kernel(start: start, bytes: done + bytes, writeCost: writeCost)
            }
        default:
            break
        }
    }
}
