import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files the safe way: to a temporary name in the destination's folder, then `rename(2)`
/// over the destination, so readers never see a half-written file.
enum AtomicFile {
    /// Writes `data` to `url` atomically.
    /// - Throws: ``RawIOError/writeFailed(path:reason:)`` naming the destination.
    static func write(_ data: Data, to url: URL) throws(RawIOError) {
        let path = url.path
        guard url.isFileURL else { throw .writeFailed(path: url.absoluteString, reason: "not a file URL") }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw .writeFailed(path: path, reason: "it is a directory")
        }
        let folder = url.deletingLastPathComponent()
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .writeFailed(path: path, reason: "the folder \(folder.path) does not exist")
        }
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp").path
        do {
            try data.write(to: URL(fileURLWithPath: temporary))
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw .writeFailed(path: path, reason: "cannot write a temporary file in \(folder.path): \(error.localizedDescription)")
        }
        if rename(temporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw .writeFailed(path: path, reason: "cannot rename the temporary file into place (\(reason))")
        }
    }
}
