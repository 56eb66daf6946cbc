internal import HostSystem

/// Chooses, by measuring, how ``ImageConverter`` copies the stored runs of a mapped source: by the kernel
/// (`copy_file_range`, page cache to page cache) or written from the read-only mapping (`pwrite`).
///
/// Which is cheaper depends on the kernel, not on the data. Measured on 2-core VMs of the same kind: on an earlier
/// kernel the kernel's copy took 0.29–0.37 s of CPU for 1 GiB against 0.67–1.25 s for writes from the mapping;
/// on Linux 6.18, where `copy_file_range` between two files of one ext4 filesystem goes through splice, a 1 GiB
/// qcow2 to a fixed VHD took 1.03 s of CPU (0.96 s) that way against 0.51 s (0.35 s) written from the mapping. So
/// the first ``trialBytes`` of a copy go through the kernel, the next ``trialBytes`` are written, each timed in
/// process CPU time (helper threads included), and the rest of the copy uses the cheaper. A copy smaller than
/// the two trials keeps the kernel's copy.
struct CopyMethodTrial {
    /// The bytes each method is timed on.
    static let trialBytes = 16 << 20

    private enum Phase {
        /// Timing the kernel's copy from `start` (CPU nanoseconds) over `bytes` so far.
        case kernel(start: UInt64, bytes: Int)
        /// Timing writes from the mapping, the kernel's copy having cost `kernelCost` nanoseconds a byte.
        case write(start: UInt64, bytes: Int, kernelCost: Double)
        /// Chosen.
        case decided(kernel: Bool)
    }

    private var phase: Phase = .kernel(start: 0, bytes: 0)

    /// Whether the next copy should go through the kernel.
    var prefersKernel: Bool {
        switch phase {
        case .kernel: true
        case .write: false
        case .decided(let kernel): kernel
        }
    }

    /// Whether the trial is over (for tests and reports).
    var isDecided: Bool {
        if case .decided = phase { return true }
        return false
    }

    /// Records a copy of `bytes` source bytes made the way ``prefersKernel`` said (`inKernel`), just finished.
    /// The clock starts at the first copy, so the first copy of each phase is timed from the end of the one
    /// before.
    mutating func copied(bytes: Int, inKernel: Bool) {
        let now = ProcessCPUClock.nanoseconds()
        switch phase {
        case .kernel(let start, let done) where inKernel:
            if done == 0 && start == 0 {
                // The first copy only starts the clock: it also paid for faulting in the mapping code paths.
                phase = .kernel(start: now, bytes: 0)
            } else if done + bytes >= Self.trialBytes {
                let cost = Double(now - start) / Double(done + bytes)
                phase = .write(start: now, bytes: 0, kernelCost: cost)
            } else {
                phase = .kernel(start: start, bytes: done + bytes)
            }
        case .write(let start, let done, let kernelCost) where !inKernel:
            if done + bytes >= Self.trialBytes {
                let cost = Double(now - start) / Double(done + bytes)
                phase = .decided(kernel: kernelCost <= cost)
            } else {
                phase = .write(start: start, bytes: done + bytes, kernelCost: kernelCost)
            }
        default:
            break
        }
    }
}
