import Foundation
import RawSupport

/// Writes whole files atomically: to a temporary name in the destination's folder, then renamed
/// over the destination, so that a reader never sees a half-written file and a process killed
/// mid-write leaves the previous file whole.
///
/// Every file raw2raw writes (DNG, MAT, PNG, safetensors, mapping JSON, model folders, reports)
/// goes through the same writer; users' pipelines can use it too.
public enum AtomicFileWriter {
    /// Writes `data` to `url` through a temporary file in the same folder and `rename(2)`.
    /// - Throws: ``RawIOError/writeFailed(path:reason:)`` naming the destination (missing folder,
    ///   destination is a directory, no space, permission denied, ...).
    public static func write(_ data: Data, to url: URL) throws(RawIOError) {
        try AtomicFile.write(data, to: url, error: RawIOError.init)
    }
}

extension RawIOError {
    /// The error of a failed atomic write: ``writeFailed(path:reason:)``.
    package init(_ error: AtomicWriteError) {
        self = .writeFailed(path: error.path, reason: error.reason)
    }
}
