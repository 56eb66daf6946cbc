import Benchmark

/// The metrics every vhdedit benchmark reports: wall time, allocations (count and bytes) and peak resident
/// memory (the process's, and its growth over the harness's own baseline).
let standardMetrics: [BenchmarkMetric] = [
    .wallClock, .mallocCountTotal, .mallocBytesCount, .peakMemoryResident, .peakMemoryResidentDelta,
]

/// Throughput in MiB/s for benchmarks that move bytes (reported beside the standard metrics).
let mebibytesPerSecond = BenchmarkMetric.custom("Throughput (MiB/s)", polarity: .prefersLarger, useScalingFactor: false)

/// A configuration with the standard metrics, a bounded run time (the machine is shared), and the fixture's
/// build and removal as setup and teardown.
func configuration(
    fixture: FixtureFolder? = nil, metrics extra: [BenchmarkMetric] = [], scaling: BenchmarkScalingFactor = .one,
    maxDuration: Duration = .seconds(3), maxIterations: Int = 1000
) -> Benchmark.Configuration {
    .init(
        metrics: standardMetrics + extra,
        warmupIterations: 1,
        scalingFactor: scaling,
        maxDuration: maxDuration,
        maxIterations: maxIterations,
        setup: fixture.map { fixture in { try fixture.build() } },
        teardown: fixture.map { fixture in { fixture.remove() } })
}

/// Deterministic pseudo-random numbers (SplitMix64), so every run reads the same offsets.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Reports the rate at which `bytes` were moved during `duration`.
func reportThroughput(_ benchmark: Benchmark, bytes: UInt64, duration: Duration) {
    let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    guard seconds > 0 else { return }
    benchmark.measurement(mebibytesPerSecond, Int(Double(bytes) / 1_048_576 / seconds))
}
