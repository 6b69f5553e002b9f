import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Atomic file and folder replacement: everything goes to a temporary name in the destination's
/// folder, is flushed to disk, then renamed (POSIX `rename`, atomic within one file system).
enum AtomicFile {
    /// Writes `data` to `url` through a flushed temporary file and `rename(2)`.
    static func write(_ data: Data, to url: URL) throws(TrainingError) {
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
                throw TrainingError.modelFile(path: url.path, reason: "cannot create a file in \(folder.path)")
            }
            let handle = try FileHandle(forWritingTo: temporary)
            defer { try? handle.close() }
            try handle.write(contentsOf: data)
            try handle.synchronize()
        } catch let e as TrainingError {
            try? FileManager.default.removeItem(at: temporary)
            throw e
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw .modelFile(path: url.path, reason: "writing failed: \(error.localizedDescription)")
        }
        try rename(temporary, to: url)
    }

    /// Renames `source` over `destination` (files, or a folder onto a name that does not exist).
    static func rename(_ source: URL, to destination: URL) throws(TrainingError) {
        if Foundation.rename(source.path, destination.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: source)
            throw .modelFile(path: destination.path, reason: "renaming \(source.lastPathComponent) failed: \(reason)")
        }
    }

    /// Creates a folder (and its parents) if it does not exist.
    static func makeFolder(_ url: URL) throws(TrainingError) {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw .modelFile(path: url.path, reason: "cannot create the folder: \(error.localizedDescription)")
        }
    }
}
