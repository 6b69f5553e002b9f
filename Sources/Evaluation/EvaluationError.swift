import Raw2RawModel
import Calibration
import RawIO

/// Why an evaluation could not be run or its report not written.
///
/// ``description`` is one sentence naming the method, pair or file involved.
public enum EvaluationError: Error, Sendable, CustomStringConvertible {
    /// The dataset could not be used (missing folders, unpaired names, unreadable images).
    case dataset(DatasetError)
    /// A baseline could not be fitted on the anchor pairs.
    case calibration(method: String, error: CalibrationError)
    /// A model could not be loaded or does not fit the evaluation's cameras.
    case model(ModelError)
    /// A method threw while mapping a test image.
    case methodFailed(method: String, direction: MappingDirection, pair: String, reason: String)
    /// A method returned an image of another size than its source.
    case wrongOutputSize(method: String, direction: MappingDirection, pair: String, expected: [Int], got: [Int])
    /// A report file or folder could not be written.
    case writeFailed(path: String, reason: String)
    /// The task was cancelled after `completedPairs` test pairs; no report was made.
    case cancelled(completedPairs: Int)

    /// A one-line message naming what failed.
    public var description: String {
        switch self {
        case .dataset(let e): return e.description
        case .calibration(let m, let e): return "cannot fit the baseline \(m) on the anchor pairs: \(e.description)"
        case .model(let e): return e.description
        case .methodFailed(let m, let d, let p, let r): return "method \(m) failed on test pair '\(p)' (\(d)): \(r)"
        case .wrongOutputSize(let m, let d, let p, let e, let g):
            return "method \(m) returned a \(g[0])x\(g[1]) image for test pair '\(p)' (\(d)); expected \(e[0])x\(e[1])"
        case .writeFailed(let p, let r): return "\(p): cannot write the report (\(r))"
        case .cancelled(let n): return "the evaluation was cancelled after \(n) test pair\(n == 1 ? "" : "s"); no report was written"
        }
    }
}
