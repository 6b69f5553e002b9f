// Raw2RawModel benchmarks, each quoted against a reference measured in the same run:
// - the reference: raw `cblas_sgemm` 1024^3 with OpenBLAS on every core (GFLOP/s);
// - one training step (Trainer.trainStep: sampling, forward, backward, Adam) of the default
//   configuration (residual model 16-32-64, 8+8 unpaired patches and 4 anchor pairs of 64x64,
//   mapping + cycle + deviation losses) and of the paper configuration (U-Net pair 32-64-128,
//   8+8 + 4 pairs of 128x128, reconstruction + alignment + mapping), in patches per second;
// - inference of a whole 1024x768 packed image (both models), in kilopixels per second, with the
//   default tiling options (names say "tiled": since 2026-11-30 an image whose estimate fits the
//   single-pass budget, such as this one with the paper model, is mapped in one pass), and the paper
//   model forced into 256-pixel tiles;
// - the peak resident memory of mapping a 3-megapixel packed image (2016x1512) with the default
//   model, against the library's own estimate.
import Benchmark
import CBLASReference
import Foundation
import Raw2RawModel
import RawIO

private func seconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

private let gflops = BenchmarkMetric.custom("GFLOP/s", polarity: .prefersLarger, useScalingFactor: false)
private let patchesPerSecond = BenchmarkMetric.custom("patches/s", polarity: .prefersLarger, useScalingFactor: false)
private let millisecondsPerStep = BenchmarkMetric.custom("ms/step", polarity: .prefersSmaller, useScalingFactor: false)
private let kilopixelsPerSecond = BenchmarkMetric.custom("kPix/s", polarity: .prefersLarger, useScalingFactor: false)
private let estimatedPeakMB = BenchmarkMetric.custom("estimated peak MB", polarity: .prefersSmaller, useScalingFactor: false)

private func configuration(_ metrics: [BenchmarkMetric], seconds: Int = 20, iterations: Int = 20) -> Benchmark.Configuration {
    .init(metrics: [.wallClock] + metrics, warmupIterations: 1, maxDuration: .seconds(seconds), maxIterations: iterations)
}

/// A smooth random packed image.
private func smoothImage(height: Int, width: Int, seed: Int) -> PackedImage {
    var values = [Float](repeating: 0, count: height * width * 4)
    let p = (0..<8).map { Float(($0 * 37 + seed * 11) % 17) * 0.37 }
    for y in 0..<height {
        for x in 0..<width {
            for c in 0..<4 {
                values[(y * width + x) * 4 + c] = 0.4 + 0.3 * sin(Float(x) * 0.05 + p[c]) * cos(Float(y) * 0.04 + p[c + 4])
            }
        }
    }
    return PackedImage(height: height, width: width, values: values)
}

/// A small dataset in the paper's layout (12 unpaired images per camera, 8 anchor pairs, 256x192).
private func makeDataset() -> TrainingData {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("raw2raw-model-benchmark-\(getpid())")
    func write(_ image: PackedImage, _ split: DatasetSplit, _ camera: String, _ name: String) {
        let folder = root.appendingPathComponent(split.relativePath(camera: camera))
        try! FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try! image.writeMAT(to: folder.appendingPathComponent(name + ".mat"))
    }
    for i in 0..<12 {
        write(smoothImage(height: 192, width: 256, seed: i), .unpaired, "A", "u\(i)")
        write(smoothImage(height: 192, width: 256, seed: 100 + i), .unpaired, "B", "u\(i)")
    }
    for i in 0..<8 {
        let a = smoothImage(height: 192, width: 256, seed: 200 + i)
        write(a, .anchor, "A", "p\(i)")
        write(PackedImage(height: a.height, width: a.width, values: a.values.map { 0.8 * $0 + 0.05 * $0 * $0 }), .anchor, "B", "p\(i)")
    }
    return try! TrainingData(layout: DatasetLayout(root: root), cameraA: "A", cameraB: "B")
}

