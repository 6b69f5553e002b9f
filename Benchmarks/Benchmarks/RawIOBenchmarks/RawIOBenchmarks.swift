import Benchmark
import CBLASReference
import CLibRawReference
import Foundation
import RawIO

/// The 1024x768 test DNG, found relative to this file (the benchmark package lives inside the
/// repository, next to the test fixtures).
let testDNG = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()  // RawIOBenchmarks
    .deletingLastPathComponent()  // Benchmarks/Benchmarks
    .deletingLastPathComponent()  // Benchmarks
    .deletingLastPathComponent()  // repository root
    .appendingPathComponent("Tests/RawIOTests/Fixtures/dng/rggb-14bit-b64-1024x768.dng")

/// Megapixels processed per second, one value per timed iteration (the table's percentiles).
let megapixelsPerSecond = BenchmarkMetric.custom("MPix/s", polarity: .prefersLarger, useScalingFactor: false)

/// The rates measured in this process, so that ratios can be printed as soon as both sides ran.
final class Rates: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: [Double]] = [:]
    private var printed: Set<String> = []

    func add(_ key: String, _ rate: Double) {
        lock.lock(); defer { lock.unlock() }
        values[key, default: []].append(rate)
    }

    func median(_ key: String) -> Double? {
        lock.lock(); defer { lock.unlock() }
        guard let v = values[key]?.sorted(), !v.isEmpty else { return nil }
        return v[v.count / 2]
    }

    /// Prints `line` once, when the rates of `keys` are all known.
    func report(_ id: String, needs keys: [String], _ line: ([Double]) -> String) {
        let medians = keys.compactMap(median)
        lock.lock(); defer { lock.unlock() }
        guard medians.count == keys.count, !printed.contains(id) else { return }
        printed.insert(id)
        print(line(medians))
    }
}

let rates = Rates()

/// Runs `body` once per scaled iteration, timing each run as `pixels` megapixels' worth of work.
func measure(_ benchmark: Benchmark, key: String, pixels: Int, _ body: () throws -> Void) rethrows {
    let clock = ContinuousClock()
    for _ in benchmark.scaledIterations {
        let start = clock.now
        try body()
        let elapsed = start.duration(to: clock.now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let rate = Double(pixels) / seconds / 1e6
        rates.add(key, rate)
        benchmark.measurement(megapixelsPerSecond, Int(rate.rounded()))
    }
}

/// Prints every ratio whose sides are known (called after each benchmark).
func reportRatios() {
    rates.report("read", needs: ["read", "libraw"]) { m in
        String(format: "RawIO read 1024x768 DNG: %.0f MPix/s = %.2fx the bare LibRaw C API (%.0f MPix/s) in the same run", m[0], m[0] / m[1], m[1])
    }
    rates.report("pack", needs: ["pack"]) { m in
        String(format: "RawIO pack 1024x768: %.0f MPix/s", m[0])
    }
    rates.report("readpack", needs: ["readpack", "libraw"]) { m in
        String(format: "RawIO read + pack 1024x768 DNG: %.0f MPix/s; its time is %.2fx that of the bare LibRaw read (%.0f MPix/s)", m[0], m[1] / m[0], m[1])
    }
}

let benchmarks: @Sendable () -> Void = {
    let pixels = 1024 * 768
    let quick = Benchmark.Configuration(metrics: [.wallClock, .throughput, .mallocCountTotal, megapixelsPerSecond],
                                        maxDuration: .seconds(3))

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

    // Reference for reading: LibRaw's C API (open, unpack, copy the visible area), no RawIO.
    Benchmark("reference: LibRaw C API read 1024x768 DNG", configuration: quick) { benchmark in
        var out = [UInt16](repeating: 0, count: pixels)
        let path = testDNG.path
        benchmark.startMeasurement()
        measure(benchmark, key: "libraw", pixels: pixels) {
            let n = out.withUnsafeMutableBufferPointer { r2r_reference_read_visible(path, $0.baseAddress, pixels) }
            precondition(n == pixels, "LibRaw read \(n) samples of \(testDNG.path)")
        }
        blackHole(out)
    } teardown: {
        reportRatios()
    }

    Benchmark("RawIO: read 1024x768 DNG (BayerImage(contentsOf:))", configuration: quick) { benchmark in
        try measure(benchmark, key: "read", pixels: pixels) {
            blackHole(try BayerImage(contentsOf: testDNG))
        }
    } teardown: {
        reportRatios()
    }

    Benchmark("RawIO: pack 1024x768 (BayerImage.packed())", configuration: quick) { benchmark in
        let image = try BayerImage(contentsOf: testDNG)
        benchmark.startMeasurement()
        measure(benchmark, key: "pack", pixels: pixels) {
            blackHole(image.packed())
        }
    } teardown: {
        reportRatios()
    }

    Benchmark("RawIO: read + pack 1024x768 DNG", configuration: quick) { benchmark in
        try measure(benchmark, key: "readpack", pixels: pixels) {
            blackHole(try BayerImage(contentsOf: testDNG).packed())
        }
    } teardown: {
        reportRatios()
    }
}
