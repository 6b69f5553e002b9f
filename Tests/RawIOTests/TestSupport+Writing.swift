import Foundation
@testable import RawIO

/// A folder under the system temporary directory, removed by `remove()`.
struct WriteTestFolder {
    let url: URL

    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("raw2raw-write-tests-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Names of the files in the folder (to check no temporary file is left behind).
    func contents() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// A deterministic pseudo-random generator for test data (PCG-style LCG).
struct WriteTestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1 }
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state >> 17
    }
    mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }
    mutating func unit() -> Double { Double(next() % (1 << 40)) / Double(1 << 40) }
}

/// The fixture folder copied into the test bundle.
enum WriteFixtures {
    static func url(_ relative: String) -> URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(relative)
    }

    static func data(_ relative: String) -> Data { try! Data(contentsOf: url(relative)) }

    static func json(_ relative: String) -> [String: Any] {
        try! JSONSerialization.jsonObject(with: data(relative)) as! [String: Any]
    }

    /// Numbers stored in JSON as Python `repr` strings (Foundation's JSON number parsing on
    /// Linux is not correctly rounded; Swift's `Double(String)` is).
    static func doubles(_ json: Any?) -> [Double]? {
        (json as? [String])?.map { Double($0)! }
    }

    static func float32s(_ relative: String) -> [Float] {
        let d = data(relative)
        return d.withUnsafeBytes { raw in
            (0..<(d.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }

    static func float64s(_ relative: String) -> [Double] {
        let d = data(relative)
        return d.withUnsafeBytes { raw in
            (0..<(d.count / 8)).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self))) }
        }
    }
}

/// A minimal, independent TIFF reader for checking the structure of the DNGs we write.
struct TIFFDump {
    struct Entry {
        var tag: Int
        var type: Int
        var count: Int
        /// Where the value lives (inside the entry for <= 4 bytes).
        var valueOffset: Int
        var isInline: Bool
    }

    let bytes: [UInt8]
    /// IFD0.
    let entries: [Entry]
    /// The EXIF sub-IFD pointed to by tag 34665, if any.
    let exifEntries: [Entry]

    init?(_ bytes: [UInt8]) {
        self.bytes = bytes
        guard bytes.count >= 8, bytes[0] == 0x49, bytes[1] == 0x49, bytes[2] == 42, bytes[3] == 0 else { return nil }
        func u16(_ o: Int) -> Int { Int(bytes[o]) | Int(bytes[o + 1]) << 8 }
        func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }
        func ifd(at offset: Int) -> [Entry]? {
            guard offset + 2 <= bytes.count else { return nil }
            let n = u16(offset)
            guard offset + 2 + 12 * n + 4 <= bytes.count else { return nil }
            var es: [Entry] = []
            for i in 0..<n {
                let p = offset + 2 + 12 * i
                let type = u16(p + 2), count = u32(p + 4)
                guard (1...12).contains(type) else { return nil }
                let size = [0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8][type] * count
                let valueOffset = size <= 4 ? p + 8 : u32(p + 8)
                guard valueOffset + size <= bytes.count else { return nil }
                es.append(Entry(tag: u16(p), type: type, count: count, valueOffset: valueOffset, isInline: size <= 4))
            }
            guard u32(offset + 2 + 12 * n) == 0 else { return nil }
            return es
        }
        guard let ifd0 = ifd(at: u32(4)) else { return nil }
        entries = ifd0
        if let pointer = ifd0.first(where: { $0.tag == 34665 }) {
            guard let exif = ifd(at: u32(pointer.valueOffset)) else { return nil }
            exifEntries = exif
        } else {
            exifEntries = []
        }
    }

    /// The entry with `tag` in IFD0 or the EXIF IFD.
    func entry(_ tag: Int) -> Entry? { (entries + exifEntries).first { $0.tag == tag } }

    private func u16(_ o: Int) -> Int { Int(bytes[o]) | Int(bytes[o + 1]) << 8 }
    private func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }

    /// The values of a BYTE/SHORT/LONG/RATIONAL/SRATIONAL entry as Doubles; ASCII as nil.
    func numbers(_ tag: Int) -> [Double]? {
        guard let e = entry(tag) else { return nil }
        let o = e.valueOffset
        switch e.type {
        case 1: return (0..<e.count).map { Double(bytes[o + $0]) }
        case 3: return (0..<e.count).map { Double(u16(o + 2 * $0)) }
        case 4: return (0..<e.count).map { Double(u32(o + 4 * $0)) }
        case 5: return (0..<e.count).map { Double(u32(o + 8 * $0)) / Double(u32(o + 8 * $0 + 4)) }
        case 10: return (0..<e.count).map {
            Double(Int32(truncatingIfNeeded: u32(o + 8 * $0))) / Double(Int32(truncatingIfNeeded: u32(o + 8 * $0 + 4)))
        }
        default: return nil
        }
    }

    /// The stored integers of a BYTE/SHORT/LONG/RATIONAL/SRATIONAL/UNDEFINED entry
    /// (rationals as numerator, denominator pairs; SRATIONAL signed).
    func integers(_ tag: Int) -> [Int]? {
        guard let e = entry(tag) else { return nil }
        let o = e.valueOffset
        switch e.type {
        case 1, 7: return (0..<e.count).map { Int(bytes[o + $0]) }
        case 3: return (0..<e.count).map { u16(o + 2 * $0) }
        case 4: return (0..<e.count).map { u32(o + 4 * $0) }
        case 5: return (0..<(2 * e.count)).map { u32(o + 4 * $0) }
        case 10: return (0..<(2 * e.count)).map { Int(Int32(truncatingIfNeeded: u32(o + 4 * $0))) }
        default: return nil
        }
    }

    func string(_ tag: Int) -> String? {
        guard let e = entry(tag), e.type == 2 else { return nil }
        let b = bytes[e.valueOffset..<(e.valueOffset + e.count)]
        guard b.last == 0 else { return nil }
        return String(decoding: b.dropLast(), as: UTF8.self)
    }
}
