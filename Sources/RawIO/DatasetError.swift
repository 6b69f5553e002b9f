/// Why a dataset folder cannot be used, naming the folders and files involved.
///
/// Thrown by ``DatasetLayout`` and the image sets it makes. ``description`` is one sentence a
/// person can act on.
public enum DatasetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A folder the layout needs does not exist (or is not a folder).
    case missingFolder(path: String)
    /// A folder exists but could not be listed.
    case unreadableFolder(path: String, reason: String)
    /// A camera name was asked for that the dataset does not hold; `available` lists the ones it does.
    case unknownCamera(name: String, available: [String])
    /// A set holds no `.mat` or `.dng` file.
    case emptySet(path: String)
    /// Two files in one folder share a name stem (e.g. `x.mat` and `x.dng`), so pairing is ambiguous.
    case duplicateName(folder: String, name: String, files: [String])
    /// Pair folders hold names without a partner in the other camera's folder.
    case unmatchedNames(folderA: String, onlyInA: [String], folderB: String, onlyInB: [String])
    /// The two images of a pair differ in size.
    case sizeMismatch(name: String, pathA: String, heightA: Int, widthA: Int,
                      pathB: String, heightB: Int, widthB: Int)
    /// An image file could not be read (the underlying error names the file).
    case unreadableImage(RawIOError)

    /// A one-line message naming the folders or files and what was wrong.
    public var description: String {
        switch self {
        case .missingFolder(let p):
            return "\(p): no such folder (the dataset layout needs it)"
        case .unreadableFolder(let p, let r):
            return "\(p): cannot list the folder (\(r))"
        case .unknownCamera(let n, let a):
            return "no camera '\(n)' in the dataset (it holds: \(a.isEmpty ? "none" : a.joined(separator: ", ")))"
        case .emptySet(let p):
            return "\(p): no .mat or .dng image in the folder"
        case .duplicateName(let f, let n, let files):
            return "\(f): several files are named '\(n)' (\(files.joined(separator: ", "))); a pair needs one file per name"
        case .unmatchedNames(let fa, let a, let fb, let b):
            var parts: [String] = []
            if !a.isEmpty { parts.append("only in \(fa): \(DatasetError.list(a))") }
            if !b.isEmpty { parts.append("only in \(fb): \(DatasetError.list(b))") }
            return "images without a partner in the other camera's folder: " + parts.joined(separator: "; ")
        case .sizeMismatch(let n, let pa, let ha, let wa, let pb, let hb, let wb):
            return "pair '\(n)' differs in size: \(pa) is \(wa)x\(ha) packed pixels, \(pb) is \(wb)x\(hb)"
        case .unreadableImage(let e):
            return e.description
        }
    }

    /// At most 20 names, then a count of the rest.
    static func list(_ names: [String]) -> String {
        if names.count <= 20 { return names.joined(separator: ", ") }
        return names.prefix(20).joined(separator: ", ") + " and \(names.count - 20) more"
    }
}

/// Something odd about a dataset that does not stop it from being used.
public enum DatasetWarning: Sendable, Equatable, CustomStringConvertible {
    /// Files in an image folder that are neither `.mat` nor `.dng` were skipped.
    case ignoredFiles(folder: String, names: [String])
    /// Pair names without a partner were left out (only when ``PairingPolicy/dropUnmatched`` is chosen).
    case droppedUnmatched(folderA: String, onlyInA: [String], folderB: String, onlyInB: [String])

    /// A one-line message naming the folder and files.
    public var description: String {
        switch self {
        case .ignoredFiles(let f, let n):
            return "\(f): skipped \(n.count) file(s) that are not .mat or .dng: \(DatasetError.list(n))"
        case .droppedUnmatched(let fa, let a, let fb, let b):
            var parts: [String] = []
            if !a.isEmpty { parts.append("only in \(fa): \(DatasetError.list(a))") }
            if !b.isEmpty { parts.append("only in \(fb): \(DatasetError.list(b))") }
            return "left out images without a partner: " + parts.joined(separator: "; ")
        }
    }
}
