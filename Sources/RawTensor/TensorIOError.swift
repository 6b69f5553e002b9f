/// Why a tensor file could not be read or written, or its tensors not loaded.
///
/// Every case names the file (`path`), and ``description`` says what was wrong.
public enum TensorIOError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No file exists at the path.
    case fileNotFound(path: String)
    /// The file exists but could not be read.
    case unreadable(path: String, reason: String)
    /// The file is truncated or its header is malformed or inconsistent.
    case corrupt(path: String, reason: String)
    /// A tensor is stored with a data type RawTensor cannot convert to Float.
    case unsupportedDataType(path: String, name: String, dataType: String)
    /// A tensor the caller needs is not in the file.
    case missingTensor(path: String, name: String)
    /// The file holds a tensor the caller does not know (strict loading).
    case unexpectedTensor(path: String, name: String)
    /// A tensor has a different shape than the caller expects.
    case shapeMismatch(path: String, name: String, expected: [Int], found: [Int])
    /// Writing the file failed.
    case writeFailed(path: String, reason: String)

    /// The file the error is about.
    public var path: String {
        switch self {
        case .fileNotFound(let p), .unreadable(let p, _), .corrupt(let p, _), .unsupportedDataType(let p, _, _),
             .missingTensor(let p, _), .unexpectedTensor(let p, _), .shapeMismatch(let p, _, _, _), .writeFailed(let p, _):
            return p
        }
    }

    /// A one-line message naming the file and what was wrong.
    public var description: String {
        switch self {
        case .fileNotFound(let p): return "\(p): no such file"
        case .unreadable(let p, let r): return "\(p): cannot read the file (\(r))"
        case .corrupt(let p, let r): return "\(p): truncated or corrupt safetensors file (\(r))"
        case .unsupportedDataType(let p, let n, let d): return "\(p): tensor '\(n)' has unsupported data type \(d)"
        case .missingTensor(let p, let n): return "\(p): no tensor named '\(n)'"
        case .unexpectedTensor(let p, let n): return "\(p): unexpected tensor '\(n)'"
        case .shapeMismatch(let p, let n, let e, let f): return "\(p): tensor '\(n)' has shape \(f), expected \(e)"
        case .writeFailed(let p, let r): return "\(p): cannot write the file (\(r))"
        }
    }
}
