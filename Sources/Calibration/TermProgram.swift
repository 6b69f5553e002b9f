import Foundation

/// A compiled evaluation order for the terms of a mapping kind: each monomial is a product of a
/// lower-degree monomial and one input, each root term a root of a monomial.
///
/// Values live in numbered *slots*: `0..<inputCount` are the inputs, then one slot per
/// non-constant term (in term order, so that they form a contiguous matrix for BLAS), then the
/// helper monomials that only root terms need (`r·gr` under `sqrt(r·gr)`). The constant term
/// has no slot: it becomes an offset added to the output.
struct TermProgram: Sendable {
    enum Operation: Sendable {
        case copy(destination: Int, source: Int)
        case multiply(destination: Int, left: Int, right: Int)
        case squareRoot(destination: Int, source: Int)
        case cubeRoot(destination: Int, source: Int)
    }

    let inputCount: Int
    /// Number of non-constant terms (their slots are `inputCount ..< inputCount + nonConstantCount`).
    let nonConstantCount: Int
    /// Total slots, inputs and helpers included.
    let slotCount: Int
    let operations: [Operation]
    /// For each term of the kind, its slot, or `nil` for the constant term.
    let termSlots: [Int?]
    /// The index of the constant term in the kind's term list, if it has one.
    let constantTerm: Int?

    init(kind: ColorMapping.Kind) {
        let terms = kind.terms
        let n = kind.inputCount
        inputCount = n
        var slots: [Int?] = []
        var next = n
        for term in terms {
            if term.isConstant { slots.append(nil) } else { slots.append(next); next += 1 }
        }
        termSlots = slots
        nonConstantCount = next - n
        constantTerm = terms.firstIndex(where: \.isConstant)

        // Plain monomial terms already own a slot; helpers get new slots after them.
        var monomialSlot: [[Int]: Int] = [:]
        for (t, term) in terms.enumerated() where term.root == 1 && !term.isConstant {
            monomialSlot[term.exponents] = slots[t]!
        }
        var computed = Set<Int>((0..<n))
        var ops: [Operation] = []
        var helperNext = next

        func unitSlot(_ e: [Int]) -> Int? {
            e.reduce(0, +) == 1 ? e.firstIndex(of: 1)! : nil
        }
        /// The slot holding monomial `e` once `ops` has run, emitting what is missing.
        func materialize(_ e: [Int]) -> Int {
            if let input = unitSlot(e) {
                // A degree-1 monomial is an input; if it is also a term, copy it into the term's slot.
                if let s = monomialSlot[e], !computed.contains(s) {
                    ops.append(.copy(destination: s, source: input))
                    computed.insert(s)
                }
                return input
            }
            let slot: Int
            if let s = monomialSlot[e] { slot = s } else {
                slot = helperNext; helperNext += 1
                monomialSlot[e] = slot
            }
            if computed.contains(slot) { return slot }
            let c = e.lastIndex(where: { $0 > 0 })!
            var parent = e; parent[c] -= 1
            let p = materialize(parent)
            ops.append(.multiply(destination: slot, left: p, right: c))
            computed.insert(slot)
            return slot
        }

        for (t, term) in terms.enumerated() where !term.isConstant {
            let s = slots[t]!
            if term.root == 1 {
                let m = materialize(term.exponents)
                if m != s && !computed.contains(s) {
                    ops.append(.copy(destination: s, source: m)); computed.insert(s)
                }
            } else {
                let m = materialize(term.exponents)
                ops.append(term.root == 2 ? .squareRoot(destination: s, source: m) : .cubeRoot(destination: s, source: m))
                computed.insert(s)
            }
        }
        operations = ops
        slotCount = helperNext
    }

    /// Runs the program on `count` samples stored planar: slot `k` of sample `i` is at
    /// `buffer[k * stride + i]`; the input rows are filled on entry.
    func runPlanar<T: PlanarScalar>(_ buffer: UnsafeMutablePointer<T>, stride: Int, count: Int) {
        for op in operations {
            switch op {
            case .copy(let d, let s):
                (buffer + d * stride).update(from: buffer + s * stride, count: count)
            case .multiply(let d, let a, let b):
                let dst = buffer + d * stride, x = buffer + a * stride, y = buffer + b * stride
                for i in 0..<count { dst[i] = x[i] * y[i] }
            case .squareRoot(let d, let s):
                let dst = buffer + d * stride, x = buffer + s * stride
                for i in 0..<count {
                    let v = x[i], r = v.magnitude.squareRoot()
                    dst[i] = v < 0 ? -r : r
                }
            case .cubeRoot(let d, let s):
                T.cubeRoots(buffer + s * stride, into: buffer + d * stride, count: count)
            }
        }
    }

}

/// The scalar types the planar term evaluation runs in.
protocol PlanarScalar: BinaryFloatingPoint {
    /// Writes the real cube root of `count` values.
    static func cubeRoots(_ x: UnsafePointer<Self>, into y: UnsafeMutablePointer<Self>, count: Int)
}

extension Double: PlanarScalar {
    /// Cube roots by a bit-level first guess and four Newton steps, vectorizable (libm's `cbrt`
    /// is not). Within 3 ulp of `cbrt` for normal numbers (tested); magnitudes below 1e-300 give 0.
    static func cubeRoots(_ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>, count: Int) {
        for i in 0..<count {
            let v = x[i]
            let a = max(v.magnitude, 1e-300)
            var r = Double(bitPattern: a.bitPattern / 3 &+ 0x2A9F_7893_782D_A1CE)
            r = (2 * r + a / (r * r)) * (1.0 / 3)
            r = (2 * r + a / (r * r)) * (1.0 / 3)
            r = (2 * r + a / (r * r)) * (1.0 / 3)
            // A last correction in the exact residual form keeps the result within an ulp or two.
            r -= (r * r * r - a) / (3 * r * r)
            let signed = v < 0 ? -r : r
            y[i] = v.magnitude < 1e-300 ? 0 : signed
        }
    }
}

extension Float: PlanarScalar {
    /// Cube roots by a bit-level first guess and three Newton steps, written so that the loop
    /// vectorizes (libm's `cbrtf` does not). Relative error below 2e-7 for normal numbers
    /// (tested against `cbrt` in Double); zero, subnormal inputs below 1e-30 and their negatives
    /// give 0 or ±the correctly rounded root of the clamped value.
    static func cubeRoots(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let v = x[i]
            let a = max(v.magnitude, 1e-30)
            // Initial guess: divide the exponent by three (Kahan's constant for cube roots).
            var r = Float(bitPattern: a.bitPattern / 3 &+ 709_921_077)
            // Newton: r <- r - (r^3 - a) / (3 r^2), written as (2r + a / r^2) / 3.
            r = (2 * r + a / (r * r)) * (1 as Float / 3)
            r = (2 * r + a / (r * r)) * (1 as Float / 3)
            r = (2 * r + a / (r * r)) * (1 as Float / 3)
            let signed = v < 0 ? -r : r
            y[i] = v.magnitude < 1e-30 ? 0 : signed
        }
    }
}
