import Foundation
import RawIO
import Testing
@testable import Calibration

@Suite("Fitting")
struct FittingTests {
    /// Noise-free samples of a known mapping.
    static func samples(of mapping: ColorMapping, count: Int, seed: UInt64) -> ([SIMD4<Double>], [SIMD4<Double>]) {
        var rng = TestRandom(seed)
        let x = (0..<count).map { _ in rng.pixel(0.02, 0.9) }
        return (x, x.map { mapping.evaluate($0) })
    }

    @Test("a known mapping is recovered exactly from noise-free samples", arguments: ColorMapping.Kind.allCases)
    func exactRecovery(kind: ColorMapping.Kind) throws {
        let truth = plausibleMapping(kind, seed: 3)
        let (x, y) = Self.samples(of: truth, count: 400, seed: 4)
        let fitted = try ColorMapping.fit(kind, sourcePatches: x, targetPatches: y, options: FitOptions(mask: .none))
        let err = maxAbsDifference(fitted.coefficients, truth.coefficients)
        #expect(err < 1e-8, "\(kind): coefficient error \(err), condition \(fitted.statistics!.conditionNumber)")
        #expect(fitted.statistics!.overallRMSE < 1e-12)
        #expect(fitted.statistics!.usedSamples == 400 && fitted.statistics!.rank == kind.termCount)
    }

    @Test("a known mapping is recovered from Float image pairs, streamed through several QR segments",
          arguments: [ColorMapping.Kind.linear3x3, .affine, .paperPolynomial, .rootPolynomial2, .rootPolynomial3])
    func recoveryFromImages(kind: ColorMapping.Kind) throws {
        let truth = plausibleMapping(kind, seed: 8)
        var rng = TestRandom(9)
        // Two pairs, 2 x 150 x 120 = 36000 pixels: several blocks, segments and QR chunks.
        let sources = (0..<2).map { _ in rng.image(height: 150, width: 120, lo: 0.02, hi: 0.85) }
        // Unclipped targets (clipping at 0 would break exactness; the mask drops values near 1).
        let targets = sources.map { s in
            PackedImage(height: s.height, width: s.width, values: (0..<s.pixelCount).flatMap { i -> [Float] in
                let p = s.pixel(y: i / s.width, x: i % s.width)
                let v = truth.evaluate(SIMD4(Double(p[0]), Double(p[1]), Double(p[2]), Double(p[3])))
                return [Float(v[0]), Float(v[1]), Float(v[2]), Float(v[3])]
            })
        }
        let fitted = try ColorMapping.fit(kind, sources: sources, targets: targets)
        // Targets are rounded to Float (relative 6e-8); the coefficients follow within the conditioning.
        let err = maxAbsDifference(fitted.coefficients, truth.coefficients)
        #expect(err < 2e-4, "\(kind): coefficient error \(err)")
        #expect(fitted.statistics!.overallRMSE < 1e-7)
        #expect(fitted.statistics!.totalSamples == 36000)
    }

    @Test("with noise the error stays within what the noise allows",
          arguments: [ColorMapping.Kind.linear4x4, .affine, .paperPolynomial, .polynomial3, .rootPolynomial2])
    func noisyRecovery(kind: ColorMapping.Kind) throws {
        let truth = plausibleMapping(kind, seed: 21)
        var rng = TestRandom(22)
        let sigma = 0.01, n = 6000
        let x = (0..<n).map { _ in rng.pixel(0.05, 0.85) }
        let y = x.map { truth.evaluate($0) + SIMD4(rng.normal(), rng.normal(), rng.normal(), rng.normal()) * sigma }
        let fitted = try ColorMapping.fit(kind, sourcePatches: x, targetPatches: y, options: FitOptions(mask: .none))
        // The residual is the noise.
        let rmse = fitted.statistics!.overallRMSE
        #expect(abs(rmse - sigma) < 0.05 * sigma, "\(kind): residual RMSE \(rmse)")
        // The fitted mapping is close to the truth on fresh pixels: about sigma * sqrt(terms / samples).
        var sq = 0.0
        let test = (0..<2000).map { _ in rng.pixel(0.05, 0.85) }
        for p in test { let d = fitted.evaluate(p) - truth.evaluate(p); sq += (d * d).sum() / 4 }
        let predictionError = (sq / Double(test.count)).squareRoot()
        #expect(predictionError < 0.3 * sigma, "\(kind): prediction error \(predictionError)")
    }

    static var lstsq: [String: Any] { Fixture.json("lstsq.json") }
    static var lstsqCases: [Int] { Array((lstsq["cases"] as! [[String: Any]]).indices) }

