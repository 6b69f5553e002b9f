import Calibration
import Foundation
import RawSupport
import RawTensor

/// A fixed global colour mapping applied per pixel of `[N, 4, H, W]` tensors, differentiable with
/// respect to its input (the coefficients are constants).
///
/// The residual model's starting point: a least-squares ``ColorMapping`` fitted on the anchor
/// pairs (or the identity). Values are not clipped, so the learned correction on top can use the
/// whole range. Gradients use the exact per-pixel Jacobian; for root-polynomial terms, whose
/// derivative is unbounded at zero, the monomial under the root is floored at 1e-8 in the
/// derivative only.
struct BaseMapping: Sendable {
    /// The mapping; `nil` for the identity.
    let mapping: ColorMapping?
    private let exponents: [[Int]]
    private let roots: [Int]
    /// `terms x 4` coefficients, row-major.
    private let coefficients: [Float]

    /// The identity.
    static let identity = BaseMapping(nil)

    /// Wraps a fitted mapping; `linear3x3` (which averages the greens) is not a valid base.
    init(_ mapping: ColorMapping?) {
        self.mapping = mapping
        if let m = mapping {
            precondition(!m.kind.usesAveragedGreens, "the base mapping must work on the four packed channels, not \(m.kind)")
            exponents = m.terms.map(\.exponents)
            roots = m.terms.map(\.root)
            coefficients = m.coefficients.map(Float.init)
        } else {
            exponents = []
            roots = []
            coefficients = []
        }
    }

    var isIdentity: Bool { mapping == nil }

    /// The value of every term (and its derivative with respect to each channel when `jacobian` is given).
    @inline(__always)
    private static func terms(_ x: SIMD4<Float>, exponents: [[Int]], roots: [Int], values: inout [Float],
                              derivatives: inout [SIMD4<Float>], withDerivatives: Bool) {
        for t in 0..<exponents.count {
            let e = exponents[t]
            var m: Float = 1
            for k in 0..<4 where e[k] > 0 {
                var p = x[k]
                for _ in 1..<e[k] { p *= x[k] }
                m *= p
            }
            let root = roots[t]
            let v: Float
            switch root {
            case 1: v = m
            case 2: v = m < 0 ? -(-m).squareRoot() : m.squareRoot()
            default: v = m < 0 ? -Foundation.cbrt(-m) : Foundation.cbrt(m)
            }
            values[t] = v
            guard withDerivatives else { continue }
            var d = SIMD4<Float>(repeating: 0)
            for k in 0..<4 where e[k] > 0 {
                // d m / d x_k = e_k x_k^(e_k - 1) * prod_{i != k} x_i^(e_i)
                var dm = Float(e[k])
                for _ in 1..<e[k] { dm *= x[k] }
                for i in 0..<4 where i != k && e[i] > 0 {
                    for _ in 0..<e[i] { dm *= x[i] }
                }
                d[k] = dm
            }
            if root > 1 {
                // d (m^(1/r)) / dm = (1/r) |m|^(1/r - 1), with |m| floored for a bounded gradient.
                let a = max(Swift.abs(m), 1e-8)
                let scale = root == 2 ? 0.5 / a.squareRoot() : (1.0 / 3.0) / Foundation.pow(a, 2.0 / 3.0)
                d *= scale
            }
            derivatives[t] = d
        }
    }

