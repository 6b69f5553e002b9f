import Foundation
import RawIO
import Testing
@testable import Calibration

@Suite("Fit options and errors")
struct OptionsAndErrorTests {
    static func noisySamples(count: Int, seed: UInt64) -> ([SIMD4<Double>], [SIMD4<Double>]) {
        var rng = TestRandom(seed)
        let truth = plausibleMapping(.affine, seed: seed)
        let x = (0..<count).map { _ in rng.pixel(0.05, 0.6) }
        let y = x.map { truth.evaluate($0) + SIMD4(rng.normal(), rng.normal(), rng.normal(), rng.normal()) * 0.02 }
        return (x, y)
    }

    @Test("the default mask drops clipped and near-black samples in source or target; a custom mask moves the thresholds")
    func masking() throws {
        let truth = plausibleMapping(.affine, seed: 1)
        var rng = TestRandom(2)
        var x = (0..<300).map { _ in rng.pixel(0.05, 0.6) }
        var y = x.map { truth.evaluate($0) }
        // Corrupt samples the mask must drop: clipped source, clipped target, black source, black target.
        x[0][2] = 0.99; y[0] = SIMD4(repeating: 0.3)
        y[1][1] = 1.0; y[1][0] = 0.0
        x[2] = SIMD4(repeating: 0.001); y[2] = SIMD4(repeating: 0.9)
        y[3] = SIMD4(0.002, 0.001, 0.0, 0.0); x[3] = SIMD4(repeating: 0.7)
        let fitted = try ColorMapping.fit(.affine, sourcePatches: x, targetPatches: y)
        #expect(fitted.statistics!.maskedSamples == 4 && fitted.statistics!.usedSamples == 296)
        #expect(maxAbsDifference(fitted.coefficients, truth.coefficients) < 1e-10)
        // Without the mask the corrupt samples spoil the fit.
        let unmasked = try ColorMapping.fit(.affine, sourcePatches: x, targetPatches: y, options: FitOptions(mask: .none))
        #expect(unmasked.statistics!.maskedSamples == 0)
        #expect(maxAbsDifference(unmasked.coefficients, truth.coefficients) > 1e-3)
        // Thresholds are configurable: with clipping at 0.995 only the clipped target (1.0) and the blacks go.
        let custom = try ColorMapping.fit(.affine, sourcePatches: x, targetPatches: y,
                                          options: FitOptions(mask: SampleMask(clippedThreshold: 0.995, blackThreshold: 0.002)))
        #expect(custom.statistics!.maskedSamples == 3)
        // Checking only the source keeps the clipped and black targets.
        let sourceOnly = try ColorMapping.fit(.affine, sourcePatches: x, targetPatches: y,
                                              options: FitOptions(mask: SampleMask(checksTarget: false)))
        #expect(sourceOnly.statistics!.maskedSamples == 2)
    }

    @Test("subsampling uses exactly the budget, is reproducible with a seed, and differs with another seed")
    func subsampling() throws {
        let (x, y) = Self.noisySamples(count: 5000, seed: 3)
        let a = try ColorMapping.fit(.paperPolynomial, sourcePatches: x, targetPatches: y, options: FitOptions(sampleBudget: 700, seed: 42))
        let b = try ColorMapping.fit(.paperPolynomial, sourcePatches: x, targetPatches: y, options: FitOptions(sampleBudget: 700, seed: 42))
        let c = try ColorMapping.fit(.paperPolynomial, sourcePatches: x, targetPatches: y, options: FitOptions(sampleBudget: 700, seed: 43))
        #expect(a.statistics!.usedSamples == 700)
        #expect(a == b)
        #expect(a.coefficients != c.coefficients)
        // A budget above the usable count uses everything, exactly like no budget.
        let all = try ColorMapping.fit(.paperPolynomial, sourcePatches: x, targetPatches: y)
        let big = try ColorMapping.fit(.paperPolynomial, sourcePatches: x, targetPatches: y, options: FitOptions(sampleBudget: 1_000_000))
        #expect(all.coefficients == big.coefficients && big.statistics!.usedSamples == 5000)
    }

    @Test("the selection is uniform: every sample is picked about budget/total of the time")
    func selectionIsUniform() {
        var hits = [Int](repeating: 0, count: 50)
        for seed in 0..<4000 {
            let set = BitSet.randomSubset(of: 50, count: 10, seed: UInt64(seed))
            var picked = 0
            for i in 0..<50 where set.contains(i) { hits[i] += 1; picked += 1 }
            #expect(picked == 10)
        }
        // Expected 800 per index, binomial sd ~25: every count within 6 sd.
        #expect(hits.allSatisfy { abs($0 - 800) < 150 }, "\(hits)")
    }

