import Foundation
import Testing
@testable import Calibration
import RawCore

@Suite("Packed mapping evaluator")
struct PackedEvaluatorTests {
    /// A mapping of `kind` with coefficients of order 1 drawn from a seeded generator.
    static func mapping(_ kind: ColorMapping.Kind, seed: UInt64) throws -> ColorMapping {
        var g = SeededGenerator(seed: seed)
        let n = kind.termCount * kind.outputCount
        return try ColorMapping(kind: kind, coefficients: (0..<n).map { _ in Double(g.nextUniform()) - 0.3 })
    }

    @Test("values equal the term sum of MappingTerm.value(at:) in Double", arguments: [ColorMapping.Kind.linear4x4, .affine, .polynomial2, .rootPolynomial2, .rootPolynomial3, .paperPolynomial])
    func valuesMatchTheTerms(_ kind: ColorMapping.Kind) throws {
        let m = try Self.mapping(kind, seed: 3)
        let evaluator = PackedMappingEvaluator(m)
        var scratch = PackedMappingEvaluator.Scratch(for: evaluator)
        var g = SeededGenerator(seed: 9)
        for _ in 0..<50 {
            let x = SIMD4<Float>((0..<4).map { _ in 0.05 + 0.9 * g.nextUniform() })
            let y = evaluator.map(x, scratch: &scratch)
            let xd = (0..<4).map { Double(x[$0]) }
            for c in 0..<4 {
                // Independent reference: Σ_t coefficient(t, c) · term_t(x), in Double.
                let expected = m.terms.indices.reduce(0.0) { $0 + m.coefficient(term: $1, output: c) * m.terms[$1].value(at: xd) }
                #expect(abs(Double(y[c]) - expected) < 1e-5 * max(1, abs(expected)), "\(kind) channel \(c)")
            }
        }
    }

    @Test("the Jacobian matches central finite differences", arguments: [ColorMapping.Kind.linear4x4, .polynomial2, .rootPolynomial2, .rootPolynomial3, .paperPolynomial])
    func jacobianMatchesFiniteDifferences(_ kind: ColorMapping.Kind) throws {
        let m = try Self.mapping(kind, seed: 5)
        let evaluator = PackedMappingEvaluator(m)
        var scratch = PackedMappingEvaluator.Scratch(for: evaluator)
        var g = SeededGenerator(seed: 11)
        let h = 1e-4
        for _ in 0..<20 {
            let x = SIMD4<Float>((0..<4).map { _ in 0.1 + 0.8 * g.nextUniform() })
            let (value, jacobian) = evaluator.mapWithJacobian(x, scratch: &scratch)
            #expect(value == evaluator.map(x, scratch: &scratch))
            let xd = (0..<4).map { Double(x[$0]) }
            func f(_ p: [Double], _ c: Int) -> Double {
                m.terms.indices.reduce(0.0) { $0 + m.coefficient(term: $1, output: c) * m.terms[$1].value(at: p) }
            }
            for k in 0..<4 {
                var plus = xd, minus = xd
                plus[k] += h
                minus[k] -= h
                for c in 0..<4 {
                    let numeric = (f(plus, c) - f(minus, c)) / (2 * h)
                    #expect(abs(Double(jacobian[4 * k + c]) - numeric) < 2e-3 * max(1, abs(numeric)), "\(kind) d y\(c) / d x\(k)")
                }
            }
        }
    }

    @Test("applyUnclipped equals apply inside [0, 1] and goes beyond it outside")
    func unclippedAgreesWithApply() throws {
        // A gain of 1.5 on every channel: pixels above 2/3 go past white unclipped.
        let m = try ColorMapping(kind: .linear4x4, coefficients: (0..<16).map { $0 % 5 == 0 ? 1.5 : 0 })
        let image = PackedImage(height: 1, width: 2, values: [0.2, 0.4, 0.1, 0.6, 0.8, 0.9, 0.7, 0.3])
        let unclipped = m.applyUnclipped(to: image)
        #expect(unclipped.values.map { ($0 * 1e4).rounded() / 1e4 } == [0.3, 0.6, 0.15, 0.9, 1.2, 1.35, 1.05, 0.45])
        let clipped = m.apply(to: image)
        for (u, c) in zip(unclipped.values, clipped.values) { #expect(abs(min(u, 1) - c) < 1e-6) }
        // A 3x3 goes through its 4x4 on the packed channels.
        let m3 = try ColorMapping(kind: .linear3x3, coefficients: [1, 0, 0, 0, 1, 0, 0, 0, 1])
        #expect(m3.applyUnclipped(to: image).values.map { ($0 * 1e4).rounded() / 1e4 } == [0.2, 0.25, 0.25, 0.6, 0.8, 0.8, 0.8, 0.3])
    }
}