    /// Applies the mapping to an `[N, 4, H, W]` tensor; with `jacobian`, also returns the
    /// `[4, N, 4, H, W]` derivatives: entry `[k, n, c, i, j]` is `d y_c / d x_k` at that pixel.
    func apply(_ x: Tensor, jacobian: Bool = false) -> (value: Tensor, jacobian: Tensor?) {
        precondition(x.rank == 4 && x.shape[1] == 4, "the base mapping needs [N, 4, H, W], got \(x.shape)")
        if isIdentity { return (x, nil) }
        let n = x.shape[0], plane = x.shape[2] * x.shape[3], count = x.count
        let termCount = exponents.count
        var out = [Float](repeating: 0, count: count)
        var jac = [Float](repeating: 0, count: jacobian ? 4 * count : 0)
        let rows = (0..<termCount).map { t in
            SIMD4(coefficients[t * 4], coefficients[t * 4 + 1], coefficients[t * 4 + 2], coefficients[t * 4 + 3])
        }
        let exps = exponents, rts = roots
        x.withUnsafeBufferPointer { srcBuffer in
            out.withUnsafeMutableBufferPointer { dstBuffer in
                jac.withUnsafeMutableBufferPointer { jacBuffer in
                    let src = UnsafePointer(srcBuffer.baseAddress!)
                    let dst = dstBuffer.baseAddress!
                    let jp = jacobian ? jacBuffer.baseAddress : nil
                    // Pixels in parallel: each chunk writes its own pixels only.
                    Parallel.forEachChunk(count: n * plane, grain: 16_384) { range in
                        var values = [Float](repeating: 0, count: termCount)
                        var derivs = [SIMD4<Float>](repeating: .zero, count: termCount)
                        for flat in range {
                            let b = flat / plane, i = flat % plane
                            let base = b * 4 * plane
                            let s = src
                            let px = SIMD4(s[base + i], s[base + plane + i], s[base + 2 * plane + i], s[base + 3 * plane + i])
                            BaseMapping.terms(px, exponents: exps, roots: rts, values: &values,
                                              derivatives: &derivs, withDerivatives: jacobian)
                            var y = SIMD4<Float>(repeating: 0)
                            for t in 0..<termCount { y += values[t] * rows[t] }
                            for c in 0..<4 { dst[base + c * plane + i] = y[c] }
                            if let jp {
                                // d y_c / d x_k = sum_t C[t, c] * d term_t / d x_k
                                for k in 0..<4 {
                                    var d = SIMD4<Float>(repeating: 0)
                                    for t in 0..<termCount { d += derivs[t][k] * rows[t] }
                                    for c in 0..<4 { jp[k * count + base + c * plane + i] = d[c] }
                                }
                            }
                        }
                    }
                }
            }
        }
        let value = Tensor(shape: x.shape, values: out)
        guard jacobian else { return (value, nil) }
        return (value, Tensor(shape: [4] + x.shape, values: jac))
    }

    /// The vector-Jacobian product: `dx[n, k] = sum_c g[n, c] * J[k, n, c]` per pixel.
    static func pullback(_ g: Tensor, jacobian: Tensor) -> Tensor {
        let shape = g.shape, count = g.count
        let n = shape[0], plane = shape[2] * shape[3]
        var dx = [Float](repeating: 0, count: count)
        g.withUnsafeBufferPointer { gb in
            jacobian.withUnsafeBufferPointer { jb in
                dx.withUnsafeMutableBufferPointer { db in
                    let gp = UnsafePointer(gb.baseAddress!), jp = UnsafePointer(jb.baseAddress!)
                    let dp = db.baseAddress!
                    Parallel.forEachChunk(count: n * plane, grain: 16_384) { range in
                        for flat in range {
                            let b = flat / plane, i = flat % plane
                            let base = b * 4 * plane + i
                            for k in 0..<4 {
                                var sum: Float = 0
                                for c in 0..<4 { sum += gp[base + c * plane] * jp[k * count + base + c * plane] }
                                dp[base + k * plane] = sum
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: shape, values: dx)
    }

    /// Applies the mapping to a variable, recording the gradient with respect to the input when it needs one.
    func callAsFunction(_ x: Variable) -> Variable {
        if isIdentity { return x }
        guard x.requiresGradient && GradientRecording.isEnabled else { return Variable(apply(x.value).value) }
        let (fx, jac) = apply(x.value, jacobian: true)
        let jacobian = jac!
        return Variable.differentiable(fx, inputs: [x]) { g in [BaseMapping.pullback(g, jacobian: jacobian)] }
    }
}
