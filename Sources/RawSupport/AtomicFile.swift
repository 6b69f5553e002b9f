import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an atomic write failed: the destination and a sentence a person can act on.
///
/// Each module turns it into its own typed error (`RawIOError.writeFailed`, ...).
package struct AtomicWriteError: Error, Sendable, Equatable {
    /// The destination path.
    package let path: String
    /// What went wrong.
    package let reason: String
}

/// Writes files the safe way, for every module: to a temporary name in the destination's folder,
/// then `rename(2)` over the destination (atomic within one file system), so readers never see a
/// half-written file and a failed or killed write leaves the old file whole.
package enum AtomicFile {
    /// Writes `data` to `url` atomically.
    package static func write(_ data: Data, to url: URL) throws(AtomicWriteError) {
        try write(to: url) { temporary in try data.write(to: temporary, options: .withoutOverwriting) }
    }

    /// Writes `bytes` to `url` atomically, without copying them into a `Data` first.
    package static func write(_ bytes: [UInt8], to url: URL) throws(AtomicWriteError) {
        try write(to: url) { temporary in
            try bytes.withUnsafeBytes { raw in
                // A view of the bytes for the duration of the write, no copy.
                let data = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!),
                                count: raw.count, deallocator: .none)
                try data.write(to: temporary, options: .withoutOverwriting)
            }
        }
    }

    /// Calls `produce` with a fresh temporary file URL next to `url` (not yet existing), then
    /// renames what it wrote over `url`; on any failure the temporary file is removed.
    package static func write(to url: URL, _ produce: (URL) throws -> Void) throws(AtomicWriteError) {
        let temporary = try temporaryURL(for: url)
        do {
            try produce(temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw AtomicWriteError(path: url.path, reason: "cannot write a temporary file in \(url.deletingLastPathComponent().path): \(error.localizedDescription)")
        }
        try rename(temporary, to: url)
    }

    /// Checks the destination (a file URL, not a directory, in an existing folder) and returns a
    /// fresh temporary URL next to it.
    package static func temporaryURL(for url: URL) throws(AtomicWriteError) -> URL {
        let path = url.path
        guard url.isFileURL else { throw AtomicWriteError(path: url.absoluteString, reason: "not a file URL") }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw AtomicWriteError(path: path, reason: "it is a directory")
        }
        let folder = url.deletingLastPathComponent()
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw AtomicWriteError(path: path, reason: "the folder \(folder.path) does not exist")
        }
        return folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
    }

    /// The destination file name a temporary file of ``temporaryURL(for:)`` (`.NAME.<UUID>.tmp`)
    /// was written for, or `nil` when `fileName` is not such a temporary: for removing the
    /// leftovers of writes that were killed.
    package static func destinationName(ofTemporary fileName: String) -> String? {
        guard fileName.hasPrefix("."), fileName.hasSuffix(".tmp") else { return nil }
        let inner = fileName.dropFirst().dropLast(4)              // NAME.<UUID>
        guard let dot = inner.lastIndex(of: "."), dot > inner.startIndex else { return nil }
        return String(inner[..<dot])
    }

    /// `rename(2)` of `source` over `destination` (a file, or a folder onto a name that does not
    /// exist); removes `source` on failure.
    package static func rename(_ source: URL, to destination: URL) throws(AtomicWriteError) {
        if Foundation.rename(source.path, destination.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: source)
            throw AtomicWriteError(path: destination.path, reason: "cannot rename \(source.lastPathComponent) into place (\(reason))")
        }
    }

    /// ``write(_:to:)-(Data,_)`` with the failure turned into the caller's error type by `error`.
    package static func write<E: Error>(_ data: Data, to url: URL, error: (AtomicWriteError) -> E) throws(E) {
        do { try write(data, to: url) } catch let e { throw error(e) }
    }

    /// ``write(_:to:)-([UInt8],_)`` with the failure turned into the caller's error type by `error`.
    package static func write<E: Error>(_ bytes: [UInt8], to url: URL, error: (AtomicWriteError) -> E) throws(E) {
        do { try write(bytes, to: url) } catch let e { throw error(e) }
    }

    /// ``rename(_:to:)`` with the failure turned into the caller's error type by `error`.
    package static func rename<E: Error>(_ source: URL, to destination: URL, error: (AtomicWriteError) -> E) throws(E) {
        do { try rename(source, to: destination) } catch let e { throw error(e) }
    }

    /// ``makeFolder(_:)`` with the failure turned into the caller's error type by `error`.
    package static func makeFolder<E: Error>(_ url: URL, error: (AtomicWriteError) -> E) throws(E) {
        do { try makeFolder(url) } catch let e { throw error(e) }
    }

    /// Creates a folder (and its parents) if it does not exist.
    package static func makeFolder(_ url: URL) throws(AtomicWriteError) {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw AtomicWriteError(path: url.path, reason: "cannot create the folder: \(error.localizedDescription)")
        }
    }
}
