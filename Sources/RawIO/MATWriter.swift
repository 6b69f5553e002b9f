import Foundation

/// Builds a little-endian Level 5 MAT-file in memory, laid out as `scipy.io.savemat` writes it:
/// the 128-byte header, then one miMATRIX element per variable (array flags, dimensions, name,
/// real part, each padded to 8 bytes, or in the small 4-byte format when 4 bytes or fewer),
/// optionally wrapped in miCOMPRESSED elements.
struct MATWriter {
    let path: String
    let compressed: Bool
    private(set) var bytes: [UInt8]
    private var names: Set<String> = []

    init(path: String, compressed: Bool) {
        self.path = path
        self.compressed = compressed
        var header = [UInt8]("MATLAB 5.0 MAT-file, Platform: raw2raw RawIO, written by MATWriter".utf8)
        header += [UInt8](repeating: UInt8(ascii: " "), count: 116 - header.count)
        header += [UInt8](repeating: 0, count: 8)  // no subsystem data
        header.appendLE(UInt16(0x0100))  // version
        header += [UInt8(ascii: "I"), UInt8(ascii: "M")]  // endian indicator as written little-endian
        bytes = header
    }

    /// Appends a ``MATArray`` in its own class.
    mutating func append(_ array: MATArray) throws(RawIOError) {
        try append(name: array.name, shape: array.shape, rowMajor: array.values, class: array.class)
    }

