import Foundation
import RawSupport

/// A MATLAB Level 5 MAT-file (the format of `save -v7` and `scipy.io.savemat`), read into memory.
///
/// Opening a file checks its header and walks every variable: names, classes and shapes are
/// known at once (``variables``), values are decoded when asked for (``array(named:)``).
/// Supported: little- ('IM') and big-endian ('MI') files, normal and small (4-byte packed) data
/// elements, compressed elements (zlib, inflated with a bounded output), and real numeric
/// arrays of every class (`double`, `single`, `int8` ... `uint64`, `logical`), whatever storage
/// type the file uses for them. Cell, struct, object, char, sparse, function-handle and complex
/// arrays are listed but reading them throws ``RawIOError/unsupportedFormat(path:reason:)``;
/// they never stop other variables from being read. MAT v7.3 files (HDF5) and MAT v4 files
/// throw ``RawIOError/unsupportedFormat(path:reason:)``.
///
/// Values come out row-major over MATLAB's dimensions (see ``MATArray``), the layout
/// `scipy.io.loadmat` returns.
public struct MATFile: Sendable {
    /// What the file says about one variable, known without decoding its values.
    public struct Variable: Sendable, Equatable {
        /// The variable name.
        public var name: String
        /// The MATLAB class.
        public var `class`: MATClass
        /// MATLAB's dimensions (empty for opaque objects, which have none).
        public var shape: [Int]
        /// Whether the array has an imaginary part.
        public var isComplex: Bool

        /// Whether ``MATFile/array(named:)`` can read it: a real numeric array.
        public var isReadable: Bool { `class`.isNumeric && !isComplex }

        /// Creates a variable description.
        public init(name: String, class: MATClass, shape: [Int], isComplex: Bool = false) {
            self.name = name
            self.class = `class`
            self.shape = shape
            self.isComplex = isComplex
        }
    }

    /// The path of the file, as used in errors.
    public let path: String
    /// Every named variable in file order.
    public var variables: [Variable] { entries.map(\.variable) }
    /// The variable names in file order.
    public var names: [String] { entries.map(\.variable.name) }

    private let entries: [MATParser.Entry]

    /// Reads and checks the MAT-file at `url`.
    ///
    /// - Throws: ``RawIOError`` naming the file: missing or unreadable, not a Level 5 MAT-file or
    ///   v7.3 (``RawIOError/unsupportedFormat(path:reason:)``), truncated or damaged structure,
    ///   or compressed data that does not inflate (``RawIOError/corrupt(path:reason:)``).
    public init(contentsOf url: URL) throws(RawIOError) {
        let path = url.path
        let bytes = try Self.readBytes(path: path)
        try self.init(bytes: bytes, path: path)
    }

    /// Parses a MAT-file held in memory; `path` names it in errors.
    init(bytes: [UInt8], path: String) throws(RawIOError) {
        self.path = path
        let bigEndian = try MATParser.checkHeader(bytes, path: path)
        entries = try MATParser(path: path, bigEndian: bigEndian).entries(bytes)
    }

    /// Whether the file holds a variable called `name`.
    public func contains(_ name: String) -> Bool { entries.contains { $0.variable.name == name } }

    /// The variable called `name`, decoded.
    ///
    /// - Throws: ``RawIOError/missingVariable(path:name:available:)`` listing the variables the
    ///   file holds, or ``RawIOError/unsupportedFormat(path:reason:)`` when it is not a real
    ///   numeric array.
    public func array(named name: String) throws(RawIOError) -> MATArray {
        let e = try entry(named: name)
        let values = MATLayout.rowMajor(fromColumnMajor: MATParser.columnMajorValues(e, as: Double.self), shape: e.variable.shape)
        return MATArray(name: name, shape: e.variable.shape, values: values, class: e.variable.class)
    }

    /// The variable called `name`, decoded; `nil` if it is missing or not a real numeric array
    /// (``array(named:)`` says why).
    public subscript(name: String) -> MATArray? { try? array(named: name) }

    /// Every readable variable (real numeric arrays), decoded, in file order; others are skipped.
    public func arrays() -> [MATArray] {
        entries.filter(\.variable.isReadable).map { e in
            let values = MATLayout.rowMajor(fromColumnMajor: MATParser.columnMajorValues(e, as: Double.self), shape: e.variable.shape)
            return MATArray(name: e.variable.name, shape: e.variable.shape, values: values, class: e.variable.class)
        }
    }

    /// The variable `name` as row-major Float values with its shape (no Double intermediate).
    func floatValues(named name: String) throws(RawIOError) -> (shape: [Int], values: [Float]) {
        let e = try entry(named: name)
        return (e.variable.shape, MATLayout.rowMajor(fromColumnMajor: MATParser.columnMajorValues(e, as: Float.self), shape: e.variable.shape))
    }

    private func entry(named name: String) throws(RawIOError) -> MATParser.Entry {
        guard let e = entries.first(where: { $0.variable.name == name }) else {
            throw .missingVariable(path: path, name: name, available: names)
        }
        guard e.variable.class.isNumeric else {
            throw .unsupportedFormat(path: path, reason: "variable '\(name)' is \(e.variable.class.phrase); only real numeric arrays can be read")
        }
        guard !e.variable.isComplex else {
            throw .unsupportedFormat(path: path, reason: "variable '\(name)' is a complex array; only real numeric arrays can be read")
        }
        return e
    }

