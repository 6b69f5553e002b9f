import Calibration
import Foundation
import RawSupport
import RawTensor

/// A fixed global colour mapping applied per pixel of `[N, 4, H, W]` tensors, differentiable with
/// respect to its input (the coefficients are constants).
///
/// The residual model's starting point: a least-squares ``ColorMapping`` fitted on the anchor
/// pairs (or the identity). Values are not clipped, so the learned correction on top can use the
/// whole range. The terms are evaluated by Calibration's `PackedMappingEvaluator` (the exact
/// per-pixel Jacobian for gradients); this type only runs it over tensors and records gradients.
struct BaseMapping: Sendable {
    /// The per-pixel evaluation of the mapping's terms.
    let evaluator: PackedMappingEvaluator

    /// The mapping; `nil` for the identity.
    var mapping: ColorMapping? { evaluator.mapping }

    /// The identity.
    static let identity = BaseMapping(nil)

    /// Wraps a fitted mapping; `linear3x3` (which averages the greens) is not a valid base.
    init(_ mapping: ColorMapping?) {
        evaluator = PackedMappingEvaluator(mapping)
    }

    var isIdentity: Bool { evaluator.isIdentity }

    /// Applies the mapping to an `[N, 4, H, W]` tensor; with `jacobian`, also returns the
    /// `[4, N, 4, H, W]` derivatives: entry `[k, n, c, i, j]` is `d y_c / d x_k` at that pixel.
    func apply(_ x: Tensor, jacobian: Bool = false) -> (value: Tensor, jacobian: Tensor?) {
        precondition(x.rank == 4 && x.shape[1] == 4, "the base mapping needs [N, 4, H, W], got \(x.shape)")
        if isIdentity { return (x, nil) }
        let n = x.shape[0], plane = x.shape[2] * x.shape[3], count = x.count
        var out = [Float](repeating: 0, count: count)
        var jac = [Float](repeating: 0, count: jacobian ? 4 * count : 0)
        let evaluator = self.evaluator
        x.withUnsafeBufferPointer { srcBuffer in
            out.withUnsafeMutableBufferPointer { dstBuffer in
                jac.withUnsafeMutableBufferPointer { jacBuffer in
                    let s = UnsafePointer(srcBuffer.baseAddress!)
                    let dst = dstBuffer.baseAddress!
                    let jp = jacobian ? jacBuffer.baseAddress : nil
                    // Pixels in parallel: each chunk writes its own pixels only.
                    Parallel.forEachChunk(count: n * plane, grain: 16_384) { range in
                        var scratch = PackedMappingEvaluator.Scratch(for: evaluator)
                        for flat in range {
                            let b = flat / plane, i = flat % plane
                            let base = b * 4 * plane
                            let px = SIMD4(s[base + i], s[base + plane + i], s[base + 2 * plane + i], s[base + 3 * plane + i])
                            if let jp {
                                let (y, d) = evaluator.mapWithJacobian(px, scratch: &scratch)
                                for c in 0..<4 { dst[base + c * plane + i] = y[c] }
                                for k in 0..<4 {
                                    for c in 0..<4 { jp[k * count + base + c * plane + i] = d[4 * k + c] }
                                }
                            } else {
                                let y = evaluator.map(px, scratch: &scratch)
                                for c in 0..<4 { dst[base + c * plane + i] = y[c] }
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