    @Test("weights: zero drops a sample, an integer weight equals repeating the sample")
    func weights() throws {
        let (x, y) = Self.noisySamples(count: 200, seed: 5)
        var w = [Double](repeating: 1, count: 200)
        for i in 0..<50 { w[i] = 0 }
        for i in 50..<80 { w[i] = 3 }
        let weighted = try ColorMapping.fit(.rootPolynomial2, sourcePatches: x, targetPatches: y, weights: w)
        var xr: [SIMD4<Double>] = [], yr: [SIMD4<Double>] = []
        for i in 50..<200 { for _ in 0..<Int(w[i]) { xr.append(x[i]); yr.append(y[i]) } }
        let repeated = try ColorMapping.fit(.rootPolynomial2, sourcePatches: xr, targetPatches: yr)
        #expect(maxAbsDifference(weighted.coefficients, repeated.coefficients) < 1e-10)
        #expect(weighted.statistics!.maskedSamples == 50 && weighted.statistics!.usedSamples == 150)
        #expect(maxAbsDifference(weighted.statistics!.rmse, repeated.statistics!.rmse) < 1e-12)
        // Per-pixel weights on images behave the same way.
        var rng = TestRandom(6)
        let src = rng.image(height: 20, width: 10, lo: 0.05, hi: 0.6)
        let tgt = plausibleMapping(.affine, seed: 7).apply(to: src)
        let pw = (0..<200).map { Float($0 % 3) }
        let fromImage = try ColorMapping.fit(.affine, source: src, target: tgt, weights: pw)
        #expect(fromImage.statistics!.usedSamples == 133)
    }

    @Test("ridge shrinks the non-constant coefficients and regularises a rank-deficient system")
    func ridge() throws {
        let (x, y) = Self.noisySamples(count: 500, seed: 9)
        let plain = try ColorMapping.fit(.polynomial3, sourcePatches: x, targetPatches: y)
        let ridged = try ColorMapping.fit(.polynomial3, sourcePatches: x, targetPatches: y, options: FitOptions(ridge: 1e-3))
        func norm(_ m: ColorMapping) -> Double {
            m.kind.terms.enumerated().filter { !$0.element.isConstant }.map { t in (0..<4).map { m.coefficient(term: t.offset, output: $0) } }
                .flatMap { $0 }.map { $0 * $0 }.reduce(0, +)
        }
        #expect(norm(ridged) < norm(plain))
        #expect(ridged.statistics!.overallRMSE >= plain.statistics!.overallRMSE)
        // Identical greens make gr and gb collinear: plain least squares refuses, ridge solves.
        let xs = x.map { SIMD4($0[0], $0[1], $0[1], $0[3]) }
        #expect(throws: CalibrationError.self) { try ColorMapping.fit(.paperPolynomial, sourcePatches: xs, targetPatches: y) }
        let fixed = try ColorMapping.fit(.paperPolynomial, sourcePatches: xs, targetPatches: y, options: FitOptions(ridge: 1e-6))
        #expect(fixed.statistics!.rank == 16)
        // Ridge is scale-free in the sample count: the same data twice gives the same mapping.
        let doubled = try ColorMapping.fit(.polynomial3, sourcePatches: x + x, targetPatches: y + y, options: FitOptions(ridge: 1e-3))
        #expect(maxAbsDifference(doubled.coefficients, ridged.coefficients) < 1e-10)
    }

    @Test("a rank-deficient system is a typed error with LAPACK's rank and info")
    func rankDeficient() {
        var rng = TestRandom(10)
        let x = (0..<100).map { _ in let g = rng.uniform(0.1, 0.8); return SIMD4(rng.uniform(0.1, 0.8), g, g, rng.uniform(0.1, 0.8)) }
        let y = x.map { $0 * 0.9 }
        #expect(throws: CalibrationError.rankDeficient(kind: .linear4x4, rank: 3, terms: 4, info: 0)) {
            try ColorMapping.fit(.linear4x4, sourcePatches: x, targetPatches: y)
        }
        do {
            _ = try ColorMapping.fit(.polynomial2, sourcePatches: x, targetPatches: y)
            Issue.record("expected a rank-deficiency error")
        } catch {
            guard case .rankDeficient(_, let rank, let terms, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(terms == 15 && rank < 15)
            #expect(error.description.contains("rank-deficient"))
        }
        // linear3x3 averages the greens, so the same data is fine for it.
        #expect(throws: Never.self) { try ColorMapping.fit(.linear3x3, sourcePatches: x, targetPatches: y) }
    }

