import RawIO
import RawSupport
import RawTensor

/// Why a model folder could not be loaded or saved, or an image not mapped.
///
/// Thrown by ``Raw2RawNetwork/init(contentsOf:)``, ``Raw2RawNetwork/readDescription(_:)``, ``Raw2RawNetwork/save(to:training:)``,
/// ``Raw2RawNetwork/side(of:)``, ``Raw2RawNetwork/mapFile(_:direction:outputFolder:template:tiling:)``
/// and ``RawTemplate/init(contentsOf:)``; training wraps it in ``TrainingError/model(_:)``.
/// Every case names the file (or the camera) involved; ``description`` is one sentence a person can act on.
public enum ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A model folder or one of its files (`model.json`, a folder to create, a rename) could not
    /// be written or read, or `model.json` does not describe a usable model.
    case modelFile(path: String, reason: String)
    /// The weights file could not be read or written, or its tensors do not match the network
    /// (a weight missing, extra or of another shape).
    case weights(TensorIOError)
    /// A stored weight holds NaN or infinite values: the file was saved from a diverged network.
    case nonFiniteWeight(path: String, parameter: String)
    /// The file at `path` (of a model folder or checkpoint) is damaged or was changed after it
    /// was written: its SHA-256 is `found`, not the `expected` digest recorded in the folder's
    /// `checksums.sha256`. The file is not used.
    case checksumMismatch(path: String, expected: String, found: String)
    /// The checksum list `checksums.sha256` at `path` is unreadable, malformed or incomplete (it
    /// lacks a file's checksum, or lists a file the folder does not have), so the files it guards
    /// cannot be verified and are not used.
    case checksumList(path: String, reason: String)
    /// An image file could not be read or written.
    case imageFile(RawIOError)
    /// A file to map is neither a `.mat` nor a `.dng` file.
    case unsupportedImageFile(path: String)
    /// The mapped file would be written over its input.
    case outputOverwritesInput(path: String)
    /// A camera name is not one of the model's two cameras.
    case unknownCamera(name: String, available: [String])

    /// A one-line message naming the file or camera and what was wrong.
    public var description: String {
        switch self {
        case .modelFile(let p, let r):
            return "\(p): model error (\(r))"
        case .weights(let e):
            return "cannot load the model weights: \(e.description)"
        case .nonFiniteWeight(let p, let name):
            return "\(p): weight '\(name)' holds NaN or infinite values; the model diverged when it was trained and cannot map images"
        case .checksumMismatch(let p, let expected, let found):
            return "\(p) is damaged: its SHA-256 is \(found), but the \(ChecksumList.fileName) written with it records "
                + "\(expected); the file (or that list) was damaged or changed after it was saved, so it is not used "
                + "(restore it from a backup, or save or train the model again)"
        case .checksumList(let p, let r):
            return "\(p): the checksum list is damaged (\(r)), so the files of its folder cannot be verified and are not used"
        case .imageFile(let e):
            return e.description
        case .unsupportedImageFile(let p):
            return "\(p): not a .mat or .dng file; only those can be mapped"
        case .outputOverwritesInput(let p):
            return "\(p): the output would overwrite the input; choose another output folder"
        case .unknownCamera(let n, let a):
            return "the model does not know camera '\(n)' (it maps between: \(a.joined(separator: ", ")))"
        }
    }
}

extension ModelError {
    /// The error of a failed atomic write or rename in a model folder: ``modelFile(path:reason:)``.
    package init(_ error: AtomicWriteError) {
        self = .modelFile(path: error.path, reason: error.reason)
    }
}
