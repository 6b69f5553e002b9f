import Foundation
import RawCore

/// A global colour mapping between two cameras' packed raw spaces: a list of terms of the source
/// pixel times a coefficient matrix.
///
/// For a packed source pixel `x = (r, gr, gb, b)` the mapped pixel is `φ(x) · C`, where `φ(x)` is
/// the row of ``terms`` evaluated at `x` and `C` is the `terms.count x outputCount` matrix
/// ``coefficients`` (row-major). Applying a mapping to an image clips the result to [0, 1].
///
/// ``Kind/linear3x3`` works on RGB with the two greens averaged: its inputs are
/// `(r, (gr + gb) / 2, b)` and its outputs `(R, G, B)`. Applied to a packed image it writes
/// `G` into both green channels, so the output's `Gr` and `Gb` are equal.
///
/// Fit a mapping with ``fit(_:sources:targets:weights:options:)`` (image pairs),
/// ``fit(_:source:target:weights:options:)`` (one pair) or
/// ``fit(_:sourcePatches:targetPatches:weights:options:)`` (colour-chart patch means), apply it
/// with ``apply(to:precision:)-(PackedImage,_)``, and save it as JSON with ``write(to:)``.
public struct ColorMapping: Sendable, Equatable {
    /// The family of a mapping: which terms it uses.
    public enum Kind: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
        /// A 3x3 matrix on RGB with the two greens averaged (3 terms, 3 outputs).
        case linear3x3
        /// A 4x4 matrix on the packed channels R, Gr, Gb, B (4 terms).
        case linear4x4
        /// A 4x4 matrix plus an offset (5 terms: `r, gr, gb, b, 1`).
        case affine
        /// The paper's 16-term polynomial `[r, gr, gb, b, r², gr², gb², b², r·gr, r·gb, r·b, gr·gb, gr·b, gb·b, r·gr·gb·b, 1]`.
        case paperPolynomial = "poly16"
        /// Every monomial of the packed channels up to degree 2, and a constant (15 terms).
        case polynomial2 = "poly2"
        /// Every monomial of the packed channels up to degree 3, and a constant (35 terms).
        case polynomial3 = "poly3"
        /// Root-polynomial of degree 2 (Finlayson, Mackiewicz & Hurlbert 2015) on the packed
        /// channels: `r, gr, gb, b` and the square roots of their six pairwise products (10 terms).
        case rootPolynomial2 = "rootpoly2"
        /// Root-polynomial of degree 3: the degree-2 terms and the cube roots of the 16 degree-3
        /// monomials that are not cubes (26 terms).
        case rootPolynomial3 = "rootpoly3"

        /// The terms, in coefficient-row order.
        public var terms: [MappingTerm] {
            switch self {
            case .linear3x3: return TermTables.linear3x3
            case .linear4x4: return TermTables.linear4x4
            case .affine: return TermTables.affine
            case .paperPolynomial: return TermTables.paper16
            case .polynomial2: return TermTables.polynomial2
            case .polynomial3: return TermTables.polynomial3
            case .rootPolynomial2: return TermTables.rootPolynomial2
            case .rootPolynomial3: return TermTables.rootPolynomial3
            }
        }

        /// The number of terms (rows of the coefficient matrix).
        public var termCount: Int { terms.count }

        /// Whether the mapping works on RGB with averaged greens (only ``linear3x3``).
        public var usesAveragedGreens: Bool { self == .linear3x3 }

        /// The number of input values the terms are written in: 3 for ``linear3x3``, else 4.
        public var inputCount: Int { usesAveragedGreens ? 3 : 4 }

        /// The number of outputs (columns of the coefficient matrix): 3 for ``linear3x3``, else 4.
        public var outputCount: Int { usesAveragedGreens ? 3 : 4 }

        /// Names of the inputs: `r, g, b` for ``linear3x3``, else `r, gr, gb, b`.
        public var inputChannelNames: [String] { usesAveragedGreens ? ["r", "g", "b"] : ["r", "gr", "gb", "b"] }

        /// Names of the outputs: `R, G, B` for ``linear3x3``, else `R, Gr, Gb, B`.
        public var outputChannelNames: [String] { usesAveragedGreens ? ["R", "G", "B"] : ["R", "Gr", "Gb", "B"] }

        /// Whether scaling the input by `k` scales the output by `k` (no constant, every term
        /// homogeneous of degree 1): the linear and root-polynomial kinds.
        public var isExposureInvariant: Bool {
            terms.allSatisfy { $0.root > 1 ? true : $0.degree == 1 }
        }

