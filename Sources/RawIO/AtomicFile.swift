import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files the safe way: to a temporary name in the destination's folder, then `rename(2)`
/// over the destination (atomic within one file system), so readers never see a half-written
/// file and a failed write leaves the old file untouched.
enum AtomicFile {
    /// Writes `data` to `url` atomically.
    /// - Throws: ``RawIOError/writeFailed(path:reason:)`` naming the destination.
    static func write(_ data: Data, to url: URL) throws(RawIOError) {
        let temporary = try temporaryPath(for: url)
        do {
            try data.write(to: URL(fileURLWithPath: temporary), options: .withoutOverwriting)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw .writeFailed(path: url.path, reason: "cannot write a temporary file in \(url.deletingLastPathComponent().path): \(error.localizedDescription)")
        }
        try moveIntoPlace(temporary, url)
    }

    /// Writes `bytes` to `url` atomically, without copying them into a `Data` first.
    /// - Throws: ``RawIOError/writeFailed(path:reason:)`` naming the destination.
    static func write(_ bytes: [UInt8], to url: URL) throws(RawIOError) {
        let temporary = try temporaryPath(for: url)
        do {
            try bytes.withUnsafeBytes { raw in
                // A view of the bytes for the duration of the write, no copy.
                let data = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!),
                                count: raw.count, deallocator: .none)
                try data.write(to: URL(fileURLWithPath: temporary), options: .withoutOverwriting)
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw .writeFailed(path: url.path, reason: "cannot write a temporary file in \(url.deletingLastPathComponent().path): \(error.localizedDescription)")
        }
        try moveIntoPlace(temporary, url)
    }

    /// Checks the destination and returns a fresh temporary path next to it.
    private static func temporaryPath(for url: URL) throws(RawIOError) -> String {
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
        return folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp").path
    }

    /// `rename(2)` of the temporary file over the destination; removes the temporary on failure.
    private static func moveIntoPlace(_ temporary: String, _ url: URL) throws(RawIOError) {
        if rename(temporary, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw .writeFailed(path: url.path, reason: "cannot rename the temporary file into place (\(reason))")
        }
    }
}

/// Writes whole files atomically: to a temporary name in the destination's folder, then renamed
/// over the destination, so that a reader never sees a half-written file and a process killed
/// mid-write leaves the previous file whole.
///
/// Every file raw2raw writes (DNG, MAT, PNG, mapping JSON, model descriptions, reports) goes
/// through this; other modules and users' pipelines can use it too.
public enum AtomicFileWriter {
    /// Writes `data` to `url` through a temporary file in the same folder and `rename(2)`.
    /// - Throws: ``RawIOError/writeFailed(path:reason:)`` naming the destination (missing folder,
    ///   destination is a directory, no space, permission denied, ...).
    public static func write(_ data: Data, to url: URL) throws(RawIOError) {
        try AtomicFile.write(data, to: url)
    }
}
