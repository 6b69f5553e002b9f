// RawTensor benchmarks, each quoted against a reference measured in the same run:
// - our `matmul` against raw `cblas_sgemm` at 1024^3;
// - conv2d 3x3 forward+backward at U-Net sizes against raw `cblas_sgemm` doing the same number of
//   FLOPs in the convolution's own GEMM shape (outC x HW x 9 inC per image, three products);
// - one training step of the paper's two-camera U-Net pair (Documentation/Method.md; 8+8 unpaired
//   patches and 4 anchor pairs of 128x128 packed pixels, three L1 losses, Adam), to compare with
//   the PyTorch reference of Documentation/Performance.md run on the same machine.
// The custom metric "GFLOP/s" is computed from each iteration's own wall-clock time.
import Benchmark
import CBLASReference
import Foundation
import RawTensor

private func seconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

private let gflops = BenchmarkMetric.custom("GFLOP/s", polarity: .prefersLarger, useScalingFactor: false)
private var configuration: Benchmark.Configuration {
    .init(metrics: [.wallClock, gflops], warmupIterations: 2, maxDuration: .seconds(4), maxIterations: 50)
}

/// References run OpenBLAS with its own threads on every core; RawTensor needs it single-threaded
/// (it parallelises across calls itself and sets OpenBLAS to one thread only once per process, see
/// `ComputeConfiguration`), so every reference restores one thread when it is done.
private func withAllCoresInOpenBLAS(_ body: () -> Void) {
    openblas_set_num_threads(Int32(ProcessInfo.processInfo.activeProcessorCount))
    body()
    openblas_set_num_threads(1)
}

/// Times `body` per iteration and records its rate for `flops` floating-point operations.
private func measureRate(_ benchmark: Benchmark, flops: Double, _ body: () -> Void) {
    benchmark.startMeasurement()
    for _ in benchmark.scaledIterations {
        let t0 = seconds()
        body()
        let dt = seconds() - t0
        benchmark.measurement(gflops, Int((flops / dt / 1e9).rounded()))
    }
    benchmark.stopMeasurement()
}

// MARK: - The paper network of Documentation/Method.md, built from RawTensor layers

private final class Level: Module {
    let conv1: Conv2d, conv2: Conv2d
    init(_ input: Int, _ output: Int, generator: inout SeededGenerator) {
        let act = Activation.leakyReLU(negativeSlope: 0.2)
        conv1 = Conv2d(inputChannels: input, outputChannels: output, kernelSize: 3, padding: 1, activation: act,
                       initializer: .heNormal(negativeSlope: 0.2), generator: &generator)
        conv2 = Conv2d(inputChannels: output, outputChannels: output, kernelSize: 3, padding: 1, activation: act,
                       initializer: .heNormal(negativeSlope: 0.2), generator: &generator)
    }
    func callAsFunction(_ x: Variable) -> Variable { conv2(conv1(x)) }
}

private final class Encoder: Module {
    let levels: [Level]
    init(channels: [Int], generator: inout SeededGenerator) {
        var levels: [Level] = [], c = 4
        for w in channels { levels.append(Level(c, w, generator: &generator)); c = w }
        self.levels = levels
    }
    func callAsFunction(_ x: Variable) -> [Variable] {
        var features: [Variable] = [], h = x
        for (i, level) in levels.enumerated() { h = level(i == 0 ? h : maxPool2d(h)); features.append(h) }
        return features
    }
}

private final class Decoder: Module {
    let ups: [Conv2d], levels: [Level], out: Conv2d
    init(channels: [Int], generator: inout SeededGenerator) {
        var ups: [Conv2d] = [], levels: [Level] = []
        for i in stride(from: channels.count - 1, to: 0, by: -1) {
            ups.append(Conv2d(inputChannels: channels[i], outputChannels: channels[i - 1], kernelSize: 3, padding: 1,
                              activation: .leakyReLU(negativeSlope: 0.2), generator: &generator))
            levels.append(Level(2 * channels[i - 1], channels[i - 1], generator: &generator))
        }
        self.ups = ups
        self.levels = levels
        out = Conv2d(inputChannels: channels[0], outputChannels: 4, kernelSize: 1, activation: .sigmoid,
                     initializer: .xavierUniform, generator: &generator)
    }
    func callAsFunction(_ features: [Variable]) -> Variable {
        var y = features.last!
        for (i, up) in ups.enumerated() {
            y = levels[i](concatenate([up(upsampleNearest2d(y)), features[features.count - 2 - i]], axis: 1))
        }
        return out(y)
    }
}

