import Foundation

/// One regressor of a colour mapping: a monomial of the input channels, possibly under a root.
///
/// A term with `exponents = [1, 1, 0, 0]` and `root = 1` is `r·gr`; with `root = 2` it is
/// `√(r·gr)`, a root-polynomial term. The constant term has all exponents zero.
///
/// The inputs are the four packed channels `r, gr, gb, b` (``ColorMapping/Kind/inputChannelNames``)
/// for every kind except ``ColorMapping/Kind/linear3x3``, whose inputs are `r, g, b` with
/// `g = (gr + gb) / 2`.
public struct MappingTerm: Sendable, Hashable, CustomStringConvertible {
    /// The power of each input channel in the monomial, in input-channel order.
    public let exponents: [Int]
    /// `1` for a plain monomial; `d` for the `d`-th root of a degree-`d` monomial.
    public let root: Int

    /// Creates a term. Exponents must be non-negative; `root` is 1, 2 or 3 and, when above 1,
    /// must equal the degree of the monomial (so that every root term is homogeneous of degree 1).
    public init(exponents: [Int], root: Int = 1) {
        precondition(exponents.count == 3 || exponents.count == 4,
                     "a mapping term has 3 (RGB) or 4 (packed) exponents, got \(exponents.count)")
        precondition(exponents.allSatisfy { $0 >= 0 }, "term exponents must be non-negative, got \(exponents)")
        precondition((1...3).contains(root), "term root must be 1, 2 or 3, got \(root)")
        precondition(root == 1 || exponents.reduce(0, +) == root,
                     "a root-\(root) term needs a monomial of degree \(root), got exponents \(exponents)")
        self.exponents = exponents
        self.root = root
    }

    /// The total degree of the monomial under the root.
    public var degree: Int { exponents.reduce(0, +) }

    /// Whether this is the constant term `1`.
    public var isConstant: Bool { exponents.allSatisfy { $0 == 0 } }

    /// The names of the input variables this term is written in.
    var variableNames: [String] { exponents.count == 4 ? ["r", "gr", "gb", "b"] : ["r", "g", "b"] }

    /// A readable, unambiguous name such as `r`, `r^2`, `r*gr`, `sqrt(r*gr)`, `cbrt(r^2*gb)` or `1`.
    ///
    /// Names are what a ``ColorMapping`` JSON file lists under `terms`.
    public var name: String {
        if isConstant { return "1" }
        let names = variableNames
        var factors: [String] = []
        for (i, e) in exponents.enumerated() where e > 0 {
            factors.append(e == 1 ? names[i] : "\(names[i])^\(e)")
        }
        let monomial = factors.joined(separator: "*")
        switch root {
        case 2: return "sqrt(\(monomial))"
        case 3: return "cbrt(\(monomial))"
        default: return monomial
        }
    }

    /// The same as ``name``.
    public var description: String { name }

    /// The value of the term at `inputs` (one value per input channel), in Double.
    ///
    /// Roots are sign-preserving (`sqrt(m)` is `-sqrt(-m)` for a negative monomial `m`), so a
    /// term is defined for any finite input; for the non-negative values of raw images this is
    /// the ordinary root.
    public func value(at inputs: [Double]) -> Double {
        precondition(inputs.count == exponents.count, "term \(name) needs \(exponents.count) inputs, got \(inputs.count)")
        var m = 1.0
        for (x, e) in zip(inputs, exponents) {
            for _ in 0..<e { m *= x }
        }
        return Self.signedRoot(m, root)
    }

    /// `m` itself, its sign-preserving square root or its cube root.
    @inline(__always)
    static func signedRoot(_ m: Double, _ root: Int) -> Double {
        switch root {
        case 2: return m >= 0 ? m.squareRoot() : -(-m).squareRoot()
        case 3: return Foundation.cbrt(m)
        default: return m
        }
    }
}

/// Term lists of every ``ColorMapping/Kind``, built once.
enum TermTables {
    /// All exponent vectors of total degree `degree` in `variables` variables, in descending
    /// lexicographic order (`r^2, r*gr, r*gb, r*b, gr^2, ...`).
    static func monomials(variables: Int, degree: Int) -> [[Int]] {
        if variables == 1 { return [[degree]] }
        var out: [[Int]] = []
        for first in stride(from: degree, through: 0, by: -1) {
            for rest in monomials(variables: variables - 1, degree: degree - first) {
                out.append([first] + rest)
            }
        }
        return out
    }

    static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

    static func unit(_ i: Int, of n: Int) -> [Int] { (0..<n).map { $0 == i ? 1 : 0 } }

    /// The generic polynomial of total degree `degree` on the 4 packed channels: the linear
    /// terms, then each higher degree, then the constant.
    static func polynomial(degree: Int) -> [MappingTerm] {
        var terms: [MappingTerm] = []
        for d in 1...degree {
            terms += monomials(variables: 4, degree: d).map { MappingTerm(exponents: $0) }
        }
        terms.append(MappingTerm(exponents: [0, 0, 0, 0]))
        return terms
    }

    /// The root-polynomial of degree `degree` (Finlayson, Mackiewicz & Hurlbert 2015) on the 4
    /// packed channels: for each degree `d` up to `degree`, the `d`-th root of every degree-`d`
    /// monomial that does not reduce to a lower-degree term (the exponents and `d` have no
    /// common divisor). Every term is homogeneous of degree 1; there is no constant.
    static func rootPolynomial(degree: Int) -> [MappingTerm] {
        var terms: [MappingTerm] = []
        for d in 1...degree {
            for e in monomials(variables: 4, degree: d) where e.reduce(d, gcd) == 1 {
                terms.append(MappingTerm(exponents: e, root: d == 1 ? 1 : d))
            }
        }
        return terms
    }

    /// The paper's 16-term kernel `[r, gr, gb, b, r², gr², gb², b², r·gr, r·gb, r·b, gr·gb, gr·b, gb·b, r·gr·gb·b, 1]`.
    static let paper16: [MappingTerm] = [
        [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1],
        [2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0], [0, 0, 0, 2],
        [1, 1, 0, 0], [1, 0, 1, 0], [1, 0, 0, 1], [0, 1, 1, 0], [0, 1, 0, 1], [0, 0, 1, 1],
        [1, 1, 1, 1], [0, 0, 0, 0],
    ].map { MappingTerm(exponents: $0) }

    static let linear3x3: [MappingTerm] = (0..<3).map { MappingTerm(exponents: unit($0, of: 3)) }
    static let linear4x4: [MappingTerm] = (0..<4).map { MappingTerm(exponents: unit($0, of: 4)) }
    static let affine: [MappingTerm] = linear4x4 + [MappingTerm(exponents: [0, 0, 0, 0])]
    static let polynomial2 = polynomial(degree: 2)
    static let polynomial3 = polynomial(degree: 3)
    static let rootPolynomial2 = rootPolynomial(degree: 2)
    static let rootPolynomial3 = rootPolynomial(degree: 3)
}
