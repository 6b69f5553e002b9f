import Foundation
import RawSupport

/// A pointwise nonlinearity; every one has a derivative expressible from its output, so backward
/// passes need to keep only the activated tensor.
public enum Activation: Sendable, Equatable, Hashable {
    /// `x`.
    case identity
    /// `max(x, 0)`.
    case relu
    /// `x` for positive `x`, `negativeSlope * x` otherwise (`negativeSlope` must be positive).
    case leakyReLU(negativeSlope: Float)
    /// `1 / (1 + exp(-x))`.
    case sigmoid
    /// The hyperbolic tangent.
    case tanh

    /// Applies the activation to `count` values in place.
    func apply(_ p: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .identity: return
        case .relu:
            Parallel.forEachChunk(count: count, grain: 1 << 15) { r in for i in r { p[i] = Swift.max(p[i], 0) } }
        case .leakyReLU(let slope):
            precondition(slope > 0, "leakyReLU needs a positive slope to be invertible from its output, got \(slope)")
            Parallel.forEachChunk(count: count, grain: 1 << 15) { r in
                for i in r { let v = p[i]; p[i] = v < 0 ? v * slope : v }
            }
        case .sigmoid:
            Parallel.forEachChunk(count: count, grain: 1 << 13) { r in
                for i in r { p[i] = 1 / (1 + Foundation.exp(-p[i])) }
            }
        case .tanh:
            Parallel.forEachChunk(count: count, grain: 1 << 13) { r in for i in r { p[i] = Foundation.tanh(p[i]) } }
        }
    }

    /// Multiplies `grad` in place by the derivative, computed from the activation's output `y`.
    func multiplyDerivative(_ grad: UnsafeMutablePointer<Float>, output y: UnsafePointer<Float>, count: Int) {
        switch self {
        case .identity: return
        case .relu:
            Parallel.forEachChunk(count: count, grain: 1 << 15) { r in for i in r where y[i] <= 0 { grad[i] = 0 } }
        case .leakyReLU(let slope):
            Parallel.forEachChunk(count: count, grain: 1 << 15) { r in
                for i in r { grad[i] *= y[i] < 0 ? slope : 1 }
            }
        case .sigmoid:
            Parallel.forEachChunk(count: count, grain: 1 << 15) { r in for i in r { grad[i] *= y[i] * (1 - y[i]) } }
        case .tanh:
            Parallel.forEachChunk(count: count, grain: 1 << 15) { r in for i in r { grad[i] *= 1 - y[i] * y[i] } }
        }
    }
}

extension Tensor {
    /// This tensor with `activation` applied elementwise.
    public func applying(_ activation: Activation) -> Tensor {
        var out = self
        out.makeUnique()
        activation.apply(out.storage.pointer, count: out.count)
        return out
    }
}

/// The gradient of an activation given its output `output` and the gradient of that output.
public func activationBackward(gradOutput: Tensor, output: Tensor, activation: Activation) -> Tensor {
    precondition(gradOutput.shape == output.shape, "activationBackward: shapes \(gradOutput.shape) and \(output.shape) differ")
    var grad = gradOutput
    grad.makeUnique()
    activation.multiplyDerivative(grad.storage.pointer, output: output.storage.pointer, count: grad.count)
    withExtendedLifetime(output) {}
    return grad
}

/// `max(x, 0)` elementwise.
public func relu(_ x: Tensor) -> Tensor { x.applying(.relu) }
/// Leaky ReLU elementwise: `x` if positive, `negativeSlope * x` otherwise.
public func leakyReLU(_ x: Tensor, negativeSlope: Float = 0.2) -> Tensor { x.applying(.leakyReLU(negativeSlope: negativeSlope)) }
/// The logistic sigmoid elementwise.
public func sigmoid(_ x: Tensor) -> Tensor { x.applying(.sigmoid) }
/// The hyperbolic tangent elementwise.
public func tanh(_ x: Tensor) -> Tensor { x.applying(.tanh) }

// MARK: - Losses

/// The pointwise losses RawTensor provides, all mean-reduced over every element.
public enum LossFunction: Sendable, Equatable, Hashable {
    /// Mean absolute error, `mean(|p - t|)`.
    case l1
    /// Mean squared error, `mean((p - t)^2)`.
    case meanSquaredError
    /// Charbonnier (smooth L1), `mean(sqrt((p - t)^2 + epsilon^2))`.
    case charbonnier(epsilon: Float)

