// Calibration benchmarks: fitting every mapping kind on 1 million samples and applying it to a
// 12-megapixel packed image (3000 x 4000 packed pixels), each next to the raw LAPACK / BLAS call
// doing the core of the same work, measured in the same run:
// - fit: LAPACKE_dgels (Householder QR least squares) on the prebuilt 1M x terms design matrix;
// - apply: one cblas_sgemm of the prebuilt 12M x terms matrix by the terms x 4 coefficients.
// Our numbers include everything the raw calls leave out (validation, masking, term expansion,
// clipping). Run: `cd Benchmarks && swift package benchmark --target CalibrationBenchmarks`.
import Benchmark
import Calibration
import CBLASReference
import Foundation
import LAPACKEReference
import RawIO

/// Deterministic pseudo-random Floats in [lo, hi).
private func randomValues(count: Int, seed: UInt64, lo: Float, hi: Float) -> [Float] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return lo + (hi - lo) * Float(state >> 40) / Float(1 << 24)
    }
}

/// 1000 x 1000 packed pixels = 1M samples: a source and its target through a fixed smooth mapping plus noise.
private let fitSource = PackedImage(height: 1000, width: 1000, values: randomValues(count: 4_000_000, seed: 1, lo: 0.02, hi: 0.9))
private let fitTarget: PackedImage = {
    let truth = try! ColorMapping(kind: .rootPolynomial2, coefficients: [
        0.80, 0.05, 0.04, 0.02, 0.10, 0.70, 0.08, 0.03, 0.05, 0.08, 0.72, 0.04, 0.02, 0.04, 0.05, 0.85,
        0.02, -0.01, 0.01, 0.00, 0.01, 0.02, -0.02, 0.01, -0.01, 0.00, 0.02, 0.01,
        0.01, 0.01, -0.01, 0.02, 0.00, 0.02, 0.01, -0.01, 0.01, -0.02, 0.00, 0.01,
    ])
    var t = truth.apply(to: fitSource)
    let noise = randomValues(count: t.values.count, seed: 2, lo: -0.004, hi: 0.004)
    for i in t.values.indices { t.values[i] += noise[i] }
    return t
}()

/// 3000 x 4000 packed pixels (a 24-megapixel mosaic's packed form: 12M packed pixels).
private let applyImage = PackedImage(height: 3000, width: 4000, values: randomValues(count: 48_000_000, seed: 3, lo: 0, hi: 1))

/// The kind's design matrix for the fit samples, column-major 1M x terms, and the targets, 1M x outputs.
private func designMatrix(_ kind: ColorMapping.Kind) -> (a: [Double], b: [Double]) {
    let n = fitSource.pixelCount, terms = kind.terms, q = kind.outputCount
    var a = [Double](repeating: 0, count: n * terms.count), b = [Double](repeating: 0, count: n * q)
    for i in 0..<n {
        let s = fitSource.pixel(y: i / 1000, x: i % 1000), t = fitTarget.pixel(y: i / 1000, x: i % 1000)
        let x = kind == .linear3x3 ? [Double(s[0]), Double(s[1] + s[2]) / 2, Double(s[3])] : (0..<4).map { Double(s[$0]) }
        let y = kind == .linear3x3 ? [Double(t[0]), Double(t[1] + t[2]) / 2, Double(t[3])] : (0..<4).map { Double(t[$0]) }
        for (k, term) in terms.enumerated() { a[k * n + i] = term.value(at: x) }
        for j in 0..<q { b[j * n + i] = y[j] }
    }
    return (a, b)
}

/// Non-constant terms as the BLAS matrix has them (linear3x3 runs as a 4x4 on packed pixels).
private func gemmTerms(_ kind: ColorMapping.Kind) -> Int {
    switch kind {
    case .linear3x3, .linear4x4, .affine: return 4
    default: return kind.terms.filter { !$0.isConstant }.count
    }
}

let benchmarks: @Sendable () -> Void = {
    let config = Benchmark.Configuration(metrics: [.wallClock], timeUnits: .milliseconds, warmupIterations: 1,
                                         maxDuration: .seconds(6), maxIterations: 5)

    for kind in ColorMapping.Kind.allCases {
        Benchmark("fit \(kind.rawValue), 1M samples", configuration: config) { benchmark in
            _ = fitTarget
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(try ColorMapping.fit(kind, source: fitSource, target: fitTarget))
            }
        }

        Benchmark("fit \(kind.rawValue) reference: LAPACKE_dgels 1M x \(kind.termCount), \(kind.outputCount) rhs", configuration: config) { benchmark in
            var (a, b) = designMatrix(kind)
            let m = Int32(fitSource.pixelCount), n = Int32(kind.termCount), q = Int32(kind.outputCount)
            benchmark.startMeasurement()
            let info = LAPACKE_dgels(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "N")), m, n, q, &a, m, &b, m)
            benchmark.stopMeasurement()
            precondition(info == 0, "dgels info \(info)")
            blackHole(b[0])
        }

        Benchmark("apply \(kind.rawValue), 3000x4000 packed", configuration: config) { benchmark in
            let mapping = try ColorMapping.fit(kind, source: fitSource, target: fitTarget, options: FitOptions(sampleBudget: 20_000))
            _ = applyImage
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(mapping.apply(to: applyImage))
            }
        }

        Benchmark("apply \(kind.rawValue) into a reused image, 3000x4000 packed", configuration: config) { benchmark in
            let mapping = try ColorMapping.fit(kind, source: fitSource, target: fitTarget, options: FitOptions(sampleBudget: 20_000))
            var output = PackedImage(height: applyImage.height, width: applyImage.width)
            mapping.apply(to: applyImage, into: &output)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                mapping.apply(to: applyImage, into: &output)
            }
            benchmark.stopMeasurement()
            blackHole(output.values[0])
        }

        Benchmark("apply \(kind.rawValue) reference: cblas_sgemm 12M x \(gemmTerms(kind)) x 4", configuration: config) { benchmark in
            let k = gemmTerms(kind), m = applyImage.pixelCount
            let terms = [Float](repeating: 0.5, count: m * k)
            let coefficients = [Float](repeating: 0.1, count: k * 4)
            var out = [Float](repeating: 0, count: m * 4)
            benchmark.startMeasurement()
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), 4, Int32(k), 1, terms, Int32(k),
                        coefficients, 4, 0, &out, 4)
            benchmark.stopMeasurement()
            blackHole(out[0])
        }
    }
}