private final class UNetPair: Module {
    let encoderA: Encoder, decoderA: Decoder, encoderB: Encoder, decoderB: Decoder
    init(seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        let channels = [32, 64, 128]
        encoderA = Encoder(channels: channels, generator: &g)
        decoderA = Decoder(channels: channels, generator: &g)
        encoderB = Encoder(channels: channels, generator: &g)
        decoderB = Decoder(channels: channels, generator: &g)
    }
    func loss(_ ua: Tensor, _ ub: Tensor, _ a: Tensor, _ b: Tensor) -> Variable {
        let ua = Variable(ua), ub = Variable(ub), a = Variable(a), b = Variable(b)
        let reconstruction = l1Loss(decoderA(encoderA(ua)), ua) + l1Loss(decoderB(encoderB(ub)), ub)
        let fa = encoderA(a), fb = encoderB(b)
        let alignment = sum(zip(fa, fb).map { l1Loss($0, $1) })
        return reconstruction + alignment + l1Loss(decoderB(fa), b) + l1Loss(decoderA(fb), a)
    }
}

/// Forward FLOPs (2 x multiply-adds) per full-resolution pixel of one encoder and one decoder.
private func flopsPerPixel() -> (encoder: Double, decoder: Double) {
    func c(_ i: Double, _ o: Double, _ k: Double = 9) -> Double { 2 * i * o * k }
    let enc = c(4, 32) + c(32, 32) + (c(32, 64) + c(64, 64)) / 4 + (c(64, 128) + c(128, 128)) / 16
    let dec = (c(128, 64) + c(128, 64) + c(64, 64)) / 4 + c(64, 32) + c(64, 32) + c(32, 32) + c(32, 4, 1)
    return (enc, dec)
}

let benchmarks: @Sendable () -> Void = {
    let n = 1024
    Benchmark("reference: cblas_sgemm 1024^3", configuration: configuration) { benchmark in
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        withAllCoresInOpenBLAS {
            measureRate(benchmark, flops: 2 * pow(Double(n), 3)) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, a, Int32(n), b, Int32(n), 0, &c, Int32(n))
            }
        }
        blackHole(c)
    }
    Benchmark("RawTensor matmul 1024^3", configuration: configuration) { benchmark in
        var g = SeededGenerator(seed: 1)
        let a = Tensor.randomNormal([n, n], using: &g), b = Tensor.randomNormal([n, n], using: &g)
        measureRate(benchmark, flops: 2 * pow(Double(n), 3)) { blackHole(matmul(a, b)) }
    }

    for (channels, size) in [(32, 128), (32, 64), (64, 128), (64, 64)] {
        let batch = 8
        let forwardFlops = 2.0 * Double(batch * channels * channels * 9 * size * size)
        Benchmark("reference: cblas_sgemm conv-shaped \(channels)x\(size * size)x\(9 * channels) x\(3 * batch)",
                  configuration: configuration) { benchmark in
            let m = channels, nn = size * size, k = 9 * channels
            let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: k * nn)
            var c = [Float](repeating: 0, count: m * nn)
            withAllCoresInOpenBLAS {
                measureRate(benchmark, flops: 3 * forwardFlops) {
                    for _ in 0..<(3 * batch) {
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(nn), Int32(k), 1, a, Int32(k),
                                    b, Int32(nn), 0, &c, Int32(nn))
                    }
                }
            }
            blackHole(c)
        }
        Benchmark("conv2d 3x3 fwd+bwd batch \(batch) \(channels)->\(channels) \(size)x\(size)", configuration: configuration) { benchmark in
            var g = SeededGenerator(seed: 2)
            let x = Tensor.randomNormal([batch, channels, size, size], using: &g)
            let w = Tensor.randomNormal([channels, channels, 3, 3], using: &g)
            let bias = Tensor.randomNormal([channels], using: &g)
            measureRate(benchmark, flops: 3 * forwardFlops) {
                let y = conv2d(x, weight: w, bias: bias, padding: 1)
                blackHole(conv2dBackward(gradOutput: y, input: x, weight: w, padding: 1))
            }
        }
    }

    Benchmark("training step: U-Net pair 32-64-128, 8+8 unpaired + 4 anchor pairs, 128x128, Adam",
              configuration: .init(metrics: [.wallClock, gflops], warmupIterations: 1, maxDuration: .seconds(20), maxIterations: 8)) { benchmark in
        let model = UNetPair(seed: 0)
        let updater = ParameterUpdater(optimizer: Adam(), learningRate: 1e-4)
        var g = SeededGenerator(seed: 3)
        let ua = Tensor.randomUniform([8, 4, 128, 128], using: &g), ub = Tensor.randomUniform([8, 4, 128, 128], using: &g)
        let a = Tensor.randomUniform([4, 4, 128, 128], using: &g), b = Tensor.randomUniform([4, 4, 128, 128], using: &g)
        let (enc, dec) = flopsPerPixel()
        // Forward FLOPs: 16 unpaired encoder+decoder passes, 8 anchor encoders, 8 anchor decoders; x3 with backward.
        let stepFlops = 3 * (16 * (enc + dec) + 8 * enc + 8 * dec) * 128 * 128
        measureRate(benchmark, flops: stepFlops) {
            model.zeroGradients()
            let loss = model.loss(ua, ub, a, b)
            loss.backward()
            updater.update(model)
        }
    }
}
