import Foundation
import RawIO
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Atomic file and folder replacement: everything goes to a temporary name in the destination's
/// folder, then is renamed (POSIX `rename`, atomic within one file system).
enum AtomicFile {
    /// Writes `data` to `url` through RawIO's ``AtomicFileWriter`` (temporary file + `rename(2)`).
    static func write(_ data: Data, to url: URL) throws(ModelError) {
        do {
            try AtomicFileWriter.write(data, to: url)
        } catch {
            throw .modelFile(path: url.path, reason: error.description)
        }
    }

    /// Renames `source` over `destination` (files, or a folder onto a name that does not exist).
    static func rename(_ source: URL, to destination: URL) throws(ModelError) {
        if Foundation.rename(source.path, destination.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: source)
            throw .modelFile(path: destination.path, reason: "renaming \(source.lastPathComponent) failed: \(reason)")
        }
    }

    /// Creates a folder (and its parents) if it does not exist.
    static func makeFolder(_ url: URL) throws(ModelError) {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw .modelFile(path: url.path, reason: "cannot create the folder: \(error.localizedDescription)")
        }
    }
}