private func trainingBenchmark(_ name: String, _ preset: TrainingConfiguration, patch: Int) {
    Benchmark(name, configuration: configuration([patchesPerSecond, millisecondsPerStep], seconds: 40, iterations: 12)) { benchmark in
        var c = preset
        c.sampling.patchSize = patch
        // The network's step, as PyTorch's reference times it: no augmentation of the anchors
        // (the paper preset's recipe tiles them and varies their gain).
        c.sampling.anchorTiling = 0
        c.sampling.gainAugmentation = 0
        c.optimization.steps = 1_000_000
        c.monitoring.checkpointInterval = 0
        c.monitoring.validationInterval = 0
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("raw2raw-model-benchmark-out-\(getpid())")
        let trainer = try! Trainer(configuration: c, data: makeDataset(), modelDirectory: out)
        try! trainer.trainStep()   // loads the images
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let t0 = seconds()
            try! trainer.trainStep()
            let dt = seconds() - t0
            benchmark.measurement(patchesPerSecond, Int((Double(trainer.patchesPerStep) / dt).rounded()))
            benchmark.measurement(millisecondsPerStep, Int((dt * 1000).rounded()))
        }
        benchmark.stopMeasurement()
    }
}

private func inferenceBenchmark(_ name: String, _ model: ModelConfiguration, tiling: TilingOptions = .default) {
    Benchmark(name, configuration: configuration([kilopixelsPerSecond, .peakMemoryResidentDelta], seconds: 20, iterations: 10)) { benchmark in
        let network = Raw2RawNetwork(configuration: model, cameraA: "A", cameraB: "B", seed: 1)
        let image = smoothImage(height: 768, width: 1024, seed: 3)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let t0 = seconds()
            blackHole(network.map(image, direction: .aToB, tiling: tiling))
            benchmark.measurement(kilopixelsPerSecond, Int((Double(image.pixelCount) / (seconds() - t0) / 1000).rounded()))
        }
        benchmark.stopMeasurement()
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark("reference: cblas_sgemm 1024^3", configuration: configuration([gflops], seconds: 3, iterations: 50)) { benchmark in
        openblas_set_num_threads(Int32(ProcessInfo.processInfo.activeProcessorCount))
        let n = 1024
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let t0 = seconds()
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, a, Int32(n), b, Int32(n), 0, &c, Int32(n))
            benchmark.measurement(gflops, Int((2 * pow(Double(n), 3) / (seconds() - t0) / 1e9).rounded()))
        }
        benchmark.stopMeasurement()
        blackHole(c)
        // RawTensor needs OpenBLAS single-threaded (see ComputeConfiguration); restore it.
        openblas_set_num_threads(1)
    }

    trainingBenchmark("training step: default configuration (residual 16-32-64, 8+8 unpaired + 4 anchor pairs, 64x64)", .default, patch: 64)
    trainingBenchmark("training step: paper configuration (U-Net pair 32-64-128, 8+8 unpaired + 4 anchor pairs, 128x128)", .paper, patch: 128)
    inferenceBenchmark("inference: default model, 1024x768 packed, tiled", .default)
    inferenceBenchmark("inference: paper model, 1024x768 packed, tiled", .paper)
    inferenceBenchmark("inference: paper model, 1024x768 packed, 256-pixel tiles with exact halo", .paper,
                       tiling: TilingOptions(singlePassBudget: 0))

    Benchmark("peak memory: default model mapping a 3-megapixel packed image (2016x1512)",
              configuration: configuration([.peakMemoryResidentDelta, estimatedPeakMB, kilopixelsPerSecond], seconds: 30, iterations: 3)) { benchmark in
        let network = Raw2RawNetwork(configuration: .default, cameraA: "A", cameraB: "B", seed: 1)
        let image = smoothImage(height: 1512, width: 2016, seed: 4)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let t0 = seconds()
            blackHole(network.map(image, direction: .aToB))
            benchmark.measurement(kilopixelsPerSecond, Int((Double(image.pixelCount) / (seconds() - t0) / 1000).rounded()))
            benchmark.measurement(estimatedPeakMB, network.estimatedPeakBytes(height: 1512, width: 2016) / 1_000_000)
        }
        benchmark.stopMeasurement()
    }
}