    /// Reads every readable variable of the MAT-file at `url` (see ``arrays()``).
    public static func read(contentsOf url: URL) throws(RawIOError) -> [MATArray] {
        try MATFile(contentsOf: url).arrays()
    }

    /// Writes `arrays` as a Level 5 MAT-file, little-endian, as `scipy.io.savemat` does.
    ///
    /// Each array is stored in its ``MATArray/class``, column-major. With `compressed`, each
    /// variable is a zlib-compressed element (like `savemat(..., do_compression=True)` and
    /// MATLAB's `-v7`). The file is written to a temporary name in the same folder, then renamed.
    /// - Throws: ``RawIOError/writeFailed(path:reason:)`` for an invalid or duplicate variable
    ///   name, values an integer class cannot hold, a variable over 4 GiB, or a failed write.
    public static func write(arrays: [MATArray], to url: URL, compressed: Bool = false) throws(RawIOError) {
        var writer = MATWriter(path: url.path, compressed: compressed)
        for a in arrays { try writer.append(a) }
        try AtomicFile.write(writer.bytes, to: url, error: RawIOError.init)
    }

    // MARK: The paper's mapping matrix

    /// Reads the paper's 16 x 4 polynomial mapping matrix as 64 row-major values.
    ///
    /// Row `i` holds the coefficients of polynomial term `i` for the outputs R, Gr, Gb, B.
    /// - Throws: ``RawIOError/missingVariable(path:name:available:)``, or
    ///   ``RawIOError/unsupportedFormat(path:reason:)`` naming the shape when it is not 16 x 4.
    public static func readMappingMatrix(contentsOf url: URL, variable: String = "mapping_matrix") throws(RawIOError) -> [Double] {
        let file = try MATFile(contentsOf: url)
        let a = try file.array(named: variable)
        guard a.shape == [16, 4] else {
            throw .unsupportedFormat(path: file.path, reason: "variable '\(variable)' has shape \(a.shape.map(String.init).joined(separator: "x")), a mapping matrix must be 16x4")
        }
        return a.values
    }

    /// Writes a 16 x 4 mapping matrix (64 row-major values) as a `double` variable.
    public static func writeMappingMatrix(_ values: [Double], to url: URL, variable: String = "mapping_matrix") throws(RawIOError) {
        precondition(values.count == 64, "a mapping matrix has 16x4 = 64 values, got \(values.count)")
        try write(arrays: [MATArray(name: variable, shape: [16, 4], values: values, class: .double)], to: url)
    }

    // MARK: File access

    static func readBytes(path: String) throws(RawIOError) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .fileNotFound(path: path)
        }
        if isDirectory.boolValue { throw .unreadable(path: path, reason: "it is a directory") }
        do {
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw .unreadable(path: path, reason: error.localizedDescription)
        }
    }
}

extension PackedImage {
    /// Reads a packed raw image (H x W x 4, channels R, Gr, Gb, B) from a MAT-file variable.
    ///
    /// This is the format of the paper's dataset (`raw_rggb`, written by `scipy.io.savemat`).
    /// Any real numeric class is accepted and converted to Float (`double` rounds to nearest).
    /// - Throws: ``RawIOError/missingVariable(path:name:available:)`` listing what the file
    ///   holds, ``RawIOError/unsupportedFormat(path:reason:)`` naming the shape when it is not
    ///   H x W x 4 (or the variable is not numeric), and the errors of ``MATFile/init(contentsOf:)``.
    public init(contentsOfMAT url: URL, variable: String = "raw_rggb") throws(RawIOError) {
        let file = try MATFile(contentsOf: url)
        let (shape, values) = try file.floatValues(named: variable)
        guard shape.count == 3, shape[2] == PackedImage.channelCount, shape[0] > 0, shape[1] > 0 else {
            throw .unsupportedFormat(path: file.path, reason: "variable '\(variable)' has shape \(shape.map(String.init).joined(separator: "x")), a packed raw image must be HxWx4")
        }
        self.init(height: shape[0], width: shape[1], values: values)
    }

    /// Writes the image as an H x W x 4 variable of a MAT-file, uncompressed, as `scipy.io.savemat` does.
    ///
    /// The file is written to a temporary name in the same folder, then renamed.
    /// - Parameters:
    ///   - url: the destination.
    ///   - variable: the variable name (the paper's dataset uses `raw_rggb`).
    ///   - precision: `single` (as the dataset) or `double`.
    /// - Throws: ``RawIOError/writeFailed(path:reason:)``.
    public func writeMAT(to url: URL, variable: String = "raw_rggb", precision: MATPrecision = .single) throws(RawIOError) {
        var writer = MATWriter(path: url.path, compressed: false)
        try writer.append(name: variable, shape: [height, width, PackedImage.channelCount], rowMajor: values, class: precision.matClass)
        try AtomicFile.write(writer.bytes, to: url, error: RawIOError.init)
    }
}