    @Test("too few samples for the number of terms")
    func tooFew() {
        let (x, y) = Self.noisySamples(count: 15, seed: 11)
        #expect(throws: CalibrationError.tooFewSamples(kind: .paperPolynomial, available: 15, required: 16)) {
            try ColorMapping.fit(.paperPolynomial, sourcePatches: x, targetPatches: y)
        }
        #expect(throws: CalibrationError.tooFewSamples(kind: .affine, available: 4, required: 5)) {
            try ColorMapping.fit(.affine, sourcePatches: x, targetPatches: y, options: FitOptions(sampleBudget: 4))
        }
        #expect(throws: CalibrationError.tooFewSamples(kind: .affine, available: 0, required: 5)) {
            try ColorMapping.fit(.affine, sources: [], targets: [])
        }
        // Everything masked.
        let black = [SIMD4<Double>](repeating: SIMD4(repeating: 0.001), count: 40)
        #expect(throws: CalibrationError.tooFewSamples(kind: .linear4x4, available: 0, required: 4)) {
            try ColorMapping.fit(.linear4x4, sourcePatches: black, targetPatches: black)
        }
    }

    @Test("NaN or infinite input, bad weights, mismatched pairs and bad options are typed errors")
    func badInput() {
        var (x, y) = Self.noisySamples(count: 50, seed: 12)
        x[7][2] = .nan
        #expect(throws: CalibrationError.nonFiniteInput(what: "source patch 7")) {
            try ColorMapping.fit(.affine, sourcePatches: x, targetPatches: y)
        }
        x[7][2] = 0.5; y[9][0] = .infinity
        #expect(throws: CalibrationError.nonFiniteInput(what: "target patch 9")) {
            try ColorMapping.fit(.affine, sourcePatches: x, targetPatches: y, options: FitOptions(mask: .none))
        }
        y[9][0] = 0.5
        var w = [Double](repeating: 1, count: 50); w[3] = -1
        #expect(throws: CalibrationError.invalidWeight(what: "sample patch 3", value: -1)) {
            try ColorMapping.fit(.affine, sourcePatches: x, targetPatches: y, weights: w)
        }
        var rng = TestRandom(13)
        var img = rng.image(height: 6, width: 5)
        img[2, 3, .greenBlue] = .nan
        #expect(throws: CalibrationError.nonFiniteInput(what: "source image, pixel (y 2, x 3)")) {
            try ColorMapping.fit(.affine, source: img, target: rng.image(height: 6, width: 5))
        }
        #expect(throws: CalibrationError.nonFiniteInput(what: "target image 1, pixel (y 2, x 3)")) {
            let ok = rng.image(height: 6, width: 5)
            _ = try ColorMapping.fit(.affine, sources: [ok, ok], targets: [ok, img])
        }
        #expect(throws: CalibrationError.shapeMismatch(pair: 0, source: [6, 5], target: [5, 6])) {
            try ColorMapping.fit(.affine, source: rng.image(height: 6, width: 5), target: rng.image(height: 5, width: 6))
        }
        #expect(throws: CalibrationError.invalidOption("ridge must be finite and >= 0, got -1.0")) {
            try ColorMapping.fit(.affine, sourcePatches: x, targetPatches: y, options: FitOptions(ridge: -1))
        }
        #expect(throws: CalibrationError.self) {
            try ColorMapping.fit(.affine, sourcePatches: x, targetPatches: y, options: FitOptions(sampleBudget: 0))
        }
    }

    @Test("bad coefficients are typed errors")
    func badCoefficients() {
        #expect(throws: CalibrationError.self) { try ColorMapping(paperMappingMatrix: [Double](repeating: 0, count: 63)) }
        var m = [Double](repeating: 0, count: 64); m[5] = .nan
        do {
            _ = try ColorMapping(paperMappingMatrix: m)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("term gr, output Gr"))
        }
    }

    @Test("results do not depend on how the samples are split between workers and pairs")
    func splitInvariance() throws {
        var rng = TestRandom(14)
        let a = rng.image(height: 100, width: 90), b = rng.image(height: 100, width: 90)
        let truth = plausibleMapping(.rootPolynomial2, seed: 15)
        var ta = truth.apply(to: a), tb = truth.apply(to: b)
        for i in stride(from: 0, to: ta.values.count, by: 7) { ta.values[i] += Float(rng.normal() * 0.01) }
        for i in stride(from: 0, to: tb.values.count, by: 5) { tb.values[i] += Float(rng.normal() * 0.01) }
        let two = try ColorMapping.fit(.rootPolynomial2, sources: [a, b], targets: [ta, tb])
        // The same pixels as one image (stacked vertically) and as patches.
        let stacked = try ColorMapping.fit(.rootPolynomial2,
                                           source: PackedImage(height: 200, width: 90, values: a.values + b.values),
                                           target: PackedImage(height: 200, width: 90, values: ta.values + tb.values))
        let px = Fixture.pixels((a.values + b.values).map(Double.init)), py = Fixture.pixels((ta.values + tb.values).map(Double.init))
        let patches = try ColorMapping.fit(.rootPolynomial2, sourcePatches: px, targetPatches: py)
        #expect(maxAbsDifference(two.coefficients, stacked.coefficients) < 1e-12)
        #expect(maxAbsDifference(two.coefficients, patches.coefficients) < 1e-12)
    }
}
