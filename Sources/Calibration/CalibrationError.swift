/// Why a colour mapping could not be fitted, built, loaded or saved.
///
/// ``description`` is a sentence a person can act on.
public enum CalibrationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Fewer usable samples than the mapping has terms (after masking, zero weights and the sample budget).
    case tooFewSamples(kind: ColorMapping.Kind, available: Int, required: Int)
    /// The least-squares system does not determine every coefficient: its numerical rank (from
    /// LAPACK `dgelsd`, singular values below `rankTolerance` times the largest count as zero) is
    /// below the number of terms. `info` is LAPACK's return code (0: the solve itself succeeded).
    case rankDeficient(kind: ColorMapping.Kind, rank: Int, terms: Int, info: Int)
    /// A sample, pixel, patch or coefficient is NaN or infinite.
    case nonFiniteInput(what: String)
    /// A per-sample weight is negative, NaN or infinite.
    case invalidWeight(what: String, value: Double)
    /// A source image and its target image do not have the same size.
    case shapeMismatch(pair: Int, source: [Int], target: [Int])
    /// A fit option is out of range (negative ridge, a zero sample budget, ...).
    case invalidOption(String)
    /// Coefficients given to build a mapping have the wrong count or are not finite.
    case invalidCoefficients(kind: ColorMapping.Kind, reason: String)
    /// A LAPACK or BLAS routine reported failure: an illegal argument (`info < 0`), a failed
    /// convergence (`info > 0`), or LAPACKE's out-of-memory codes (-1010, -1011).
    case lapack(routine: String, info: Int)
    /// A mapping file could not be read or does not describe a valid mapping.
    case invalidMappingFile(path: String, reason: String)
    /// A mapping file could not be written.
    case writeFailed(path: String, reason: String)

    /// A one-line message saying what was wrong.
    public var description: String {
        switch self {
        case .tooFewSamples(let kind, let available, let required):
            return "\(kind.rawValue) needs at least \(required) usable samples (one per term), got \(available) after masking and subsampling"
        case .rankDeficient(let kind, let rank, let terms, let info):
            return "\(kind.rawValue): the least-squares system is rank-deficient (rank \(rank) of \(terms) terms, LAPACK info \(info)); "
                + "the samples do not vary enough (e.g. identical greens): use more varied samples, ridge regularisation or a smaller mapping"
        case .nonFiniteInput(let what):
            return "\(what) is NaN or infinite"
        case .invalidWeight(let what, let value):
            return "\(what) has weight \(value): weights must be finite and non-negative"
        case .shapeMismatch(let pair, let s, let t):
            return "pair \(pair): the source is \(s.map(String.init).joined(separator: "x")) but the target is \(t.map(String.init).joined(separator: "x"))"
        case .invalidOption(let reason):
            return "invalid fit option: \(reason)"
        case .invalidCoefficients(let kind, let reason):
            return "invalid \(kind.rawValue) coefficients: \(reason)"
        case .lapack(let routine, let info):
            return "\(routine) failed: " + Self.explain(routine: routine, info: info)
        case .invalidMappingFile(let path, let reason):
            return "\(path): not a valid colour mapping file (\(reason))"
        case .writeFailed(let path, let reason):
            return "\(path): cannot write the mapping (\(reason))"
        }
    }

    static func explain(routine: String, info: Int) -> String {
        switch info {
        case -1010: return "LAPACKE could not allocate memory for a transposed copy (info -1010)"
        case -1011: return "LAPACKE could not allocate its workspace (info -1011)"
        case ..<0: return "argument \(-info) had an illegal value (info \(info))"
        default:
            if routine.hasSuffix("gelsd") {
                return "the SVD did not converge: \(info) off-diagonal elements of an intermediate bidiagonal form did not converge to zero (info \(info))"
            }
            return "info \(info)"
        }
    }
}
