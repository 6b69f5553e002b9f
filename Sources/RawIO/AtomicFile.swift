import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes whole files atomically: the bytes go to a temporary file in the destination's folder,
/// which is then renamed over the destination (POSIX `rename`, atomic within one file system).
/// A reader never sees a half-written file, and a failed write leaves the old file untouched.
enum AtomicFile {
    /// Writes `bytes` to `url` through a temporary file in the same folder and `rename(2)`.
    static func write(_ bytes: [UInt8], to url: URL) throws(RawIOError) {
        let path = url.path
        let folder = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .writeFailed(path: path, reason: "the folder \(folder.path) does not exist")
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw .writeFailed(path: path, reason: "it is a directory")
        }
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try bytes.withUnsafeBytes { raw in
                // A view of the bytes for the duration of the write, no copy.
                let data = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!),
                                count: raw.count, deallocator: .none)
                try data.write(to: temporary, options: .withoutOverwriting)
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw .writeFailed(path: path, reason: "writing the temporary file failed: \(error.localizedDescription)")
        }
        if rename(temporary.path, path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw .writeFailed(path: path, reason: "renaming the temporary file failed: \(reason)")
        }
    }
}
