import RawIO
import RawSupport

/// Why training, loading a model or mapping an image failed.
///
/// Every case names the file or the step involved; ``description`` is one sentence a person can act on.
public enum TrainingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The configuration has unusable values (each problem listed).
    case invalidConfiguration([String])
    /// The dataset could not be used.
    case dataset(DatasetError)
    /// An image is smaller than the training patch.
    case imageTooSmall(path: String, height: Int, width: Int, patchSize: Int)
    /// A loss became NaN or infinite at `step`; training stopped, and the newest checkpoint
    /// (`lastCheckpoint`, if any) is left as it was.
    case nonFiniteLoss(step: Int, terms: [String: Float], lastCheckpoint: String?)
    /// A checkpoint could not be written or read.
    case checkpoint(path: String, reason: String)
    /// A checkpoint was made with another configuration, dataset or camera pair than the run resuming it.
    case incompatibleCheckpoint(path: String, reason: String)
    /// A model folder could not be written or read.
    case modelFile(path: String, reason: String)
    /// An image file could not be read or written.
    case imageFile(RawIOError)
    /// The least-squares base mapping could not be fitted.
    case baseMapping(reason: String)
    /// A camera name is not one of the model's two cameras.
    case unknownCamera(name: String, available: [String])

    /// A one-line message naming the file or step and what was wrong.
    public var description: String {
        switch self {
        case .invalidConfiguration(let p):
            return "invalid training configuration: " + p.joined(separator: "; ")
        case .dataset(let e):
            return e.description
        case .imageTooSmall(let p, let h, let w, let s):
            return "\(p): the image (\(w)x\(h) packed pixels) is smaller than the \(s)x\(s) training patch"
        case .nonFiniteLoss(let step, let terms, let last):
            let t = terms.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return "the loss is not finite at step \(step) (\(t)); training stopped"
                + (last.map { ", the last good checkpoint is \($0)" } ?? ", no checkpoint had been written")
        case .checkpoint(let p, let r):
            return "\(p): checkpoint error (\(r))"
        case .incompatibleCheckpoint(let p, let r):
            return "\(p): cannot resume from this checkpoint (\(r))"
        case .modelFile(let p, let r):
            return "\(p): model error (\(r))"
        case .imageFile(let e):
            return e.description
        case .baseMapping(let r):
            return "cannot fit the least-squares base mapping: \(r)"
        case .unknownCamera(let n, let a):
            return "the model does not know camera '\(n)' (it maps between: \(a.joined(separator: ", ")))"
        }
    }
}

extension TrainingError {
    /// The error of a failed atomic write or rename in a model folder: ``modelFile(path:reason:)``.
    package init(_ error: AtomicWriteError) {
        self = .modelFile(path: error.path, reason: error.reason)
    }
}
