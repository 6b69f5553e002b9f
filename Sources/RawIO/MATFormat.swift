/// Constants and layout helpers of the MATLAB Level 5 MAT-file format
/// ("MAT-File Format", MathWorks, chapter 1: Level 5 MAT-files).
enum MATFormat {
    /// Size of the file header: 116 bytes of text, 8 bytes subsystem offset, version, endian indicator.
    static let headerSize = 128
    /// Data element types (`miINT8` ... `miUTF32`).
    enum DataType: UInt32 {
        case int8 = 1, uint8 = 2, int16 = 3, uint16 = 4, int32 = 5, uint32 = 6, single = 7
        case double = 9, int64 = 12, uint64 = 13, matrix = 14, compressed = 15
        case utf8 = 16, utf16 = 17, utf32 = 18

        /// Bytes per element of a numeric type; `nil` for matrix / compressed.
        var elementSize: Int? {
            switch self {
            case .int8, .uint8, .utf8: return 1
            case .int16, .uint16, .utf16: return 2
            case .int32, .uint32, .single, .utf32: return 4
            case .double, .int64, .uint64: return 8
            case .matrix, .compressed: return nil
            }
        }

        /// Whether the type can hold the real part of a numeric array.
        var isNumeric: Bool {
            switch self {
            case .int8, .uint8, .int16, .uint16, .int32, .uint32, .single, .double, .int64, .uint64: return true
            default: return false
            }
        }

        /// The storage type MATLAB (and scipy) use for a numeric class.
        init(storing cls: MATClass) {
            switch cls {
            case .double: self = .double
            case .single: self = .single
            case .int8: self = .int8
            case .uint8, .logical: self = .uint8
            case .int16: self = .int16
            case .uint16: self = .uint16
            case .int32: self = .int32
            case .uint32: self = .uint32
            case .int64: self = .int64
            case .uint64: self = .uint64
            default: preconditionFailure("class \(cls.rawValue) has no numeric storage type")
            }
        }
    }

    /// Array flags: the complex, global and logical bits of the first flags word.
    static let complexFlag: UInt32 = 0x0800
    static let globalFlag: UInt32 = 0x0400
    static let logicalFlag: UInt32 = 0x0200

    /// The MATLAB class of `mxCLASS` id `id` (1...17), with the logical flag applied.
    static func matClass(id: UInt32, logical: Bool) -> MATClass? {
        switch id {
        case 1: return .cell
        case 2: return .structure
        case 3: return .object
        case 4: return .char
        case 5: return .sparse
        case 6: return .double
        case 7: return .single
        case 8: return .int8
        case 9: return logical ? .logical : .uint8
        case 10: return .int16
        case 11: return .uint16
        case 12: return .int32
        case 13: return .uint32
        case 14: return .int64
        case 15: return .uint64
        case 16: return .function
        case 17: return .opaque
        default: return nil
        }
    }

    /// The `mxCLASS` id written for a numeric class.
    static func classID(_ cls: MATClass) -> UInt32 {
        switch cls {
        case .double: return 6
        case .single: return 7
        case .int8: return 8
        case .uint8, .logical: return 9
        case .int16: return 10
        case .uint16: return 11
        case .int32: return 12
        case .uint32: return 13
        case .int64: return 14
        case .uint64: return 15
        default: preconditionFailure("class \(cls.rawValue) is not written by RawIO")
        }
    }

    /// `x` rounded up to a multiple of 8 (uncompressed elements are padded to 64-bit boundaries).
    static func padded(_ x: Int) -> Int { (x + 7) & ~7 }

    /// Whether `name` is a valid MATLAB variable name.
    static func isValidName(_ name: String) -> Bool {
        let scalars = Array(name.unicodeScalars)
        guard let first = scalars.first, scalars.count <= 63, first.isASCII,
              first.properties.isAlphabetic else { return false }
        return scalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
    }
}

/// Column-major (MATLAB) and row-major (C) orders of an N-dimensional array.
enum MATLayout {
    /// Reorders `columnMajor` values of `shape` into row-major order.
    static func rowMajor<T>(fromColumnMajor src: [T], shape: [Int]) -> [T] {
        permute(src, shape: shape, toRowMajor: true)
    }

    /// Reorders `rowMajor` values of `shape` into column-major order.
    static func columnMajor<T>(fromRowMajor src: [T], shape: [Int]) -> [T] {
        permute(src, shape: shape, toRowMajor: false)
    }

    /// Rows of dimension 0 handled together: the inner loop reads (or writes) this many
    /// elements `rowStride[0]` apart, and consecutive steps of the outer odometer touch the
    /// neighbouring elements of the same rows, so they stay in cache.
    private static let blockRows = 64

    /// Walks dimension 0 in blocks of ``blockRows``; within a block, an odometer runs over
    /// dimensions 1... in column-major order, keeping the matching row-major offset.
    private static func permute<T>(_ src: [T], shape: [Int], toRowMajor: Bool) -> [T] {
        precondition(shape.reduce(1, *) == src.count, "shape \(shape) does not hold \(src.count) values")
        // With at most one dimension longer than 1, both orders coincide.
        if src.count <= 1 || shape.filter({ $0 > 1 }).count <= 1 { return src }
        let n = shape.count
        var rowStride = [Int](repeating: 1, count: n)
        for k in stride(from: n - 2, through: 0, by: -1) { rowStride[k] = rowStride[k + 1] * shape[k + 1] }
        let d0 = shape[0], s0 = rowStride[0]
        return [T](unsafeUninitializedCapacity: src.count) { dst, initialized in
            src.withUnsafeBufferPointer { s in
                let source = s.baseAddress!, target = dst.baseAddress!
                var index = [Int](repeating: 0, count: n)
                for h0 in stride(from: 0, to: d0, by: blockRows) {
                    let rows = min(blockRows, d0 - h0)
                    for k in 1..<n { index[k] = 0 }
                    var rowOffset = h0 * s0  // row-major offset of (h0, index[1], ...)
                    var columnOffset = h0  // column-major offset of (h0, index[1], ...)
                    while true {
                        if toRowMajor {
                            var o = rowOffset
                            for r in 0..<rows { (target + o).initialize(to: source[columnOffset + r]); o += s0 }
                        } else {
                            var o = rowOffset
                            for r in 0..<rows { (target + columnOffset + r).initialize(to: source[o]); o += s0 }
                        }
                        var k = 1
                        var columnStride = d0
                        while k < n {
                            index[k] += 1
                            rowOffset += rowStride[k]
                            columnOffset += columnStride
                            if index[k] < shape[k] { break }
                            rowOffset -= rowStride[k] * shape[k]
                            columnOffset -= columnStride * shape[k]
                            index[k] = 0
                            columnStride *= shape[k]
                            k += 1
                        }
                        if k == n { break }
                    }
                }
            }
            initialized = src.count
        }
    }
}