    /// The loss of `prediction` against `target` (same shape), as a Double.
    public func value(_ prediction: Tensor, _ target: Tensor) -> Double {
        precondition(prediction.shape == target.shape, "loss: prediction \(prediction.shape) and target \(target.shape) differ")
        precondition(prediction.count > 0, "loss of empty tensors")
        let p = prediction.storage.pointer, t = target.storage.pointer
        let kind: Int, e2: Float
        switch self {
        case .l1: (kind, e2) = (0, 0)
        case .meanSquaredError: (kind, e2) = (1, 0)
        case .charbonnier(let eps): (kind, e2) = (2, eps * eps)
        }
        let s = Parallel.sum(count: prediction.count) { r in
            Double(Reduce.lossSum(p + r.lowerBound, t + r.lowerBound, r.count, kind: kind, e2: e2))
        }
        withExtendedLifetime((prediction, target)) {}
        return s / Double(prediction.count)
    }

    /// The gradient of the loss with respect to `prediction`, scaled by `scale` (the loss's own
    /// incoming gradient); the gradient with respect to `target` is its negation.
    public func gradient(_ prediction: Tensor, _ target: Tensor, scale: Float = 1) -> Tensor {
        precondition(prediction.shape == target.shape, "loss: prediction \(prediction.shape) and target \(target.shape) differ")
        let n = Float(prediction.count)
        let out = Tensor(uninitializedShape: prediction.shape)
        let p = prediction.storage.pointer, t = target.storage.pointer, o = out.storage.pointer
        switch self {
        case .l1:
            let k = scale / n
            Parallel.forEachChunk(count: prediction.count, grain: 1 << 15) { r in
                for i in r { let d = p[i] - t[i]; o[i] = d > 0 ? k : (d < 0 ? -k : 0) }
            }
        case .meanSquaredError:
            let k = 2 * scale / n
            Parallel.forEachChunk(count: prediction.count, grain: 1 << 15) { r in for i in r { o[i] = k * (p[i] - t[i]) } }
        case .charbonnier(let eps):
            let k = scale / n, e2 = eps * eps
            Parallel.forEachChunk(count: prediction.count, grain: 1 << 15) { r in
                for i in r { let d = p[i] - t[i]; o[i] = k * d / (d * d + e2).squareRoot() }
            }
        }
        withExtendedLifetime((prediction, target)) {}
        return out
    }
}

/// Mean absolute error between `prediction` and `target` as a scalar tensor.
public func l1Loss(_ prediction: Tensor, _ target: Tensor) -> Tensor { Tensor(Float(LossFunction.l1.value(prediction, target))) }
/// Mean squared error between `prediction` and `target` as a scalar tensor.
public func mseLoss(_ prediction: Tensor, _ target: Tensor) -> Tensor { Tensor(Float(LossFunction.meanSquaredError.value(prediction, target))) }
/// Charbonnier loss `mean(sqrt(d^2 + epsilon^2))` as a scalar tensor.
public func charbonnierLoss(_ prediction: Tensor, _ target: Tensor, epsilon: Float = 1e-3) -> Tensor {
    Tensor(Float(LossFunction.charbonnier(epsilon: epsilon).value(prediction, target)))
}

// MARK: - Matrix product

/// The matrix product of `[m, k]` and `[k, n]` matrices (`cblas_sgemm`).
public func matmul(_ a: Tensor, _ b: Tensor) -> Tensor {
    matmul(a, b, transposeA: false, transposeB: false)
}

/// The matrix product `op(a) * op(b)`, where `op` optionally transposes its (rank-2) argument.
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) -> Tensor {
    precondition(a.rank == 2 && b.rank == 2, "matmul needs matrices, got \(a.shape) and \(b.shape)")
    let m = transposeA ? a.shape[1] : a.shape[0], k = transposeA ? a.shape[0] : a.shape[1]
    let kb = transposeB ? b.shape[1] : b.shape[0], n = transposeB ? b.shape[0] : b.shape[1]
    precondition(k == kb, "matmul: inner sizes differ, \(a.shape)\(transposeA ? "ᵀ" : "") x \(b.shape)\(transposeB ? "ᵀ" : "")")
    let out = Tensor(uninitializedShape: [m, n])
    if k == 0 { out.storage.pointer.update(repeating: 0, count: m * n) }
    BLAS.ensureSingleThreaded()
    Parallel.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1,
               a: a.storage.pointer, lda: max(a.shape[1], 1), b: b.storage.pointer, ldb: max(b.shape[1], 1),
               beta: 0, c: out.storage.pointer, ldc: max(n, 1))
    withExtendedLifetime((a, b)) {}
    return out
}

/// The gradients of `matmul(a, b)` with respect to `a` and `b`, given the output's gradient.
public func matmulBackward(gradOutput: Tensor, _ a: Tensor, _ b: Tensor) -> (a: Tensor, b: Tensor) {
    precondition(gradOutput.shape == [a.shape[0], b.shape[1]], "matmulBackward: gradOutput \(gradOutput.shape) does not match \(a.shape) x \(b.shape)")
    return (matmul(gradOutput, b, transposeA: false, transposeB: true), matmul(a, gradOutput, transposeA: true, transposeB: false))
}
