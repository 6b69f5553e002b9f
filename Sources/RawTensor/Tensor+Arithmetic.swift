import Foundation
import RawSupport

/// The shape two shapes broadcast to under NumPy rules (align from the right; sizes equal or 1).
public func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
    let rank = max(a.count, b.count)
    var out = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        precondition(da == db || da == 1 || db == 1, "Shapes \(a) and \(b) cannot be broadcast together")
        out[i] = da == 1 ? db : da
    }
    return out
}

/// Row-major strides of `shape` laid into `rank` axes (aligned right), with 0 where a size-1 axis is
/// broadcast to a larger one.
func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
    let rank = target.count
    var strides = [Int](repeating: 0, count: rank)
    var step = 1
    for i in stride(from: rank - 1, through: 0, by: -1) {
        let j = i - (rank - shape.count)
        guard j >= 0 else { continue }
        strides[i] = shape[j] == 1 && target[i] != 1 ? 0 : step
        step *= shape[j]
    }
    return strides
}

/// Visits a broadcast iteration space as runs: `body(outOffset, aOffset, bOffset, runLength, aStride, bStride)`,
/// after merging axes that are contiguous for every operand.
func forEachBroadcastRun(shape: [Int], stridesA: [Int], stridesB: [Int],
                         _ body: (Int, Int, Int, Int, Int, Int) -> Void) {
    // Coalesce axes i and i+1 when both operands step through them as one axis.
    var dims: [Int] = [], sa: [Int] = [], sb: [Int] = []
    for i in 0..<shape.count where shape[i] != 1 {
        if let last = dims.last, sa.last! == stridesA[i] * shape[i], sb.last! == stridesB[i] * shape[i] {
            dims[dims.count - 1] = last * shape[i]
            sa[sa.count - 1] = stridesA[i]; sb[sb.count - 1] = stridesB[i]
        } else {
            dims.append(shape[i]); sa.append(stridesA[i]); sb.append(stridesB[i])
        }
    }
    if dims.isEmpty { body(0, 0, 0, 1, 0, 0); return }
    let inner = dims.count - 1
    let run = dims[inner]
    var outer = 1
    for d in 0..<inner { outer *= dims[d] }
    var index = [Int](repeating: 0, count: max(inner, 1))
    var oa = 0, ob = 0
    for r in 0..<outer {
        body(r * run, oa, ob, run, sa[inner], sb[inner])
        // Advance the outer multi-index.
        var d = inner - 1
        while d >= 0 {
            index[d] += 1; oa += sa[d]; ob += sb[d]
            if index[d] < dims[d] { break }
            oa -= sa[d] * dims[d]; ob -= sb[d] * dims[d]; index[d] = 0
            d -= 1
        }
    }
}

/// The elementwise binary operations RawTensor implements with broadcasting.
enum BinaryOperation { case add, subtract, multiply, divide }

extension Tensor {
    /// Applies `operation` elementwise with NumPy broadcasting.
    static func binary(_ a: Tensor, _ b: Tensor, _ operation: BinaryOperation) -> Tensor {
        if a.shape == b.shape {
            let out = Tensor(uninitializedShape: a.shape)
            let pa = a.storage.pointer, pb = b.storage.pointer, po = out.storage.pointer
            Parallel.forEachChunk(count: a.count, grain: 1 << 16) { r in
                switch operation {
                case .add: for i in r { po[i] = pa[i] + pb[i] }
                case .subtract: for i in r { po[i] = pa[i] - pb[i] }
                case .multiply: for i in r { po[i] = pa[i] * pb[i] }
                case .divide: for i in r { po[i] = pa[i] / pb[i] }
                }
            }
            withExtendedLifetime((a, b)) {}
            return out
        }
        let shape = broadcastShape(a.shape, b.shape)
        let out = Tensor(uninitializedShape: shape)
        let pa = a.storage.pointer, pb = b.storage.pointer, po = out.storage.pointer
        forEachBroadcastRun(shape: shape, stridesA: broadcastStrides(a.shape, to: shape),
                            stridesB: broadcastStrides(b.shape, to: shape)) { o, ia, ib, n, sa, sb in
            switch operation {
            case .add: for i in 0..<n { po[o + i] = pa[ia + i * sa] + pb[ib + i * sb] }
            case .subtract: for i in 0..<n { po[o + i] = pa[ia + i * sa] - pb[ib + i * sb] }
            case .multiply: for i in 0..<n { po[o + i] = pa[ia + i * sa] * pb[ib + i * sb] }
            case .divide: for i in 0..<n { po[o + i] = pa[ia + i * sa] / pb[ib + i * sb] }
            }
        }
        withExtendedLifetime((a, b)) {}
        return out
    }