    /// Appends a variable from row-major values, stored as `cls`.
    mutating func append<T: BinaryFloatingPoint>(name: String, shape: [Int], rowMajor values: [T], class cls: MATClass) throws(RawIOError) {
        guard MATFormat.isValidName(name) else {
            throw .writeFailed(path: path, reason: "'\(name)' is not a valid MATLAB variable name (a letter, then letters, digits or _, at most 63)")
        }
        guard !names.contains(name) else {
            throw .writeFailed(path: path, reason: "variable '\(name)' is given twice")
        }
        precondition(cls.isNumeric, "class \(cls.rawValue) cannot be written")
        precondition(shape.count >= 2 && shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        guard shape.allSatisfy({ $0 <= Int(Int32.max) }) else {
            throw .writeFailed(path: path, reason: "variable '\(name)': dimension in \(shape) exceeds the MAT-file limit of 2^31-1")
        }
        let type = MATFormat.DataType(storing: cls)
        let dataBytes = values.count * type.elementSize!
        guard dataBytes <= Int(UInt32.max) - 1024 else {
            throw .writeFailed(path: path, reason: "variable '\(name)' needs \(dataBytes) bytes, more than a MAT v5 element can hold (4 GiB)")
        }
        try checkRange(values, class: cls, name: name)

        // The element is built in place: at the end of `bytes` when uncompressed, else in a
        // scratch buffer that is then deflated.
        var e: [UInt8] = []
        if !compressed { swap(&e, &bytes) }
        let start = e.count
        e.reserveCapacity(start + 104 + name.utf8.count + MATFormat.padded(dataBytes))
        e.appendLE(MATFormat.DataType.matrix.rawValue)
        e.appendLE(UInt32(0))  // size, patched below
        // Array flags.
        var flags: [UInt8] = []
        flags.appendLE(MATFormat.classID(cls) | (cls == .logical ? MATFormat.logicalFlag : 0))
        flags.appendLE(UInt32(0))
        Self.appendElement(.uint32, flags, to: &e)
        // Dimensions.
        var dims: [UInt8] = []
        for d in shape { dims.appendLE(Int32(d)) }
        Self.appendElement(.int32, dims, to: &e)
        // Name.
        Self.appendElement(.int8, Array(name.utf8), to: &e)
        // Real part, column-major, little-endian.
        let columnMajor = MATLayout.columnMajor(fromRowMajor: values, shape: shape)
        if dataBytes <= 4 {
            var data = [UInt8](repeating: 0, count: dataBytes)
            data.withUnsafeMutableBytes { Self.store(columnMajor, as: type, into: $0) }
            Self.appendElement(type, data, to: &e)
        } else {
            e.appendLE(type.rawValue)
            e.appendLE(UInt32(dataBytes))
            let dataStart = e.count
            e.append(contentsOf: repeatElement(0, count: MATFormat.padded(dataBytes)))
            e.withUnsafeMutableBytes { raw in
                Self.store(columnMajor, as: type, into: UnsafeMutableRawBufferPointer(rebasing: raw[dataStart..<(dataStart + dataBytes)]))
            }
        }
        let size = e.count - start - 8
        guard size <= Int(UInt32.max) else {
            if !compressed { e.removeLast(e.count - start); swap(&e, &bytes) }
            throw .writeFailed(path: path, reason: "variable '\(name)' needs \(size) bytes, more than a MAT v5 element can hold (4 GiB)")
        }
        e.storeLE(at: start + 4, UInt32(size))

        if compressed {
            let z: [UInt8]
            do {
                z = try Zlib.deflate(e[...])
            } catch {
                throw .writeFailed(path: path, reason: "zlib: \(error.message)")
            }
            guard z.count <= Int(UInt32.max) else {
                throw .writeFailed(path: path, reason: "variable '\(name)' compresses to more than 4 GiB")
            }
            bytes.appendLE(MATFormat.DataType.compressed.rawValue); bytes.appendLE(UInt32(z.count))
            bytes += z
        } else {
            swap(&e, &bytes)
        }
        names.insert(name)
    }

    /// Appends a data element: the small (4-byte packed) format when the payload has at most
    /// 4 bytes, as scipy and MATLAB write it, else a tag and the payload padded to 8 bytes.
    private static func appendElement(_ type: MATFormat.DataType, _ payload: [UInt8], to out: inout [UInt8]) {
        if payload.count <= 4 {
            out.appendLE(UInt32(payload.count) << 16 | type.rawValue)
            out += payload
            out += repeatElement(0, count: 4 - payload.count)
        } else {
            out.appendLE(type.rawValue)
            out.appendLE(UInt32(payload.count))
            out += payload
            out += repeatElement(0, count: MATFormat.padded(payload.count) - payload.count)
        }
    }

    /// Integer classes need whole numbers within range; logical needs 0 or 1.
    private func checkRange<T: BinaryFloatingPoint>(_ values: [T], class cls: MATClass, name: String) throws(RawIOError) {
        let range: ClosedRange<Double>
        switch cls {
        case .double, .single: return
        case .logical: range = 0...1
        case .int8: range = -128...127
        case .uint8: range = 0...255
        case .int16: range = -32768...32767
        case .uint16: range = 0...65535
        case .int32: range = -2147483648...2147483647
        case .uint32: range = 0...4294967295
        case .int64: range = -9223372036854775808.0...9223372036854774784.0
        case .uint64: range = 0...18446744073709549568.0
        default: return
        }
        if let bad = values.first(where: { v in let d = Double(v); return !(range.contains(d) && d == d.rounded()) }) {
            throw .writeFailed(path: path, reason: "variable '\(name)': \(bad) cannot be stored as \(cls.rawValue)")
        }
    }

    /// Stores values little-endian as `type` (range already checked for integer types).
    private static func store<T: BinaryFloatingPoint>(_ values: [T], as type: MATFormat.DataType, into out: UnsafeMutableRawBufferPointer) {
        func put<I: FixedWidthInteger>(_ v: I, _ i: Int) {
            out.storeBytes(of: v.littleEndian, toByteOffset: i * MemoryLayout<I>.size, as: I.self)
        }
        #if _endian(little)
        // Same representation in memory and in the file: copy.
        if (type == .single && T.self == Float.self) || (type == .double && T.self == Double.self) {
            values.withUnsafeBytes { out.copyMemory(from: $0) }
            return
        }
        #endif
        switch type {
        case .double: for (i, v) in values.enumerated() { put(Double(v).bitPattern, i) }
        case .single: for (i, v) in values.enumerated() { put(Float(v).bitPattern, i) }
        case .int8: for (i, v) in values.enumerated() { put(Int8(v), i) }
        case .uint8: for (i, v) in values.enumerated() { put(UInt8(v), i) }
        case .int16: for (i, v) in values.enumerated() { put(Int16(v), i) }
        case .uint16: for (i, v) in values.enumerated() { put(UInt16(v), i) }
        case .int32: for (i, v) in values.enumerated() { put(Int32(v), i) }
        case .uint32: for (i, v) in values.enumerated() { put(UInt32(v), i) }
        case .int64: for (i, v) in values.enumerated() { put(Int64(v), i) }
        case .uint64: for (i, v) in values.enumerated() { put(UInt64(v), i) }
        default: preconditionFailure("not a numeric data type")
        }
    }
}
