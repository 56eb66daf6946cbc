import Benchmark

/// The suite: one group per library layer, each benchmark building its own fixtures with real tools.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration.maxDuration = .seconds(3)
    registerBlockIOBenchmarks()
    registerDiskLayoutBenchmarks()
    registerExt4Benchmarks()
    registerImagePrepBenchmarks()
}
