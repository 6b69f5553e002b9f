import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A defensive check of the IFD structure of a TIFF-based file (DNG and the TIFF-based camera raw
/// formats: NEF, CR2, ARW, PEF, ...), run before LibRaw sees the file.
///
/// LibRaw trusts offsets and byte counts: it happily "decodes" pixel data that lies gigabytes past
/// the end of the file (reading zeros) or ignores a byte count that claims 2 GiB. This walk rejects
/// such files with a `.corrupt` error that says what is wrong. It reads only the IFDs and a few
/// small arrays (never the pixel data) and is bounded everywhere:
///
/// - IFD0, its chain of next IFDs and the `SubIFDs` of each (nested at most ``maxDepth`` deep),
///   at most ``maxIFDs`` IFDs in all; a chain that loops back is corrupt, an IFD reached twice
///   through `SubIFDs` is walked once. The EXIF and GPS IFDs are checked only for their entry
///   table fitting in the file (maker notes inside them use private offset conventions).
/// - Every entry of a known TIFF field type must have its value inside the file. Entries of an
///   unknown field type are skipped (TIFF 6.0 asks readers to ignore them), unless they are one of
///   the tags that describe the image layout.
/// - Every strip and tile (`StripOffsets`/`StripByteCounts`, `TileOffsets`/`TileByteCounts`) and
///   the old-style JPEG thumbnail (`JPEGInterchangeFormat`) must lie inside the file; offsets and
///   byte counts must come in equal numbers; `BitsPerSample` must be 1...64.
/// - In a DNG (IFD0 holds `DNGVersion`), where the layout rules are unambiguous, each image IFD
///   must also hold as many strips or tiles as its size needs, and uncompressed ones must hold at
///   least the bytes their size and bit depth need. Other TIFF-based raw formats are not held to
///   this, since some cameras (and LibRaw) infer the packing of uncompressed data from its size.
///   JPEG-compressed strips and tiles of a DNG must start with a JPEG SOI marker.
enum TIFFStructure {
    /// The most IFDs one file may hold.
    static let maxIFDs = 512
    /// The deepest nesting of `SubIFDs`.
    static let maxDepth = 8

    /// A CFA image IFD of a DNG: its stored size and where its `ActiveArea` starts.
    struct DNGCFAImage: Equatable {
        var width: Int
        var height: Int
        var activeAreaTop: Int
        var activeAreaLeft: Int
    }

    /// Checks a file that starts with a classic TIFF header (`II*\0` or `MM\0*`); returns the
    /// CFA image IFDs when the file is a DNG.
    static func check(_ file: RawFileReader) throws(RawIOError) -> [DNGCFAImage] {
        var walker = try Walker(file: file)
        try walker.run()
        return walker.cfaImages
    }
}

/// Random access to a file by byte ranges (`pread(2)`), with every read bounds-checked against
/// its size. Owns its file descriptor and closes it in `deinit`.
final class RawFileReader {
    let path: String
    let size: UInt64
    private let descriptor: Int32

    init(path: String, size: UInt64) throws(RawIOError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw .unreadable(path: path, reason: "it cannot be opened for reading (\(String(cString: strerror(errno))))")
        }
        self.path = path
        self.size = size
        self.descriptor = fd
    }

    deinit { close(descriptor) }

    /// Reads `count` bytes at `offset`; the caller has checked that the range lies in the file.
    func read(at offset: UInt64, count: Int) throws(RawIOError) -> [UInt8] {
        precondition(count >= 0 && offset + UInt64(count) <= size, "read of \(count) bytes at \(offset) is outside the file")
        var failure: RawIOError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var done = 0
            while done < count {
                let n = pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                if n > 0 { done += n; continue }
                if n < 0 && errno == EINTR { continue }
                failure = n == 0
                    ? .unreadable(path: path, reason: "the file became shorter while it was read (\(done) of \(count) bytes at byte \(offset))")
                    : .unreadable(path: path, reason: "reading \(count) bytes at byte \(offset) failed: \(String(cString: strerror(errno)))")
                break
            }
            initialized = failure == nil ? count : 0
        }
        if let failure { throw failure }
        return bytes
    }
}