        /// The command-line name, e.g. `poly16` or `rootpoly2`.
        public var description: String { rawValue }
    }

    /// The family of the mapping.
    public let kind: Kind
    /// The `terms.count x outputCount` coefficient matrix, row-major: row `t` holds the
    /// contribution of term `t` to each output channel.
    public let coefficients: [Double]
    /// How the mapping was fitted; `nil` for a mapping built from given coefficients.
    public let statistics: FitStatistics?

    /// The terms, in coefficient-row order (the same as `kind.terms`).
    public var terms: [MappingTerm] { kind.terms }

    /// The shape of ``coefficients``: `[terms.count, outputCount]`.
    public var shape: [Int] { [kind.termCount, kind.outputCount] }

    /// Creates a mapping from its coefficient matrix (`kind.termCount x kind.outputCount`, row-major).
    /// - Throws: ``CalibrationError/invalidCoefficients(kind:reason:)`` if the count is wrong or a
    ///   coefficient is NaN or infinite.
    public init(kind: Kind, coefficients: [Double], statistics: FitStatistics? = nil) throws(CalibrationError) {
        let expected = kind.termCount * kind.outputCount
        guard coefficients.count == expected else {
            throw .invalidCoefficients(kind: kind, reason: "expected \(kind.termCount)x\(kind.outputCount) = \(expected) values, got \(coefficients.count)")
        }
        if let bad = coefficients.firstIndex(where: { !$0.isFinite }) {
            throw .invalidCoefficients(kind: kind, reason: "coefficient \(bad) (term \(kind.terms[bad / kind.outputCount].name), output \(kind.outputChannelNames[bad % kind.outputCount])) is \(coefficients[bad])")
        }
        self.kind = kind
        self.coefficients = coefficients
        self.statistics = statistics
    }

    /// Creates the paper's 16-term polynomial mapping from a `mapping_matrix` (16 x 4, row-major).
    ///
    /// Rows are the terms `[r, gr, gb, b, r², gr², gb², b², r·gr, r·gb, r·b, gr·gb, gr·b, gb·b,
    /// r·gr·gb·b, 1]`, columns the outputs R, Gr, Gb, B, exactly as `mapping_matrix` in the
    /// dataset's `<camera>/mapping/<name>.mat` files (read them with RawIO's MAT reader; MATLAB's
    /// logical shape 16 x 4, given here in row-major order).
    /// - Throws: ``CalibrationError/invalidCoefficients(kind:reason:)`` if `matrix` does not have
    ///   64 finite values.
    public init(paperMappingMatrix matrix: [Double]) throws(CalibrationError) {
        try self.init(kind: .paperPolynomial, coefficients: matrix)
    }

    /// The mapping that leaves every pixel unchanged (within [0, 1]).
    public static func identity(_ kind: Kind) -> ColorMapping {
        var c = [Double](repeating: 0, count: kind.termCount * kind.outputCount)
        for (t, term) in kind.terms.enumerated() where term.root == 1 && term.degree == 1 {
            let input = term.exponents.firstIndex(of: 1)!
            c[t * kind.outputCount + input] = 1
        }
        return try! ColorMapping(kind: kind, coefficients: c)
    }

    /// The coefficient of `term` for output channel `output`.
    public func coefficient(term: Int, output: Int) -> Double {
        precondition(term >= 0 && term < kind.termCount && output >= 0 && output < kind.outputCount,
                     "coefficient index (\(term), \(output)) outside \(kind.termCount)x\(kind.outputCount)")
        return coefficients[term * kind.outputCount + output]
    }

    /// The inputs of the terms for a packed pixel: the pixel itself, or `(r, (gr + gb) / 2, b)`
    /// for ``Kind/linear3x3``.
    static func inputs(of pixel: SIMD4<Double>, kind: Kind) -> [Double] {
        kind.usesAveragedGreens ? [pixel[0], (pixel[1] + pixel[2]) / 2, pixel[3]] : [pixel[0], pixel[1], pixel[2], pixel[3]]
    }

    /// The mapped value of one packed pixel (R, Gr, Gb, B), in Double and **not** clipped.
    ///
    /// This is the definition every faster path is tested against. For ``Kind/linear3x3`` the
    /// result's two greens are both the mapped `G`.
    public func evaluate(_ pixel: SIMD4<Double>) -> SIMD4<Double> {
        let x = Self.inputs(of: pixel, kind: kind)
        let q = kind.outputCount
        var out = [Double](repeating: 0, count: q)
        for (t, term) in kind.terms.enumerated() {
            let v = term.value(at: x)
            for j in 0..<q { out[j] += v * coefficients[t * q + j] }
        }
        return kind.usesAveragedGreens ? SIMD4(out[0], out[1], out[1], out[2]) : SIMD4(out[0], out[1], out[2], out[3])
    }
}

extension ColorMapping: CustomStringConvertible {
    /// A multi-line summary: the kind, the coefficient matrix with term names, and the fit statistics.
    public var description: String {
        var lines = ["ColorMapping \(kind.rawValue) (\(kind.termCount) terms x \(kind.outputCount) outputs)"]
        let q = kind.outputCount
        let nameWidth = kind.terms.map(\.name.count).max() ?? 1
        lines.append(String(repeating: " ", count: nameWidth) + kind.outputChannelNames.map { " " + $0.leftPadded(to: 12) }.joined())
        for (t, term) in kind.terms.enumerated() {
            let row = (0..<q).map { " " + formatCoefficient(coefficients[t * q + $0]).leftPadded(to: 12) }.joined()
            lines.append(term.name.rightPadded(to: nameWidth) + row)
        }
        if let s = statistics { lines.append(s.description) }
        return lines.joined(separator: "\n")
    }

    private func formatCoefficient(_ v: Double) -> String {
        let s = String(v)
        return s.count <= 12 ? s : String(format: "%.5e", v)
    }
}

extension String {
    func leftPadded(to n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
    func rightPadded(to n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
}
