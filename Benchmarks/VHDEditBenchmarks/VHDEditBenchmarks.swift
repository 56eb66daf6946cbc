import Benchmark
import BlockIO

let benchmarks: @Sendable () -> Void = {
    Benchmark("noop") { benchmark in
        blackHole(1)
    }
}
