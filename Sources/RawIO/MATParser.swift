/// Parses the structure of a Level 5 MAT-file: the header and the top-level data elements,
/// reading each array's flags, dimensions and name, and locating its real part. Every size is
/// checked against the bytes that hold it before anything is read or allocated, so damaged or
/// hostile files end in a typed error.
struct MATParser {
    /// Where a variable's values are, and what is known about it.
    struct Entry: Sendable {
        var variable: MATFile.Variable
        /// The buffer holding the variable (the file, or the inflated compressed element).
        var buffer: [UInt8]
        /// The byte range of the real part in `buffer` (numeric classes only).
        var dataRange: Range<Int>
        /// The storage type of the real part.
        var dataType: MATFormat.DataType?
        /// Byte order of `buffer`.
        var bigEndian: Bool
    }

    let path: String
    let bigEndian: Bool

    /// The ratio deflate cannot exceed (zlib's documented worst case is about 1032:1).
    static let maximumInflateRatio = 1032

    // MARK: Header

    /// Checks the 128-byte header and returns the byte order of the file.
    static func checkHeader(_ bytes: [UInt8], path: String) throws(RawIOError) -> Bool {
        let hdf5: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
        if bytes.starts(with: hdf5) || (bytes.count >= 520 && Array(bytes[512..<520]) == hdf5) {
            throw .unsupportedFormat(path: path, reason: "this is an HDF5-based MAT-file (MATLAB v7.3); save it with `save -v7` or scipy.io.savemat to read it here")
        }
        let text = String(decoding: bytes.prefix(116), as: UTF8.self)
        if text.hasPrefix("MATLAB 7.3") {
            throw .unsupportedFormat(path: path, reason: "MAT-file version 7.3 (HDF5) is not supported; save it with `save -v7` or scipy.io.savemat")
        }
        guard bytes.count >= MATFormat.headerSize else {
            if text.hasPrefix("MATLAB") {
                throw .corrupt(path: path, reason: "the file is \(bytes.count) bytes, shorter than the 128-byte MAT-file header")
            }
            throw .unsupportedFormat(path: path, reason: "not a MATLAB Level 5 MAT-file (\(bytes.count) bytes, no 128-byte header)")
        }
        let bigEndian: Bool
        switch (bytes[126], bytes[127]) {
        case (UInt8(ascii: "I"), UInt8(ascii: "M")): bigEndian = false
        case (UInt8(ascii: "M"), UInt8(ascii: "I")): bigEndian = true
        default:
            throw .unsupportedFormat(path: path, reason: "not a MATLAB Level 5 MAT-file (no 'IM'/'MI' endian indicator at byte 126; MAT v4 and other formats are not supported)")
        }
        let version = bigEndian ? UInt16(bytes[124]) << 8 | UInt16(bytes[125]) : UInt16(bytes[125]) << 8 | UInt16(bytes[124])
        switch version {
        case 0x0100: return bigEndian
        case 0x0200:
            throw .unsupportedFormat(path: path, reason: "MAT-file version 7.3 (HDF5) is not supported; save it with `save -v7` or scipy.io.savemat")
        default:
            throw .unsupportedFormat(path: path, reason: "unknown MAT-file version 0x\(String(version, radix: 16)) (only Level 5, version 0x0100, is supported)")
        }
    }

    // MARK: Elements

    /// A data element tag: its type, the byte range of its data, and where the next element starts.
    struct Tag {
        var type: UInt32
        var data: Range<Int>
        var next: Int
    }

    func u32(_ b: [UInt8], _ o: Int) -> UInt32 {
        let v = UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
        return bigEndian ? v.byteSwapped : v
    }

    /// Reads the tag at `offset` within `end`, in the normal (8-byte) or small (4-byte) format.
    /// `padded` says whether the element is followed by padding to a multiple of 8 bytes
    /// (every element except miCOMPRESSED ones).
    func tag(_ b: [UInt8], at offset: Int, end: Int, what: String) throws(RawIOError) -> Tag {
        guard offset + 8 <= end else {
            throw .corrupt(path: path, reason: "\(what) at byte \(offset) is cut off: \(end - offset) bytes left where an 8-byte tag is needed")
        }
        let first = u32(b, offset)
        if first >> 16 != 0 {
            // Small data element: 2 bytes size, 2 bytes type, up to 4 bytes of data.
            let size = Int(first >> 16)
            guard size <= 4 else {
                throw .corrupt(path: path, reason: "\(what) at byte \(offset): a small data element cannot hold \(size) bytes")
            }
            return Tag(type: first & 0xFFFF, data: (offset + 4)..<(offset + 4 + size), next: offset + 8)
        }
        let size = Int(u32(b, offset + 4))
        let start = offset + 8
        guard size <= end - start else {
            throw .corrupt(path: path, reason: "\(what) at byte \(offset) declares \(size) bytes but only \(end - start) remain")
        }
        let next = first == MATFormat.DataType.compressed.rawValue ? start + size : min(start + MATFormat.padded(size), end)
        return Tag(type: first, data: start..<(start + size), next: next)
    }