extension TIFFStructure {
    /// `a * b * c`, or `UInt64.max` when that overflows (declared sizes are untrusted).
    static func saturatingProduct(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 {
        let (ab, o1) = a.multipliedReportingOverflow(by: b)
        let (abc, o2) = ab.multipliedReportingOverflow(by: c)
        return o1 || o2 ? .max : abc
    }

    /// The bytes that hold `bits` bits (saturating).
    static func bytes(forBits bits: UInt64) -> UInt64 { bits == .max ? .max : (bits + 7) / 8 }

    /// TIFF field types and their sizes in bytes (TIFF 6.0 plus the IFD type of TIFF-EP).
    static func fieldSize(_ type: UInt16) -> UInt64? {
        switch type {
        case 1, 2, 6, 7: return 1        // BYTE, ASCII, SBYTE, UNDEFINED
        case 3, 8: return 2              // SHORT, SSHORT
        case 4, 9, 11, 13: return 4      // LONG, SLONG, FLOAT, IFD
        case 5, 10, 12: return 8         // RATIONAL, SRATIONAL, DOUBLE
        default: return nil
        }
    }

    static func tagName(_ tag: UInt16) -> String {
        switch tag {
        case 256: return "ImageWidth"
        case 257: return "ImageLength"
        case 258: return "BitsPerSample"
        case 259: return "Compression"
        case 273: return "StripOffsets"
        case 277: return "SamplesPerPixel"
        case 278: return "RowsPerStrip"
        case 279: return "StripByteCounts"
        case 284: return "PlanarConfiguration"
        case 322: return "TileWidth"
        case 323: return "TileLength"
        case 324: return "TileOffsets"
        case 325: return "TileByteCounts"
        case 330: return "SubIFDs"
        case 513: return "JPEGInterchangeFormat"
        case 514: return "JPEGInterchangeFormatLength"
        case 34665: return "ExifIFD"
        case 34853: return "GPSInfoIFD"
        case 50706: return "DNGVersion"
        default: return "tag \(tag)"
        }
    }

    /// Tags that describe the image layout: an unknown field type or a missing value is corruption.
    static let layoutTags: Set<UInt16> = [256, 257, 258, 259, 273, 277, 278, 279, 284, 322, 323, 324, 325, 330, 513, 514, 34665, 34853]

    /// One IFD entry; `valueOffset` is where its value lives (inside the entry when it fits in 4 bytes).
    struct Entry {
        var tag: UInt16
        var type: UInt16
        var count: UInt64
        var valueOffset: UInt64
        var byteLength: UInt64
    }

    struct Walker {
        let file: RawFileReader
        let bigEndian: Bool
        var path: String { file.path }
        var visited: Set<UInt64> = []
        var ifdCount = 0
        var isDNG = false
        var cfaImages: [DNGCFAImage] = []

        init(file: RawFileReader) throws(RawIOError) {
            self.file = file
            let header = try file.read(at: 0, count: 4)
            bigEndian = header[0] == 0x4D
        }

        func u16(_ b: [UInt8], _ i: Int) -> UInt16 {
            bigEndian ? UInt16(b[i]) << 8 | UInt16(b[i + 1]) : UInt16(b[i + 1]) << 8 | UInt16(b[i])
        }

        func u32(_ b: [UInt8], _ i: Int) -> UInt32 {
            let v = UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
            return bigEndian ? v.byteSwapped : v
        }

        func corrupt(_ reason: String) -> RawIOError { .corrupt(path: path, reason: reason) }

        mutating func run() throws(RawIOError) {
            guard file.size >= 8 else {
                throw corrupt("the TIFF header needs 8 bytes, the file holds \(file.size)")
            }
            let header = try file.read(at: 4, count: 4)
            let first = UInt64(u32(header, 0))
            // IFD0 decides whether the DNG layout rules apply.
            isDNG = try ifd0HasDNGVersion(at: first)
            var offset = first
            var index = 0
            while offset != 0 {
                if visited.contains(offset) {
                    throw corrupt("the chain of IFDs loops back to byte \(offset) (IFD\(index))")
                }
                offset = try walkIFD(at: offset, name: "IFD\(index)", depth: 0)
                index += 1
            }
        }

        /// Reads the entry table of the IFD at `offset`; checks that it lies in the file.
        func readEntries(at offset: UInt64, name: String) throws(RawIOError) -> (entries: [Entry], next: UInt64) {
            guard offset >= 8 else {
                throw corrupt("\(name) is said to start at byte \(offset), inside the 8-byte TIFF header")
            }
            guard offset + 2 <= file.size else {
                throw corrupt("\(name) is said to start at byte \(offset), but the file ends at byte \(file.size)")
            }
            let n = UInt64(u16(try file.read(at: offset, count: 2), 0))
            guard n > 0 else { throw corrupt("\(name) at byte \(offset) holds no entries") }
            let tableBytes = 12 * n + 4
            guard offset + 2 + tableBytes <= file.size else {
                throw corrupt("\(name) at byte \(offset) declares \(n) entries (\(tableBytes) bytes), which run past the end of the file at byte \(file.size)")
            }
            let table = try file.read(at: offset + 2, count: Int(tableBytes))
            var entries: [Entry] = []
            entries.reserveCapacity(Int(n))
            for i in 0..<Int(n) {
                let b = i * 12
                let tag = u16(table, b), type = u16(table, b + 2)
                let count = UInt64(u32(table, b + 4))
                guard let size = TIFFStructure.fieldSize(type) else {
                    if TIFFStructure.layoutTags.contains(tag) {
                        throw corrupt("\(TIFFStructure.tagName(tag)) in \(name) has field type \(type), which is not a TIFF type")
                    }
                    continue  // unknown types are ignored (TIFF 6.0)
                }
                let length = count * size  // count < 2^32, size <= 8: no overflow
                let valueOffset = length <= 4 ? offset + 2 + UInt64(b) + 8 : UInt64(u32(table, b + 8))
                if length > 4 && valueOffset + length > file.size {
                    throw corrupt("\(TIFFStructure.tagName(tag)) in \(name) holds \(count) values at byte \(valueOffset), which run past the end of the file at byte \(file.size)")
                }
                entries.append(Entry(tag: tag, type: type, count: count, valueOffset: valueOffset, byteLength: length))
            }
            let next = UInt64(u32(table, Int(tableBytes) - 4))
            return (entries, next)
        }

        func ifd0HasDNGVersion(at offset: UInt64) throws(RawIOError) -> Bool {
            try readEntries(at: offset, name: "IFD0").entries.contains { $0.tag == 50706 }
        }

        /// The unsigned integer values of a BYTE, SHORT, LONG or IFD entry.
        func integers(_ e: Entry, in name: String) throws(RawIOError) -> [UInt64] {
            switch e.type {
            case 1, 3, 4, 13: break
            default:
                throw corrupt("\(TIFFStructure.tagName(e.tag)) in \(name) has field type \(e.type), not an unsigned integer type")
            }
            let bytes = try file.read(at: e.valueOffset, count: Int(e.byteLength))
            let n = Int(e.count)
            var out = [UInt64](repeating: 0, count: n)
            switch e.type {
            case 1: for i in 0..<n { out[i] = UInt64(bytes[i]) }
            case 3: for i in 0..<n { out[i] = UInt64(u16(bytes, 2 * i)) }
            default: for i in 0..<n { out[i] = UInt64(u32(bytes, 4 * i)) }
            }
            return out
        }

        func scalar(_ entries: [UInt16: Entry], _ tag: UInt16, in name: String) throws(RawIOError) -> UInt64? {
            guard let e = entries[tag] else { return nil }
            guard e.count >= 1 else { throw corrupt("\(TIFFStructure.tagName(tag)) in \(name) holds no value") }
            return try integers(e, in: name)[0]
        }

        /// Walks one IFD and its SubIFDs; returns the offset of the next IFD in its chain (0 at the end).
        mutating func walkIFD(at offset: UInt64, name: String, depth: Int) throws(RawIOError) -> UInt64 {
            visited.insert(offset)
            ifdCount += 1
            guard ifdCount <= TIFFStructure.maxIFDs else {
                throw corrupt("the file holds more than \(TIFFStructure.maxIFDs) IFDs")
            }
            let (list, next) = try readEntries(at: offset, name: name)
            var entries: [UInt16: Entry] = [:]
            for e in list where entries[e.tag] == nil { entries[e.tag] = e }

            try checkImageData(entries, name: name)
            if isDNG, try scalar(entries, 262, in: name) == 32803,
               let w = try scalar(entries, 256, in: name), let h = try scalar(entries, 257, in: name) {
                var top: UInt64 = 0, left: UInt64 = 0
                if let area = entries[50829] {
                    let v = try integers(area, in: name)
                    guard v.count == 4, v[0] < v[2], v[1] < v[3], v[2] <= h, v[3] <= w else {
                        throw corrupt("ActiveArea \(v) of \(name) does not lie within its \(w)x\(h) image")
                    }
                    (top, left) = (v[0], v[1])
                }
                cfaImages.append(DNGCFAImage(width: Int(w), height: Int(h), activeAreaTop: Int(top), activeAreaLeft: Int(left)))
            }

            for tag: UInt16 in [34665, 34853] {
                if let pointer = try scalar(entries, tag, in: name), pointer != 0 {
                    _ = try readEntries(at: pointer, name: "\(TIFFStructure.tagName(tag)) of \(name)")
                }
            }
            if let sub = entries[330] {
                guard depth + 1 <= TIFFStructure.maxDepth else {
                    throw corrupt("SubIFDs are nested more than \(TIFFStructure.maxDepth) deep")
                }
                for (i, child) in try integers(sub, in: name).enumerated() where !visited.contains(child) {
                    var chained = child
                    var k = 0
                    while chained != 0 && !visited.contains(chained) {
                        chained = try walkIFD(at: chained, name: "SubIFD \(i)\(k > 0 ? ".\(k)" : "") of \(name)", depth: depth + 1)
                        k += 1
                    }
                }
            }
            return next
        }

        /// Checks strips, tiles and the JPEG thumbnail of one IFD.
        func checkImageData(_ entries: [UInt16: Entry], name: String) throws(RawIOError) {
            if let jpegOffset = try scalar(entries, 513, in: name) {
                let length = try scalar(entries, 514, in: name) ?? 0
                if jpegOffset + length > file.size {
                    throw corrupt("the JPEG thumbnail of \(name) (\(length) bytes at byte \(jpegOffset)) runs past the end of the file at byte \(file.size)")
                }
            }
            let tiled = entries[324] != nil
            let offsetsTag: UInt16 = tiled ? 324 : 273, countsTag: UInt16 = tiled ? 325 : 279
            let unit = tiled ? "tile" : "strip"
            guard let offsetsEntry = entries[offsetsTag] else { return }
            let offsets = try integers(offsetsEntry, in: name)
            var counts: [UInt64]? = nil
            if let countsEntry = entries[countsTag] {
                let c = try integers(countsEntry, in: name)
                guard c.count == offsets.count else {
                    throw corrupt("\(name) lists \(offsets.count) \(unit) offsets but \(c.count) \(unit) byte counts")
                }
                counts = c
            }
            for (i, start) in offsets.enumerated() {
                let length = counts?[i] ?? 0
                if start + length > file.size || (counts == nil && start >= file.size) {
                    throw corrupt("\(unit) \(i) of \(name) (\(length) bytes at byte \(start)) runs past the end of the file at byte \(file.size)")
                }
            }

            let samples = try scalar(entries, 277, in: name) ?? 1
            let bits = try entries[258].map { e throws(RawIOError) in try integers(e, in: name) } ?? [1]
            guard samples >= 1 && samples <= 16 else {
                throw corrupt("\(name) declares \(samples) samples per pixel")
            }
            for b in bits where b < 1 || b > 64 {
                throw corrupt("\(name) declares \(b) bits per sample")
            }
            guard isDNG else { return }

            // DNG: the strips or tiles must cover the image, uncompressed ones with enough bytes.
            guard let width = try scalar(entries, 256, in: name), let height = try scalar(entries, 257, in: name) else {
                throw corrupt("\(name) holds image data but no ImageWidth/ImageLength")
            }
            guard width > 0 && height > 0 else { throw corrupt("\(name) declares an image of \(width)x\(height) pixels") }
            let planar = try scalar(entries, 284, in: name) ?? 1
            let planes: UInt64 = planar == 2 ? samples : 1
            let bitsPerPixel = planar == 2 ? bits[0] : (bits.count >= Int(samples) ? bits.prefix(Int(samples)).reduce(0, +) : bits[0] * samples)
            let compression = try scalar(entries, 259, in: name) ?? 1

            var needed: [UInt64] = []  // bytes each strip or tile needs uncompressed
            if tiled {
                guard let tw = try scalar(entries, 322, in: name), let tl = try scalar(entries, 323, in: name), tw > 0, tl > 0 else {
                    throw corrupt("\(name) holds tiles but no valid TileWidth/TileLength")
                }
                let across = (width + tw - 1) / tw, down = (height + tl - 1) / tl
                let tiles = TIFFStructure.saturatingProduct(across, down, planes)
                guard UInt64(offsets.count) >= tiles else {
                    throw corrupt("\(name) is \(width)x\(height) in \(tw)x\(tl) tiles, which needs \(tiles) tiles, but it lists \(offsets.count)")
                }
                needed = [UInt64](repeating: TIFFStructure.bytes(forBits: TIFFStructure.saturatingProduct(tw, tl, bitsPerPixel)), count: Int(tiles))
            } else {
                var rows = try scalar(entries, 278, in: name) ?? height
                if rows == 0 || rows > height { rows = height }
                let perPlane = (height + rows - 1) / rows
                let strips = perPlane * planes
                guard UInt64(offsets.count) >= strips else {
                    throw corrupt("\(name) is \(height) rows in strips of \(rows) rows, which needs \(strips) strips, but it lists \(offsets.count)")
                }
                for s in 0..<strips {
                    let r = min(rows, height - (s % perPlane) * rows)
                    needed.append(TIFFStructure.bytes(forBits: TIFFStructure.saturatingProduct(r, width, bitsPerPixel)))
                }
            }
            if compression == 7 || compression == 34892 {
                // JPEG (lossless or baseline) and lossy-JPEG data start with an SOI marker; LibRaw
                // silently leaves the pixels at zero when they do not.
                for (i, start) in offsets.enumerated() {
                    let head = start + 2 <= file.size ? try file.read(at: start, count: 2) : []
                    if head != [0xFF, 0xD8] {
                        throw corrupt("JPEG-compressed \(unit) \(i) of \(name) at byte \(start) does not start with a JPEG SOI marker")
                    }
                }
            }
            guard compression == 1, let counts else { return }
            for (i, need) in needed.enumerated() where counts[i] < need {
                throw corrupt("uncompressed \(unit) \(i) of \(name) holds \(counts[i]) bytes, but \(width)x\(height) at \(bitsPerPixel) bits per pixel needs \(need)")
            }
        }
    }
}