    /// Applies `transform` to every element (in parallel for large tensors).
    public func map(_ transform: (Float) -> Float) -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        let p = storage.pointer, o = out.storage.pointer
        Parallel.forEachChunk(count: count, grain: 1 << 15) { r in
            for i in r { o[i] = transform(p[i]) }
        }
        withExtendedLifetime(self) {}
        return out
    }

    /// Elementwise sum with broadcasting.
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor { binary(lhs, rhs, .add) }
    /// Elementwise difference with broadcasting.
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor { binary(lhs, rhs, .subtract) }
    /// Elementwise product with broadcasting.
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor { binary(lhs, rhs, .multiply) }
    /// Elementwise quotient with broadcasting.
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor { binary(lhs, rhs, .divide) }

    /// Adds a scalar to every element.
    public static func + (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 + rhs } }
    /// Subtracts a scalar from every element.
    public static func - (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 - rhs } }
    /// Multiplies every element by a scalar.
    public static func * (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 * rhs } }
    /// Divides every element by a scalar.
    public static func / (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 / rhs } }
    /// Adds a scalar to every element.
    public static func + (lhs: Float, rhs: Tensor) -> Tensor { rhs.map { lhs + $0 } }
    /// Subtracts every element from a scalar.
    public static func - (lhs: Float, rhs: Tensor) -> Tensor { rhs.map { lhs - $0 } }
    /// Multiplies every element by a scalar.
    public static func * (lhs: Float, rhs: Tensor) -> Tensor { rhs.map { lhs * $0 } }
    /// The elementwise negation.
    public static prefix func - (operand: Tensor) -> Tensor { operand.map { -$0 } }

    /// Adds `other` (same shape) in place.
    public static func += (lhs: inout Tensor, rhs: Tensor) {
        precondition(lhs.shape == rhs.shape, "+= needs equal shapes, got \(lhs.shape) and \(rhs.shape)")
        lhs.makeUnique()
        let p = lhs.storage.pointer, q = rhs.storage.pointer
        Parallel.forEachChunk(count: lhs.count, grain: 1 << 16) { r in for i in r { p[i] += q[i] } }
        withExtendedLifetime(rhs) {}
    }

    /// Subtracts `other` (same shape) in place.
    public static func -= (lhs: inout Tensor, rhs: Tensor) {
        precondition(lhs.shape == rhs.shape, "-= needs equal shapes, got \(lhs.shape) and \(rhs.shape)")
        lhs.makeUnique()
        let p = lhs.storage.pointer, q = rhs.storage.pointer
        Parallel.forEachChunk(count: lhs.count, grain: 1 << 16) { r in for i in r { p[i] -= q[i] } }
        withExtendedLifetime(rhs) {}
    }

    /// Multiplies every element by a scalar in place.
    public static func *= (lhs: inout Tensor, rhs: Float) {
        lhs.makeUnique()
        let p = lhs.storage.pointer
        Parallel.forEachChunk(count: lhs.count, grain: 1 << 16) { r in for i in r { p[i] *= rhs } }
    }

    /// The elementwise absolute value.
    public func abs() -> Tensor { map { Swift.abs($0) } }
    /// The elementwise square.
    public func squared() -> Tensor { map { $0 * $0 } }
    /// The elementwise square root.
    public func squareRoot() -> Tensor { map { $0.squareRoot() } }
    /// The elementwise natural exponential.
    public func exp() -> Tensor { map { Foundation.exp($0) } }
    /// The elementwise natural logarithm.
    public func log() -> Tensor { map { Foundation.log($0) } }
    /// Every element clamped to `range`.
    public func clamped(to range: ClosedRange<Float>) -> Tensor {
        map { Swift.min(Swift.max($0, range.lowerBound), range.upperBound) }
    }
}

