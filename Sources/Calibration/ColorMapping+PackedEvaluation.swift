import Foundation
import RawCore
import RawSupport

/// A colour mapping on the four packed channels evaluated pixel by pixel in Float, without
/// clipping, with its exact Jacobian when asked.
///
/// This is the one per-pixel evaluation of a mapping's terms that everything differentiable uses
/// (the residual model's least-squares base in Raw2RawModel, the exposure models fitted on mapped
/// anchors): ``ColorMapping/apply(to:precision:)-(PackedImage,_)`` evaluates the same terms with
/// BLAS and clips. For root-polynomial terms, whose derivative is unbounded at zero, the monomial
/// under the root is floored at 1e-8 in the derivative only.
public struct PackedMappingEvaluator: Sendable {
    /// The mapping; `nil` for the identity.
    public let mapping: ColorMapping?
    private let exponents: [[Int]]
    private let roots: [Int]
    /// `terms x 4` coefficients as SIMD rows.
    private let rows: [SIMD4<Float>]

    /// The identity.
    public static let identity = PackedMappingEvaluator(nil)

    /// Prepares `mapping` (`nil` for the identity) for evaluation; a ``ColorMapping/Kind/linear3x3``,
    /// which averages the greens, is a programming error here: convert it with
    /// ``ColorMapping/onPackedChannels()`` first.
    public init(_ mapping: ColorMapping?) {
        self.mapping = mapping
        if let m = mapping {
            precondition(!m.kind.usesAveragedGreens, "a packed evaluator works on the four packed channels, not \(m.kind)")
            exponents = m.terms.map(\.exponents)
            roots = m.terms.map(\.root)
            let c = m.coefficients.map(Float.init)
            rows = (0..<m.terms.count).map { t in SIMD4(c[t * 4], c[t * 4 + 1], c[t * 4 + 2], c[t * 4 + 3]) }
        } else {
            exponents = []
            roots = []
            rows = []
        }
    }

    /// Whether this is the identity.
    public var isIdentity: Bool { mapping == nil }

    /// The number of terms.
    public var termCount: Int { rows.count }

    /// Scratch space for ``map(_:scratch:)`` and ``mapWithJacobian(_:scratch:)``: one per worker.
    public struct Scratch {
        fileprivate var values: [Float]
        fileprivate var derivatives: [SIMD4<Float>]
        /// Scratch for `evaluator`.
        public init(for evaluator: PackedMappingEvaluator) {
            values = [Float](repeating: 0, count: evaluator.termCount)
            derivatives = [SIMD4<Float>](repeating: .zero, count: evaluator.termCount)
        }
    }

    /// The mapped pixel (R, Gr, Gb, B), not clipped.
    @inline(__always)
    public func map(_ x: SIMD4<Float>, scratch: inout Scratch) -> SIMD4<Float> {
        if isIdentity { return x }
        evaluateTerms(x, scratch: &scratch, withDerivatives: false)
        var y = SIMD4<Float>(repeating: 0)
        for t in 0..<rows.count { y += scratch.values[t] * rows[t] }
        return y
    }

    /// The mapped pixel and its Jacobian: `jacobian[4 * k + c]` is `d y_c / d x_k`.
    @inline(__always)
    public func mapWithJacobian(_ x: SIMD4<Float>, scratch: inout Scratch) -> (value: SIMD4<Float>, jacobian: SIMD16<Float>) {
        if isIdentity {
            var identity = SIMD16<Float>(repeating: 0)
            for k in 0..<4 { identity[5 * k] = 1 }
            return (x, identity)
        }
        evaluateTerms(x, scratch: &scratch, withDerivatives: true)
        var y = SIMD4<Float>(repeating: 0)
        for t in 0..<rows.count { y += scratch.values[t] * rows[t] }
        var jacobian = SIMD16<Float>(repeating: 0)
        // d y_c / d x_k = sum_t C[t, c] * d term_t / d x_k
        for k in 0..<4 {
            var d = SIMD4<Float>(repeating: 0)
            for t in 0..<rows.count { d += scratch.derivatives[t][k] * rows[t] }
            for c in 0..<4 { jacobian[4 * k + c] = d[c] }
        }
        return (y, jacobian)
    }

    /// The value of every term (and its derivative with respect to each channel when asked).
    @inline(__always)
    private func evaluateTerms(_ x: SIMD4<Float>, scratch: inout Scratch, withDerivatives: Bool) {
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
            scratch.values[t] = v
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
            scratch.derivatives[t] = d
        }
    }

    /// The mapping applied to every pixel of a packed image, not clipped (pixels in parallel).
    public func applyUnclipped(to image: PackedImage) -> PackedImage {
        if isIdentity { return image }
        var out = [Float](repeating: 0, count: image.values.count)
        image.values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let s = src.baseAddress!, d = dst.baseAddress!
                Parallel.forEachChunk(count: image.pixelCount, grain: 16_384) { range in
                    var scratch = Scratch(for: self)
                    for p in range {
                        let y = map(SIMD4(s[4 * p], s[4 * p + 1], s[4 * p + 2], s[4 * p + 3]), scratch: &scratch)
                        for c in 0..<4 { d[4 * p + c] = y[c] }
                    }
                }
            }
        }
        return PackedImage(height: image.height, width: image.width, values: out)
    }
}

extension ColorMapping {
    /// The same mapping on the four packed channels: a ``Kind/linear3x3`` (which averages the
    /// greens and writes the mapped green to both) becomes the equivalent ``Kind/linear4x4``;
    /// other kinds are returned unchanged.
    /// - Throws: ``CalibrationError`` only if the converted coefficients are invalid (not finite).
    public func onPackedChannels() throws(CalibrationError) -> ColorMapping {
        guard kind == .linear3x3 else { return self }
        // 3x3 rows: r, g, b terms; columns: R, G, B outputs. 4x4 rows: r, gr, gb, b; columns R, Gr, Gb, B.
        var c = [Double](repeating: 0, count: 16)
        for row in 0..<4 {
            let source = row == 0 ? 0 : (row == 3 ? 2 : 1)
            let share = (row == 1 || row == 2) ? 0.5 : 1.0
            for column in 0..<4 {
                let output = column == 0 ? 0 : (column == 3 ? 2 : 1)
                c[row * 4 + column] = share * coefficient(term: source, output: output)
            }
        }
        return try ColorMapping(kind: .linear4x4, coefficients: c)
    }
}
