import Calibration
import RawIO
import RawSupport

/// Why training failed.
///
/// Loading, saving and mapping with a trained model throw ``ModelError``; training wraps it in
/// ``model(_:)`` where it writes or reads model files. Every case names the file or the step
/// involved; ``description`` is one sentence a person can act on.
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
    /// The loss of `step` was finite (`terms`) but the gradient of `parameter` holds NaN or
    /// infinite values; training stopped before updating any weight.
    case nonFiniteGradient(step: Int, parameter: String, terms: [String: Float], lastCheckpoint: String?)
    /// The weight `parameter` holds NaN or infinite values after `step` steps; no checkpoint or
    /// model is written from it, and the newest checkpoint (`lastCheckpoint`, if any) is kept.
    case nonFiniteWeight(step: Int, parameter: String, lastCheckpoint: String?)
    /// A checkpoint could not be written or read.
    case checkpoint(path: String, reason: String)
    /// Resuming found checkpoints in `folder` but none intact: `problems` holds, newest first,
    /// why each was refused (typically ``ModelError/checksumMismatch(path:expected:found:)``
    /// naming the damaged file). Nothing is started over them; delete them to start a new run.
    case noIntactCheckpoint(folder: String, problems: [TrainingError])
    /// A checkpoint was made with another configuration, dataset or camera pair than the run resuming it.
    case incompatibleCheckpoint(path: String, reason: String)
    /// A model folder or file could not be written or read (the final model, or a checkpoint's files).
    case model(ModelError)
    /// The task running ``Trainer/run(progress:)`` was cancelled after `step` steps; nothing
    /// after the newest checkpoint (`lastCheckpoint`, if any) was written, and a trainer created
    /// with `resume: true` continues from it.
    case cancelled(step: Int, lastCheckpoint: String?)
    /// The anchor scenes do not connect every camera of a multi-camera run: `groups` are the
    /// cameras that are connected among themselves.
    case disconnectedCameras(groups: [[String]])
    /// The least-squares base mapping of `direction` (a `kind` mapping) could not be fitted on the anchor pairs.
    case baseMapping(direction: MappingDirection, kind: ColorMapping.Kind, error: CalibrationError)

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
            return "the loss is not finite at step \(step) (\(Self.list(terms))); training stopped" + Self.checkpointNote(last)
        case .nonFiniteGradient(let step, let name, let terms, let last):
            return "the gradient of \(name) is not finite at step \(step) although the loss is (\(Self.list(terms))); "
                + "training stopped before the update" + Self.checkpointNote(last)
        case .nonFiniteWeight(let step, let name, let last):
            return "the weight \(name) is not finite after step \(step); nothing was saved from it" + Self.checkpointNote(last)
        case .checkpoint(let p, let r):
            return "\(p): checkpoint error (\(r))"
        case .noIntactCheckpoint(let folder, let problems):
            return "\(folder): no intact checkpoint to resume from: " + problems.map(\.description).joined(separator: "; ")
                + "; remove the damaged checkpoints to start a new run"
        case .incompatibleCheckpoint(let p, let r):
            return "\(p): cannot resume from this checkpoint (\(r))"
        case .model(let e):
            return e.description
        case .cancelled(let step, let last):
            return "training was cancelled after step \(step)" + Self.checkpointNote(last)
                + (last == nil ? "" : " (resume continues from it)")
        case .disconnectedCameras(let groups):
            return "the anchor scenes do not connect every camera: " + groups.map { $0.joined(separator: ", ") }.map { "{\($0)}" }
                .joined(separator: " and ") + " share no anchor scene; add anchor scenes seen by a camera of each group"
        case .baseMapping(let d, let kind, let e):
            return "cannot fit the \(d) least-squares base mapping (\(kind.rawValue)) on the anchor pairs: \(e.description)"
        }
    }

    private static func list(_ terms: [String: Float]) -> String {
        terms.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }

    private static func checkpointNote(_ last: String?) -> String {
        last.map { ", the last good checkpoint is \($0)" } ?? ", no checkpoint had been written"
    }
}

extension TrainingError {
    /// The error of a failed atomic write or rename in a model or checkpoint folder.
    package init(_ error: AtomicWriteError) {
        self = .model(ModelError(error))
    }
}