    @Test("coefficients equal numpy.linalg.lstsq on the committed fixture", arguments: lstsqCases)
    func matchesNumpy(caseIndex: Int) throws {
        let c = (Self.lstsq["cases"] as! [[String: Any]])[caseIndex]
        let kind = ColorMapping.Kind(rawValue: c["kind"] as! String)!
        let x = Fixture.pixels(Fixture.f64("lstsq_source.f64")), y = Fixture.pixels(Fixture.f64("lstsq_target.f64"))
        let weights = (c["weighted"] as! Bool) ? Fixture.f64("lstsq_weights.f64") : nil
        let ridge = c["ridge"] as! Double
        let fitted = try ColorMapping.fit(kind, sourcePatches: x, targetPatches: y, weights: weights,
                                          options: FitOptions(ridge: ridge, mask: .none))
        let expected = (c["coefficients"] as! [[Double]]).flatMap { $0 }
        let scale = expected.map(abs).max()!
        let sv = c["singular_values"] as! [Double]
        let cond = sv.first! / sv.last!
        let err = maxAbsDifference(fitted.coefficients, expected)
        // Two backward-stable solvers agree to about cond * eps relative to the coefficients.
        #expect(err <= max(1e-12, cond * 1e-14) * scale, "\(kind) ridge \(ridge): error \(err), scale \(scale), cond \(cond)")
        let stats = fitted.statistics!
        #expect(stats.rank == c["rank"] as! Int)
        #expect(maxAbsDifference(stats.singularValues, sv) <= 1e-10 * sv[0])
        #expect(maxAbsDifference(stats.rmse, c["rmse"] as! [Double]) <= 1e-10)
    }

    @Test("fitting an image pair masks like numpy and gives numpy's coefficients", arguments: [0, 1, 2])
    func imagePairMatchesNumpy(caseIndex: Int) throws {
        let info = Fixture.json("pair.json")
        let h = info["height"] as! Int, w = info["width"] as! Int
        let source = PackedImage(height: h, width: w, values: Fixture.f32("pair_source.f32"))
        let target = PackedImage(height: h, width: w, values: Fixture.f32("pair_target.f32"))
        let c = (info["cases"] as! [[String: Any]])[caseIndex]
        let kind = ColorMapping.Kind(rawValue: c["kind"] as! String)!
        let fitted = try ColorMapping.fit(kind, source: source, target: target)
        let stats = fitted.statistics!
        #expect(stats.totalSamples == info["total"] as! Int)
        #expect(stats.usedSamples == info["kept"] as! Int)
        #expect(stats.maskedSamples == (info["total"] as! Int) - (info["kept"] as! Int))
        let expected = (c["coefficients"] as! [[Double]]).flatMap { $0 }
        let sv = c["singular_values"] as! [Double]
        let err = maxAbsDifference(fitted.coefficients, expected)
        #expect(err <= max(1e-12, sv[0] / sv.last! * 1e-14) * expected.map(abs).max()!, "\(kind): error \(err)")
        #expect(maxAbsDifference(stats.rmse, c["rmse"] as! [Double]) <= 1e-10)
    }

    @Test("root-polynomial fits are exposure invariant: scaling both cameras' exposure gives the same coefficients",
          arguments: [ColorMapping.Kind.rootPolynomial2, .rootPolynomial3, .linear4x4])
    func exposureInvariantFit(kind: ColorMapping.Kind) throws {
        let x = Fixture.pixels(Fixture.f64("lstsq_source.f64")), y = Fixture.pixels(Fixture.f64("lstsq_target.f64"))
        let base = try ColorMapping.fit(kind, sourcePatches: x, targetPatches: y, options: FitOptions(mask: .none))
        for k in [0.25, 0.5, 1.0] {
            let scaled = try ColorMapping.fit(kind, sourcePatches: x.map { $0 * k }, targetPatches: y.map { $0 * k },
                                              options: FitOptions(mask: .none))
            #expect(maxAbsDifference(scaled.coefficients, base.coefficients) < 1e-8, "\(kind) k=\(k)")
        }
        // A polynomial with a constant is not: the same experiment changes its coefficients.
        let poly = try ColorMapping.fit(.paperPolynomial, sourcePatches: x, targetPatches: y, options: FitOptions(mask: .none))
        let polyHalf = try ColorMapping.fit(.paperPolynomial, sourcePatches: x.map { $0 * 0.5 }, targetPatches: y.map { $0 * 0.5 },
                                            options: FitOptions(mask: .none))
        #expect(maxAbsDifference(poly.coefficients, polyHalf.coefficients) > 1e-3)
    }
}
