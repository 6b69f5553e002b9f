import Foundation
import RawIO
import Testing
@testable import Calibration

@Suite("Exposure-aligned fitting")
struct ExposureAlignedFitTests {
    /// Targets `gains[i] * truth(sources[i])`, computed in Double and stored as Float.
    static func pairs(truth: ColorMapping, gains: [Double], seed: UInt64) -> ([PackedImage], [PackedImage]) {
        var rng = TestRandom(seed)
        let sources = gains.map { _ in rng.image(height: 40, width: 30, lo: 0.02, hi: 0.6) }
        let targets = zip(sources, gains).map { s, g in
            PackedImage(height: s.height, width: s.width, values: (0..<s.pixelCount).flatMap { i -> [Float] in
                let p = s.pixel(y: i / s.width, x: i % s.width)
                let v = truth.evaluate(SIMD4(Double(p[0]), Double(p[1]), Double(p[2]), Double(p[3])))
                return [Float(g * v[0]), Float(g * v[1]), Float(g * v[2]), Float(g * v[3])]
            })
        }
        return (sources, targets)
    }

    @Test("per-pair exposure gains and the mapping are recovered", arguments: [ColorMapping.Kind.linear4x4, .rootPolynomial2])
    func recovery(kind: ColorMapping.Kind) throws {
        let truth = try ColorMapping(kind: kind, coefficients: plausibleMapping(kind, seed: 5).coefficients.map { $0 * 0.6 })
        let gains = [0.7, 1.0, 1.25, 0.85]
        let (sources, targets) = Self.pairs(truth: truth, gains: gains, seed: 6)
        let fit = try ColorMapping.fitAligningExposure(kind, sources: sources, targets: targets)
        // The gains come back with their geometric mean divided out; the mapping carries it.
        let mean = exp(gains.map(log).reduce(0, +) / Double(gains.count))
        for (g, e) in zip(fit.gains, gains) { #expect(abs(g - e / mean) < 1e-5, "gain \(g) vs \(e / mean)") }
        let expected = truth.coefficients.map { $0 * mean }
        #expect(maxAbsDifference(fit.mapping.coefficients, expected) < 1e-4)
        #expect(fit.iterations >= 2)
        // A plain fit of the same pairs is biased by the exposure differences.
        let plain = try ColorMapping.fit(kind, sources: sources, targets: targets)
        #expect(maxAbsDifference(plain.coefficients, expected) > 1e-3)
    }

    @Test("one pair gives gain 1 and the plain fit")
    func onePair() throws {
        let truth = plausibleMapping(.affine, seed: 7)
        let (sources, targets) = Self.pairs(truth: truth, gains: [0.5], seed: 8)
        let fit = try ColorMapping.fitAligningExposure(.affine, sources: sources, targets: targets)
        let plain = try ColorMapping.fit(.affine, sources: sources, targets: targets)
        #expect(fit.gains == [1])
        // Independently known: the targets are exactly 0.5 * truth (rounded to Float), so the mapping
        // is the truth's coefficients halved; and it is the plain fit of the same pair.
        #expect(maxAbsDifference(fit.mapping.coefficients, truth.coefficients.map { $0 * 0.5 }) < 1e-4)
        #expect(fit.mapping.coefficients == plain.coefficients)
    }

    @Test("errors of the plain fit come through: mismatched sizes")
    func shapeMismatch() {
        let a = PackedImage(height: 4, width: 4), b = PackedImage(height: 4, width: 5)
        #expect(throws: CalibrationError.self) { try ColorMapping.fitAligningExposure(.linear4x4, sources: [a, a], targets: [a, b]) }
    }
}
