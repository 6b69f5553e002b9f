/// The MATLAB class of an array in a MAT-file (`mxDOUBLE_CLASS`, `mxCELL_CLASS`, ...).
///
/// Numeric classes (and `logical`) can be read into a ``MATArray`` and written; the others are
/// listed by ``MATFile/variables`` but reading them throws ``RawIOError/unsupportedFormat(path:reason:)``.
public enum MATClass: String, Sendable, Codable, CaseIterable {
    /// 64-bit floating point (`mxDOUBLE_CLASS`).
    case double
    /// 32-bit floating point (`mxSINGLE_CLASS`).
    case single
    /// Signed 8-bit integers.
    case int8
    /// Unsigned 8-bit integers.
    case uint8
    /// Signed 16-bit integers.
    case int16
    /// Unsigned 16-bit integers.
    case uint16
    /// Signed 32-bit integers.
    case int32
    /// Unsigned 32-bit integers.
    case uint32
    /// Signed 64-bit integers (values beyond 2^53 lose precision as Double).
    case int64
    /// Unsigned 64-bit integers (values beyond 2^53 lose precision as Double).
    case uint64
    /// A logical (boolean) array, stored as `uint8` with the logical flag.
    case logical
    /// A character array (not readable as numbers).
    case char
    /// A cell array (not supported).
    case cell
    /// A structure array (not supported).
    case structure = "struct"
    /// A MATLAB object (not supported).
    case object
    /// A sparse matrix (not supported).
    case sparse
    /// A function handle (not supported).
    case function
    /// An opaque object such as a `string` or `table` (not supported).
    case opaque

    /// Whether arrays of this class hold real numbers RawIO can read and write.
    public var isNumeric: Bool {
        switch self {
        case .double, .single, .int8, .uint8, .int16, .uint16, .int32, .uint32, .int64, .uint64, .logical: return true
        case .char, .cell, .structure, .object, .sparse, .function, .opaque: return false
        }
    }

    /// A phrase for messages: "a cell array", "a double array", ...
    var phrase: String {
        switch self {
        case .cell: return "a cell array"
        case .structure: return "a struct array"
        case .object: return "a MATLAB object"
        case .sparse: return "a sparse matrix"
        case .char: return "a char array"
        case .function: return "a function handle"
        case .opaque: return "an opaque MATLAB object (string, table, ...)"
        default: return "a \(rawValue) array"
        }
    }
}

/// The floating-point precision of arrays written to a MAT-file.
public enum MATPrecision: Sendable, Equatable {
    /// 32-bit floats (MATLAB `single`), as the paper's dataset stores `raw_rggb`.
    case single
    /// 64-bit floats (MATLAB `double`).
    case double

    /// The MATLAB class written.
    public var matClass: MATClass { self == .single ? .single : .double }
}

/// A named, real, numeric N-dimensional array from or for a MAT-file.
///
/// `values` are in **row-major** (C) order of `shape`, the last index fastest: the order NumPy
/// and `scipy.io.loadmat` use. MAT-files store arrays column-major (MATLAB order); reading and
/// writing convert. `shape` is MATLAB's, so it has at least two dimensions: a 16 x 4 matrix has
/// shape `[16, 4]`, an H x W x 4 image `[H, W, 4]`.
public struct MATArray: Sendable, Equatable {
    /// The variable name (a MATLAB identifier: a letter, then letters, digits or `_`, at most 63).
    public var name: String
    /// The dimensions, at least two, as MATLAB (and `scipy.io.loadmat`) report them.
    public var shape: [Int]
    /// The MATLAB class the array is (or will be) stored as; always numeric.
    public var `class`: MATClass
    /// The values, row-major over `shape`.
    public var values: [Double]

    /// Creates an array. `values` are row-major and must number `shape.reduce(1, *)`.
    ///
    /// Shapes with fewer than two dimensions are completed as MATLAB does: `[]` becomes `[1, 1]`
    /// and `[n]` the row vector `[1, n]` (like `scipy.io.savemat`'s default `oned_as='row'`).
    /// - Parameters:
    ///   - name: the variable name.
    ///   - shape: the dimensions (none negative).
    ///   - values: row-major values.
    ///   - class: the MATLAB class to store them as (numeric; integer classes must hold whole
    ///     numbers in range when written).
    public init(name: String, shape: [Int], values: [Double], class: MATClass = .double) {
        precondition(shape.allSatisfy { $0 >= 0 }, "MATArray '\(name)': negative dimension in \(shape)")
        let full = shape.count >= 2 ? shape : (shape.isEmpty ? [1, 1] : [1, shape[0]])
        precondition(full.reduce(1, *) == values.count,
                     "MATArray '\(name)': shape \(shape) holds \(full.reduce(1, *)) values, got \(values.count)")
        precondition(`class`.isNumeric, "MATArray '\(name)': class \(`class`.rawValue) is not numeric")
        self.name = name
        self.shape = full
        self.class = `class`
        self.values = values
    }

    /// Creates an array from Float values (stored as `single` unless `class` says otherwise).
    public init(name: String, shape: [Int], floatValues: [Float], class: MATClass = .single) {
        self.init(name: name, shape: shape, values: floatValues.map(Double.init), class: `class`)
    }

    /// The number of elements.
    public var count: Int { values.count }

    /// The values as Float, row-major (rounded to nearest when the class is wider than `single`).
    public var floatValues: [Float] { values.map(Float.init) }

    /// The value at a multi-index (one index per dimension, row-major).
    public subscript(indices: Int...) -> Double {
        precondition(indices.count == shape.count, "MATArray '\(name)' has \(shape.count) dimensions, got \(indices.count) indices")
        var offset = 0
        for (i, n) in zip(indices, shape) {
            precondition(i >= 0 && i < n, "index \(indices) out of range for shape \(shape)")
            offset = offset * n + i
        }
        return values[offset]
    }
}