    /// Parses the top-level elements of the file after the header.
    func entries(_ bytes: [UInt8]) throws(RawIOError) -> [Entry] {
        var out: [Entry] = []
        var offset = MATFormat.headerSize
        while offset < bytes.count {
            let t = try tag(bytes, at: offset, end: bytes.count, what: "data element")
            switch MATFormat.DataType(rawValue: t.type) {
            case .matrix:
                if let e = try matrix(bytes, t.data, at: offset) { out.append(e) }
            case .compressed:
                if let e = try compressed(bytes, t.data, at: offset) { out.append(e) }
            default:
                break  // Not a variable (MATLAB writes only arrays at the top level): skip.
            }
            offset = t.next
        }
        return out
    }

    /// Inflates a miCOMPRESSED element (with a bounded output) and parses the array inside.
    func compressed(_ bytes: [UInt8], _ data: Range<Int>, at offset: Int) throws(RawIOError) -> Entry? {
        let input = bytes[data]
        let head: [UInt8]
        switch try inflate(input, limit: 8, at: offset) {
        case .complete(let b), .limitReached(let b), .truncated(let b): head = b
        }
        guard head.count == 8 else {
            throw .corrupt(path: path, reason: "compressed element at byte \(offset) inflates to \(head.count) bytes, too few for the tag of its array")
        }
        let innerType = u32(head, 0)
        let innerSize = Int(u32(head, 4))
        guard innerType == MATFormat.DataType.matrix.rawValue else {
            return nil  // Compressed non-array data: not a variable.
        }
        let needed = 8 + innerSize
        guard needed <= data.count * Self.maximumInflateRatio + 64 else {
            throw .corrupt(path: path, reason: "compressed element at byte \(offset) declares an array of \(innerSize) bytes, more than its \(data.count) compressed bytes can hold")
        }
        // One byte more than needed: a stream that ends exactly there has its checksum verified.
        let inflated: [UInt8]
        switch try inflate(input, limit: needed + 1, at: offset) {
        case .complete(let b) where b.count == needed: inflated = b
        case .limitReached(let b): inflated = Array(b.prefix(needed))  // trailing data in the stream: ignored
        case .complete(let b), .truncated(let b):
            throw .corrupt(path: path, reason: "compressed element at byte \(offset) inflates to \(b.count) bytes\(b.count >= needed ? " (its zlib stream is cut off)" : "") but its array declares \(needed)")
        }
        return try matrix(inflated, 8..<needed, at: offset)
    }

    private func inflate(_ input: ArraySlice<UInt8>, limit: Int, at offset: Int) throws(RawIOError) -> Zlib.InflateOutcome {
        do {
            return try Zlib.inflate(input, limit: limit)
        } catch {
            throw .corrupt(path: path, reason: "compressed element at byte \(offset): zlib: \(error.message)")
        }
    }

