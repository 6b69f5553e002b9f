/// Why a raw, DNG, MAT or PNG file could not be read or written.
///
/// Every case names the file, and ``description`` is a sentence a person can act on.
public enum RawIOError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No file exists at the path.
    case fileNotFound(path: String)
    /// The file exists but could not be opened or read.
    case unreadable(path: String, reason: String)
    /// The file is not a raw image this library can decode (wrong format, not raw data).
    case notARawFile(path: String, reason: String)
    /// The file ends before the data it declares, or its structure is damaged.
    case corrupt(path: String, reason: String)
    /// The file is a valid raw file of a kind this library does not support (X-Trans, Foveon, LinearRaw, ...).
    case unsupportedLayout(path: String, reason: String)
    /// The file format version or a feature of it is not supported (e.g. MAT v7.3/HDF5).
    case unsupportedFormat(path: String, reason: String)
    /// LibRaw returned an error code (with LibRaw's own message).
    case libraw(path: String, code: Int32, message: String)
    /// An expected variable or element is missing (e.g. no `raw_rggb` in a MAT file).
    case missingVariable(path: String, name: String, available: [String])
    /// Writing failed.
    case writeFailed(path: String, reason: String)

    /// The file the error is about.
    public var path: String {
        switch self {
        case .fileNotFound(let p), .unreadable(let p, _), .notARawFile(let p, _), .corrupt(let p, _),
             .unsupportedLayout(let p, _), .unsupportedFormat(let p, _), .libraw(let p, _, _),
             .missingVariable(let p, _, _), .writeFailed(let p, _):
            return p
        }
    }

    /// A one-line message naming the file and what was wrong.
    public var description: String {
        switch self {
        case .fileNotFound(let p): return "\(p): no such file"
        case .unreadable(let p, let r): return "\(p): cannot read the file (\(r))"
        case .notARawFile(let p, let r): return "\(p): not a raw image file (\(r))"
        case .corrupt(let p, let r): return "\(p): truncated or corrupt file (\(r))"
        case .unsupportedLayout(let p, let r): return "\(p): unsupported sensor layout (\(r))"
        case .unsupportedFormat(let p, let r): return "\(p): unsupported format (\(r))"
        case .libraw(let p, let c, let m): return "\(p): LibRaw error \(c): \(m)"
        case .missingVariable(let p, let n, let a):
            return "\(p): no variable '\(n)' in the file (it holds: \(a.isEmpty ? "nothing" : a.joined(separator: ", ")))"
        case .writeFailed(let p, let r): return "\(p): cannot write the file (\(r))"
        }
    }
}
