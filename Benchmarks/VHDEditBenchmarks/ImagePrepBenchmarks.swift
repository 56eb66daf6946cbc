import Benchmark
import VHDEditKit

/// Layer 5: the main job, one full generalize (plan over a read-only session, reopen writable, plan again,
/// apply, commit once), on the same guest in a 1 GiB and a 1 TiB (virtual) dynamic VHD. The cost must not grow
/// with the image size. The fresh copy of the image each iteration needs is made outside the measurement.
func registerImagePrepBenchmarks() {
    for (label, size) in [("1 GiB", "1G"), ("1 TiB virtual", "1T")] {
        let guest = guestFixture(size: size)
        Benchmark(
            "ImagePrep: generalize, \(label) dynamic VHD",
            configuration: configuration(fixture: guest, maxDuration: .seconds(15), maxIterations: 30)
        ) { benchmark in
            let path = guest.file("generalize-target.vhd")
            try Tool.copy(guest.file("guest.vhd"), to: path)
            benchmark.startMeasurement()
            let report = try ImagePreparation.generalize(path, dryRun: false)
            benchmark.stopMeasurement()
            guard !report.changes.isEmpty else {
                throw FixtureError("generalize changed nothing on a fresh guest image: the benchmark measures no work")
            }
        }
    }
}