    /// Parses a miMATRIX element whose contents are `b[data]`; `nil` for an unnamed or empty array.
    func matrix(_ b: [UInt8], _ data: Range<Int>, at offset: Int) throws(RawIOError) -> Entry? {
        if data.isEmpty { return nil }  // An empty miMATRIX element: no array.
        let end = data.upperBound
        let what = "array at byte \(offset)"
        // Array flags.
        let flagsTag = try tag(b, at: data.lowerBound, end: end, what: "\(what): array flags")
        guard flagsTag.type == MATFormat.DataType.uint32.rawValue, flagsTag.data.count == 8 else {
            throw .corrupt(path: path, reason: "\(what): array flags must be 8 bytes of miUINT32, found type \(flagsTag.type), \(flagsTag.data.count) bytes")
        }
        let flags = u32(b, flagsTag.data.lowerBound)
        guard let cls = MATFormat.matClass(id: flags & 0xFF, logical: flags & MATFormat.logicalFlag != 0) else {
            throw .corrupt(path: path, reason: "\(what): \(flags & 0xFF) is not a MATLAB array class")
        }
        let isComplex = flags & MATFormat.complexFlag != 0
        var cursor = flagsTag.next
        // Dimensions (opaque objects have none).
        var shape: [Int] = []
        if cls != .opaque {
            let dimsTag = try tag(b, at: cursor, end: end, what: "\(what): dimensions")
            guard dimsTag.type == MATFormat.DataType.int32.rawValue, dimsTag.data.count % 4 == 0, dimsTag.data.count >= 8 else {
                throw .corrupt(path: path, reason: "\(what): dimensions must be at least two miINT32 values, found type \(dimsTag.type), \(dimsTag.data.count) bytes")
            }
            for o in stride(from: dimsTag.data.lowerBound, to: dimsTag.data.upperBound, by: 4) {
                let d = Int32(bitPattern: u32(b, o))
                guard d >= 0 else { throw .corrupt(path: path, reason: "\(what): negative dimension \(d)") }
                shape.append(Int(d))
            }
            cursor = dimsTag.next
        }
        // Name.
        let nameTag = try tag(b, at: cursor, end: end, what: "\(what): name")
        guard nameTag.type == MATFormat.DataType.int8.rawValue || nameTag.type == MATFormat.DataType.utf8.rawValue
                || nameTag.type == MATFormat.DataType.uint8.rawValue else {
            throw .corrupt(path: path, reason: "\(what): the array name must be miINT8 text, found type \(nameTag.type)")
        }
        let name = String(decoding: b[nameTag.data], as: UTF8.self)
        cursor = nameTag.next
        if name.isEmpty { return nil }  // Subsystem data and other unnamed arrays are not variables.
        let what2 = "variable '\(name)' (byte \(offset))"

        var count = 1
        for d in shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw .corrupt(path: path, reason: "\(what2): dimensions \(shape) overflow") }
            count = p
        }
        let variable = MATFile.Variable(name: name, class: cls, shape: shape, isComplex: isComplex)
        guard cls.isNumeric else {
            return Entry(variable: variable, buffer: [], dataRange: 0..<0, dataType: nil, bigEndian: bigEndian)
        }
        // Real part.
        let realTag = try tag(b, at: cursor, end: end, what: "\(what2): real part")
        guard let type = MATFormat.DataType(rawValue: realTag.type), type.isNumeric, let size = type.elementSize else {
            throw .corrupt(path: path, reason: "\(what2): the real part has data type \(realTag.type), not a numeric type")
        }
        let (needed, overflow) = count.multipliedReportingOverflow(by: size)
        guard !overflow, realTag.data.count == needed else {
            throw .corrupt(path: path, reason: "\(what2): dimensions \(shape) need \(count) values but the real part holds \(realTag.data.count) bytes of \(size)-byte \(type)")
        }
        if isComplex {
            let imagTag = try tag(b, at: realTag.next, end: end, what: "\(what2): imaginary part")
            guard imagTag.data.count % max(1, MATFormat.DataType(rawValue: imagTag.type)?.elementSize ?? 1) == 0 else {
                throw .corrupt(path: path, reason: "\(what2): malformed imaginary part")
            }
        }
        return Entry(variable: variable, buffer: b, dataRange: realTag.data, dataType: type, bigEndian: bigEndian)
    }

    // MARK: Values

    /// Decodes the real part of a numeric entry in column-major (file) order.
    static func columnMajorValues<T: BinaryFloatingPoint>(_ e: Entry, as: T.Type) -> [T] {
        guard let type = e.dataType, let size = type.elementSize else { return [] }
        let count = e.dataRange.count / size
        let swap = e.bigEndian != (1.littleEndian != 1)  // file order differs from host order
        return [T](unsafeUninitializedCapacity: count) { out, initialized in
            e.buffer.withUnsafeBytes { raw in
                let base = e.dataRange.lowerBound
                if !swap && ((type == .single && T.self == Float.self) || (type == .double && T.self == Double.self)) {
                    // Same representation in the file and in memory: copy.
                    UnsafeMutableRawBufferPointer(out).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[e.dataRange]))
                    return
                }
                func load<I: FixedWidthInteger>(_: I.Type, _ i: Int) -> I {
                    let v = raw.loadUnaligned(fromByteOffset: base + i * size, as: I.self)
                    return swap ? v.byteSwapped : v
                }
                let dst = out.baseAddress!
                switch type {
                case .double: for i in 0..<count { (dst + i).initialize(to: T(Double(bitPattern: load(UInt64.self, i)))) }
                case .single: for i in 0..<count { (dst + i).initialize(to: T(Float(bitPattern: load(UInt32.self, i)))) }
                case .int8: for i in 0..<count { (dst + i).initialize(to: T(load(Int8.self, i))) }
                case .uint8: for i in 0..<count { (dst + i).initialize(to: T(load(UInt8.self, i))) }
                case .int16: for i in 0..<count { (dst + i).initialize(to: T(load(Int16.self, i))) }
                case .uint16: for i in 0..<count { (dst + i).initialize(to: T(load(UInt16.self, i))) }
                case .int32: for i in 0..<count { (dst + i).initialize(to: T(load(Int32.self, i))) }
                case .uint32: for i in 0..<count { (dst + i).initialize(to: T(load(UInt32.self, i))) }
                case .int64: for i in 0..<count { (dst + i).initialize(to: T(Double(load(Int64.self, i)))) }
                case .uint64: for i in 0..<count { (dst + i).initialize(to: T(Double(load(UInt64.self, i)))) }
                default: preconditionFailure("not a numeric data type")
                }
            }
            initialized = count
        }
    }
}
