import Benchmark
import CBLASReference
import Foundation
import RawIO

let benchmarks: @Sendable () -> Void = {
    // Reference measured in the same run: OpenBLAS sgemm 1024^3 (2 * 1024^3 flops per iteration).
    Benchmark("reference: cblas_sgemm 1024^3", configuration: .init(metrics: [.wallClock, .throughput], maxDuration: .seconds(3))) { benchmark in
        let n = 1024
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, a, Int32(n), b, Int32(n), 0, &c, Int32(n))
        }
        blackHole(c)
    }
}