// MARK: - Reductions

extension Tensor {
    /// The sum of all elements as a scalar tensor (accumulated in Double, in a fixed order).
    public func sum() -> Tensor { Tensor(Float(sumDouble())) }

    /// The mean of all elements as a scalar tensor.
    public func mean() -> Tensor {
        precondition(count > 0, "mean of an empty tensor")
        return Tensor(Float(sumDouble() / Double(count)))
    }

    /// The sum of all elements in Double precision.
    public func sumDouble() -> Double {
        let p = storage.pointer
        let s = Parallel.sum(count: count) { r in Double(Reduce.sum(p + r.lowerBound, r.count)) }
        withExtendedLifetime(self) {}
        return s
    }

    /// The largest element.
    public func max() -> Float {
        precondition(count > 0, "max of an empty tensor")
        return withUnsafeBufferPointer { $0.max()! }
    }

    /// The smallest element.
    public func min() -> Float {
        precondition(count > 0, "min of an empty tensor")
        return withUnsafeBufferPointer { $0.min()! }
    }

    /// The sum over `axes`; reduced axes are kept with size 1 when `keepingDimensions` is true.
    public func sum(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        var target = shape
        for a in axes {
            precondition(a >= 0 && a < rank, "axis \(a) out of range for shape \(shape)")
            target[a] = 1
        }
        let kept = sum(toShape: target)
        if keepingDimensions { return kept }
        let squeezed = shape.indices.filter { !axes.contains($0) }.map { shape[$0] }
        return kept.reshaped(squeezed)
    }

    /// The mean over `axes`; reduced axes are kept with size 1 when `keepingDimensions` is true.
    public func mean(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        let n = Set(axes).reduce(1) { $0 * shape[$1] }
        precondition(n > 0, "mean over empty axes of shape \(shape)")
        return sum(alongAxes: axes, keepingDimensions: keepingDimensions) * (1 / Float(n))
    }

    /// Sums this tensor down to `target`, a shape it broadcasts from (the gradient of broadcasting).
    public func sum(toShape target: [Int]) -> Tensor {
        if target == shape { return self }
        let outShape = broadcastShape(target, shape)
        precondition(outShape == shape, "sum(toShape:): \(target) does not broadcast to \(shape)")
        var acc = [Double](repeating: 0, count: Tensor.elementCount(of: target))
        let p = storage.pointer
        acc.withUnsafeMutableBufferPointer { a in
            let pa = a.baseAddress!
            // Iterate over self (the "output" of the broadcast) with the target's strides.
            forEachBroadcastRun(shape: shape, stridesA: broadcastStrides(target, to: shape),
                                stridesB: broadcastStrides(shape, to: shape)) { _, it, isrc, n, st, ss in
                if st == 0 {
                    var s = 0.0
                    for i in 0..<n { s += Double(p[isrc + i * ss]) }
                    pa[it] += s
                } else {
                    for i in 0..<n { pa[it + i * st] += Double(p[isrc + i * ss]) }
                }
            }
        }
        withExtendedLifetime(self) {}
        return Tensor(shape: target, values: acc.map { Float($0) })
    }

    /// This tensor repeated along size-1 (or missing leading) axes to `target`.
    public func broadcast(to target: [Int]) -> Tensor {
        if target == shape { return self }
        precondition(broadcastShape(shape, target) == target, "Shape \(shape) does not broadcast to \(target)")
        return Tensor.binary(self, Tensor.zeros(target), .add)
    }
}
