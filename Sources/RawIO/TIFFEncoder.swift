/// A little-endian TIFF file with one IFD (plus an optional EXIF sub-IFD) and one strip of image
/// data, the container of the DNGs RawIO writes. Entries are sorted by tag, every value longer
/// than 4 bytes lives after the IFDs at a 4-byte aligned offset, and the strip starts at a
/// 16-byte aligned offset.
struct TIFFEncoder {
    /// TIFF field types used by the DNG writer.
    enum FieldType: UInt16 {
        case byte = 1, ascii = 2, short = 3, long = 4, rational = 5, undefined = 7, srational = 10

        var size: Int {
            switch self {
            case .byte, .ascii, .undefined: return 1
            case .short: return 2
            case .long: return 4
            case .rational, .srational: return 8
            }
        }
    }

    /// One IFD entry with its value already encoded little-endian.
    struct Entry {
        var tag: UInt16
        var type: FieldType
        var count: Int
        var payload: [UInt8]

        static func bytes(_ tag: UInt16, _ values: [UInt8]) -> Entry {
            Entry(tag: tag, type: .byte, count: values.count, payload: values)
        }

        static func undefined(_ tag: UInt16, _ values: [UInt8]) -> Entry {
            Entry(tag: tag, type: .undefined, count: values.count, payload: values)
        }

        /// NUL-terminated ASCII; characters outside 7-bit ASCII (or NUL) become `?`.
        static func ascii(_ tag: UInt16, _ text: String) -> Entry {
            var bytes = text.unicodeScalars.map { $0.isASCII && $0.value != 0 ? UInt8($0.value) : UInt8(ascii: "?") }
            bytes.append(0)
            return Entry(tag: tag, type: .ascii, count: bytes.count, payload: bytes)
        }

        static func shorts(_ tag: UInt16, _ values: [UInt16]) -> Entry {
            var p: [UInt8] = []
            for v in values { p.appendLE(v) }
            return Entry(tag: tag, type: .short, count: values.count, payload: p)
        }

        static func longs(_ tag: UInt16, _ values: [UInt32]) -> Entry {
            var p: [UInt8] = []
            for v in values { p.appendLE(v) }
            return Entry(tag: tag, type: .long, count: values.count, payload: p)
        }

        static func rationals(_ tag: UInt16, _ values: [(numerator: UInt32, denominator: UInt32)]) -> Entry {
            var p: [UInt8] = []
            for v in values { p.appendLE(v.numerator); p.appendLE(v.denominator) }
            return Entry(tag: tag, type: .rational, count: values.count, payload: p)
        }

        static func signedRationals(_ tag: UInt16, _ values: [(numerator: Int32, denominator: Int32)]) -> Entry {
            var p: [UInt8] = []
            for v in values {
                p.appendLE(UInt32(bitPattern: v.numerator))
                p.appendLE(UInt32(bitPattern: v.denominator))
            }
            return Entry(tag: tag, type: .srational, count: values.count, payload: p)
        }
    }

    /// The tag whose (single LONG) value is patched with the strip's offset.
    static let stripOffsetsTag: UInt16 = 273
    /// The IFD0 tag pointing to the EXIF sub-IFD (added when EXIF entries are given).
    static let exifIFDTag: UInt16 = 34665

