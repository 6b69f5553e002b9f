import Foundation
import Testing
@testable import Calibration

@Suite("Terms")
struct TermTests {
    @Test("term counts of every kind")
    func counts() {
        let expected: [ColorMapping.Kind: Int] = [.linear3x3: 3, .linear4x4: 4, .affine: 5, .paperPolynomial: 16,
                                                  .polynomial2: 15, .polynomial3: 35, .rootPolynomial2: 10, .rootPolynomial3: 26]
        for kind in ColorMapping.Kind.allCases { #expect(kind.termCount == expected[kind], "\(kind)") }
        #expect(Set(ColorMapping.Kind.allCases.map(\.rawValue)) ==
                ["linear3x3", "linear4x4", "affine", "poly16", "poly2", "poly3", "rootpoly2", "rootpoly3"])
    }

    @Test("the paper's 16 terms in the paper's order")
    func paperTerms() {
        #expect(ColorMapping.Kind.paperPolynomial.terms.map(\.name) ==
                ["r", "gr", "gb", "b", "r^2", "gr^2", "gb^2", "b^2", "r*gr", "r*gb", "r*b", "gr*gb", "gr*b", "gb*b", "r*gr*gb*b", "1"])
        let x = [0.3, 0.5, 0.45, 0.2]
        let values = ColorMapping.Kind.paperPolynomial.terms.map { $0.value(at: x) }
        let (r, gr, gb, b) = (x[0], x[1], x[2], x[3])
        let expected = [r, gr, gb, b, r * r, gr * gr, gb * gb, b * b, r * gr, r * gb, r * b, gr * gb, gr * b, gb * b, r * gr * gb * b, 1]
        #expect(maxAbsDifference(values, expected) == 0)
    }

    @Test("term lists equal the ones written independently in the numpy fixture generator")
    func namesMatchNumpy() {
        let cases = Fixture.json("lstsq.json")["cases"] as! [[String: Any]]
        var seen = Set<String>()
        for c in cases {
            let kind = ColorMapping.Kind(rawValue: c["kind"] as! String)!
            #expect(kind.terms.map(\.name) == c["terms"] as! [String], "\(kind)")
            seen.insert(kind.rawValue)
        }
        #expect(seen.count == ColorMapping.Kind.allCases.count)
    }

    @Test("root-polynomial terms are homogeneous of degree 1; polynomial ones are not", arguments: ColorMapping.Kind.allCases)
    func homogeneity(kind: ColorMapping.Kind) {
        let x = [0.31, 0.52, 0.47, 0.18], k = 0.37
        let invariant = kind.terms.allSatisfy { t in
            let a = t.value(at: x.prefix(kind.inputCount).map { $0 * k }), b = t.value(at: Array(x.prefix(kind.inputCount)))
            return abs(a - k * b) <= 1e-15
        }
        #expect(invariant == kind.isExposureInvariant)
        #expect(kind.isExposureInvariant == [.linear3x3, .linear4x4, .rootPolynomial2, .rootPolynomial3].contains(kind))
        // Root-polynomial term lists have no duplicates (√(r²) = r is left out).
        #expect(Set(kind.terms).count == kind.termCount)
    }

    @Test("the compiled term program agrees with the term definitions", arguments: ColorMapping.Kind.allCases)
    func programMatchesDefinition(kind: ColorMapping.Kind) {
        let program = TermProgram(kind: kind)
        var rng = TestRandom(11)
        // Planar Double evaluation (used when fitting) agrees with the definition.
        let n = 50, stride = 53
        var slots = [Double](repeating: .nan, count: program.slotCount * stride)
        var inputs: [[Double]] = []
        for i in 0..<n {
            let x = (0..<kind.inputCount).map { _ in rng.uniform(0, 1) }
            inputs.append(x)
            for c in 0..<kind.inputCount { slots[c * stride + i] = x[c] }
        }
        slots.withUnsafeMutableBufferPointer { program.runPlanar($0.baseAddress!, stride: stride, count: n) }
        for (t, term) in kind.terms.enumerated() {
            for i in 0..<n {
                let v = program.termSlots[t].map { slots[$0 * stride + i] } ?? 1
                #expect(abs(v - term.value(at: inputs[i])) <= 4e-16 * max(1, abs(v)), "\(kind) \(term)")
            }
        }
        // Planar Float evaluation (used when applying) agrees too.
        if kind.inputCount == 4 {
            let m = 37, stride = 40
            var buffer = [Float](repeating: .nan, count: program.slotCount * stride)
            var xs: [[Double]] = []
            for i in 0..<m {
                let x = (0..<4).map { _ in Double(Float(rng.uniform(0, 1))) }
                xs.append(x)
                for c in 0..<4 { buffer[c * stride + i] = Float(x[c]) }
            }
            buffer.withUnsafeMutableBufferPointer { program.runPlanar($0.baseAddress!, stride: stride, count: m) }
            for (t, term) in kind.terms.enumerated() {
                guard let slot = program.termSlots[t] else { continue }
                for i in 0..<m {
                    let expected = term.value(at: xs[i])
                    #expect(abs(Double(buffer[slot * stride + i]) - expected) <= 4e-7 * max(1e-3, abs(expected)), "\(kind) \(term)")
                }
            }
        }
    }

    @Test("vectorized Double cube root is within 3 ulp of libm's")
    func doubleCubeRoot() {
        var xs: [Double] = [0, -0, 1, -1, 8, -27, 1e-300, 1e-200, 1e-20, 0.001, 0.5, 0.999, 3, 1e10, 1e300]
        var rng = TestRandom(6)
        for _ in 0..<20000 { xs.append(rng.uniform(-2, 2) * pow(10, rng.uniform(-30, 3))) }
        var ys = [Double](repeating: .nan, count: xs.count)
        xs.withUnsafeBufferPointer { x in ys.withUnsafeMutableBufferPointer { y in
            Double.cubeRoots(x.baseAddress!, into: y.baseAddress!, count: x.count)
        } }
        for (x, y) in zip(xs, ys) {
            let expected = Foundation.cbrt(x)
            #expect(abs(y - expected) <= 3 * expected.ulp, "cbrt(\(x)) = \(y), libm \(expected)")
        }
    }

    @Test("vectorized Float cube root is accurate to a few ulps")
    func floatCubeRoot() {
        var xs: [Float] = [0, -0, 1, -1, 8, -27, 1e-30, 1e-20, 1e-10, 0.001, 0.5, 0.999, 3, 1e10, 1e30]
        var rng = TestRandom(5)
        for _ in 0..<20000 { xs.append(Float(rng.uniform(-2, 2) * pow(10, rng.uniform(-8, 3)))) }
        var ys = [Float](repeating: .nan, count: xs.count)
        xs.withUnsafeBufferPointer { x in ys.withUnsafeMutableBufferPointer { y in
            Float.cubeRoots(x.baseAddress!, into: y.baseAddress!, count: x.count)
        } }
        var worst = 0.0
        for (x, y) in zip(xs, ys) {
            let expected = Foundation.cbrt(Double(x))
            if x == 0 { #expect(y == 0); continue }
            worst = max(worst, abs(Double(y) - expected) / abs(expected))
        }
        #expect(worst < 3e-7, "worst relative error \(worst)")
    }
}
