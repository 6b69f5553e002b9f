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

/// Rates measured in this process (package-benchmark runs each benchmark in a process of its
/// own, so ratios come from one benchmark that times both sides, interleaved).
final class Rates: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: [Double]] = [:]

    func add(_ key: String, _ rate: Double) {
        lock.lock(); defer { lock.unlock() }
        values[key, default: []].append(rate)
    }

    func median(_ key: String) -> Double {
        lock.lock(); defer { lock.unlock() }
        guard let v = values[key]?.sorted(), !v.isEmpty else { return .nan }
        return v[v.count / 2]
    }
}

let rates = Rates()

/// Seconds since `start`.
func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = start.duration(to: .now)
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

/// Runs `body` once per scaled iteration and records each run's rate in MPix/s.
func measure(_ benchmark: Benchmark, key: String, pixels: Int, _ body: () throws -> Void) rethrows {
    for _ in benchmark.scaledIterations {
        let start = ContinuousClock.now
        try body()
        let rate = Double(pixels) / seconds(since: start) / 1e6
        rates.add(key, rate)
        benchmark.measurement(megapixelsPerSecond, Int(rate.rounded()))
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
            precondition(n == pixels, "LibRaw read \(n) samples of \(path)")
        }
        blackHole(out)
    }

    Benchmark("RawIO: read 1024x768 DNG (BayerImage(contentsOf:))", configuration: quick) { benchmark in
        try measure(benchmark, key: "read", pixels: pixels) {
            blackHole(try BayerImage(contentsOf: testDNG))
        }
    }

    Benchmark("RawIO: pack 1024x768 (BayerImage.packed())", configuration: quick) { benchmark in
        let image = try BayerImage(contentsOf: testDNG)
        benchmark.startMeasurement()
        measure(benchmark, key: "pack", pixels: pixels) {
            blackHole(image.packed())
        }
    }

    Benchmark("RawIO: read + pack 1024x768 DNG", configuration: quick) { benchmark in
        try measure(benchmark, key: "readpack", pixels: pixels) {
            blackHole(try BayerImage(contentsOf: testDNG).packed())
        }
    }

    // The ratios: bare LibRaw, RawIO read and RawIO read + pack, interleaved in one loop so that
    // they share the machine's state; a line with the medians and ratios is printed at the end.
    Benchmark("ratio: RawIO read, read + pack vs bare LibRaw (interleaved)",
              configuration: .init(metrics: [.wallClock], maxDuration: .seconds(6))) { benchmark in
        var out = [UInt16](repeating: 0, count: pixels)
        let path = testDNG.path
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var start = ContinuousClock.now
            let n = out.withUnsafeMutableBufferPointer { r2r_reference_read_visible(path, $0.baseAddress, pixels) }
            precondition(n == pixels, "LibRaw read \(n) samples of \(path)")
            rates.add("ratio.libraw", Double(pixels) / seconds(since: start) / 1e6)
            start = .now
            blackHole(try BayerImage(contentsOf: testDNG))
            rates.add("ratio.read", Double(pixels) / seconds(since: start) / 1e6)
            start = .now
            blackHole(try BayerImage(contentsOf: testDNG).packed())
            rates.add("ratio.readpack", Double(pixels) / seconds(since: start) / 1e6)
        }
        blackHole(out)
    } teardown: {
        let libraw = rates.median("ratio.libraw"), read = rates.median("ratio.read"), readPack = rates.median("ratio.readpack")
        print(String(format: "RawIO read 1024x768 DNG: %.0f MPix/s = %.2fx the bare LibRaw C API read (%.0f MPix/s), medians, interleaved", read, read / libraw, libraw))
        print(String(format: "RawIO read + pack 1024x768 DNG: %.0f MPix/s; time %.2fx that of the bare LibRaw read", readPack, libraw / readPack))
    }
}