    /// Lays out the header, IFD0, the optional EXIF IFD, out-of-line values and the strip, and
    /// returns the file's bytes. `writeStrip` fills the strip (`stripByteCount` bytes, zeroed on entry).
    func encode(entries: [Entry], exifEntries: [Entry] = [], stripByteCount: Int,
                writeStrip: (UnsafeMutableRawBufferPointer) -> Void) -> [UInt8] {
        var ifd0 = entries
        if !exifEntries.isEmpty { ifd0.append(.longs(Self.exifIFDTag, [0])) }  // patched below
        let ifds = [ifd0, exifEntries].filter { !$0.isEmpty }.map { $0.sorted { $0.tag < $1.tag } }
        for ifd in ifds {
            precondition(Set(ifd.map(\.tag)).count == ifd.count, "duplicate TIFF tags")
            precondition(ifd.allSatisfy { $0.payload.count == $0.count * $0.type.size }, "TIFF entry payload size mismatch")
        }
        // Offsets: IFDs first (each word aligned), then the values of every IFD, then the strip.
        var cursor = 8
        var ifdOffsets: [Int] = []
        for ifd in ifds {
            cursor = Self.align(cursor, 4)
            ifdOffsets.append(cursor)
            cursor += 2 + 12 * ifd.count + 4
        }
        var valueOffsets: [[Int?]] = []
        for ifd in ifds {
            var offsets: [Int?] = []
            for e in ifd {
                if e.payload.count > 4 {
                    cursor = Self.align(cursor, 4)
                    offsets.append(cursor)
                    cursor += e.payload.count
                } else {
                    offsets.append(nil)
                }
            }
            valueOffsets.append(offsets)
        }
        let stripOffset = Self.align(cursor, 16)
        let total = stripOffset + stripByteCount
        precondition(total <= Int(UInt32.max), "a classic TIFF/DNG holds at most 4 GiB; this image needs \(total) bytes")

        var out = [UInt8](repeating: 0, count: stripOffset)
        out.storeBytes(at: 0, [0x49, 0x49, 42, 0])  // "II", 42
        out.storeLE(at: 4, UInt32(ifdOffsets[0]))
        for (k, ifd) in ifds.enumerated() {
            var p = ifdOffsets[k]
            out.storeLE(at: p, UInt16(ifd.count)); p += 2
            for (e, valueOffset) in zip(ifd, valueOffsets[k]) {
                out.storeLE(at: p, e.tag)
                out.storeLE(at: p + 2, e.type.rawValue)
                out.storeLE(at: p + 4, UInt32(e.count))
                if k == 0 && e.tag == Self.stripOffsetsTag {
                    precondition(e.type == .long && e.count == 1, "StripOffsets must be a single LONG")
                    out.storeLE(at: p + 8, UInt32(stripOffset))
                } else if k == 0 && e.tag == Self.exifIFDTag {
                    out.storeLE(at: p + 8, UInt32(ifdOffsets[1]))
                } else if let o = valueOffset {
                    out.storeLE(at: p + 8, UInt32(o))
                    out.storeBytes(at: o, e.payload)
                } else {
                    out.storeBytes(at: p + 8, e.payload)  // left-justified, the rest stays 0
                }
                p += 12
            }
            out.storeLE(at: p, UInt32(0))  // no next IFD in the chain (the EXIF IFD is a sub-IFD)
        }
        out.append(contentsOf: repeatElement(0, count: stripByteCount))
        out.withUnsafeMutableBytes { writeStrip(UnsafeMutableRawBufferPointer(rebasing: $0[stripOffset...])) }
        return out
    }

    static func align(_ x: Int, _ a: Int) -> Int { (x + a - 1) / a * a }
}

/// Rational approximations for TIFF RATIONAL / SRATIONAL fields.
enum RationalApproximation {
    /// The best approximation `p/q` of `x >= 0` with `p <= maxNumerator`, `1 <= q <= maxDenominator`
    /// (continued fractions with a final semiconvergent). Exact whenever `x` is such a fraction.
    static func unsigned(_ x: Double, maxNumerator: UInt64 = UInt64(UInt32.max),
                         maxDenominator: UInt64 = UInt64(UInt32.max)) -> (numerator: UInt64, denominator: UInt64) {
        precondition(x.isFinite && x >= 0, "cannot approximate \(x) by an unsigned rational")
        if x >= Double(maxNumerator) { return (maxNumerator, 1) }
        var p0: UInt64 = 0, q0: UInt64 = 1, p1: UInt64 = 1, q1: UInt64 = 0
        var f = x
        for _ in 0..<64 {
            let a = f.rounded(.down)
            let limitP = p1 == 0 ? Double.infinity : Double(maxNumerator - p0) / Double(p1)
            let limitQ = q1 == 0 ? Double.infinity : Double(maxDenominator - q0) / Double(q1)
            let aLimit = min(limitP, limitQ).rounded(.down)
            if a > aLimit {
                // The next convergent does not fit: try the largest semiconvergent that does.
                if aLimit >= 1 {
                    let s = UInt64(aLimit)
                    let ps = s * p1 + p0, qs = s * q1 + q0
                    if q1 == 0 || abs(x - Double(ps) / Double(qs)) < abs(x - Double(p1) / Double(q1)) {
                        return (ps, qs)
                    }
                }
                return q1 == 0 ? (min(UInt64(x.rounded()), maxNumerator), 1) : (p1, q1)
            }
            let ai = UInt64(a)
            (p0, q0, p1, q1) = (p1, q1, ai * p1 + p0, ai * q1 + q0)
            let fraction = f - a
            if fraction == 0 || Double(p1) / Double(q1) == x { break }
            f = 1 / fraction
        }
        return (p1, q1)
    }

    /// An unsigned TIFF RATIONAL close to `x >= 0` (exact for fractions with 32-bit terms).
    static func rational(_ x: Double) -> (numerator: UInt32, denominator: UInt32) {
        let r = unsigned(x)
        return (UInt32(r.numerator), UInt32(r.denominator))
    }

    /// A TIFF SRATIONAL close to `x` (numerator and denominator within `Int32`).
    static func signedRational(_ x: Double) -> (numerator: Int32, denominator: Int32) {
        let r = unsigned(abs(x), maxNumerator: UInt64(Int32.max), maxDenominator: UInt64(Int32.max))
        let n = Int32(r.numerator)
        return (x < 0 ? -n : n, Int32(r.denominator))
    }
}
