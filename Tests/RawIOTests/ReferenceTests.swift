import Foundation
import Testing
@testable import RawIO

/// What the independent reference (rawpy/LibRaw 0.22 plus the tags the writer put in) says about
/// one DNG fixture, gathered from the two JSON layouts of `reference/` and `real/`.
struct Reference {
    var width: Int
    var height: Int
    var cfa: String
    var blackLevelsCFA: [Double]
    var blackLevelsPacked: [Double]
    var whiteLevel: Int
    var sha256: String
    var sum: Int
    var min: Int
    var max: Int
    var samples: [(row: Int, column: Int, value: Int)]
    var make: String
    var model: String
    var asShotNeutral: [Double]?
    /// (illuminant, 9 values) per DNG colour matrix, in tag order.
    var colorMatrices: [(illuminant: Int, values: [Double])]
    var exposureTime: Double?
    /// Per packed channel (R, Gr, Gb, B): mean, min, max of the raw values, where recorded.
    var perChannel: [(mean: Double, min: Int, max: Int)]?
    /// The expected packed file in `expected/`, where there is one.
    var packedFile: String?
    var packedShape: [Int]?

    static func number(_ any: Any?) -> Double? { (any as? NSNumber)?.doubleValue }
    static func numbers(_ any: Any?) -> [Double]? { (any as? [Any])?.compactMap { number($0) } }

    /// DNG rationals as tifffile lists them flat (`[n0, d0, n1, d1, ...]`).
    static func rationals(_ any: Any?) -> [Double]? {
        guard let flat = numbers(any), flat.count % 2 == 0 else { return nil }
        return stride(from: 0, to: flat.count, by: 2).map { flat[$0] / flat[$0 + 1] }
    }

    init(fixture: String) throws {
        let stem = (fixture as NSString).lastPathComponent.replacingOccurrences(of: ".dng", with: "")
        let isReal = fixture.hasPrefix("real/")
        let json = try Fixtures.json(isReal ? "real/\(stem).json" : "reference/\(stem).json")
        func int(_ key: String, _ dict: [String: Any]) throws -> Int {
            guard let v = Self.number(dict[key]) else { throw FixtureError.malformed("\(stem): \(key)") }
            return Int(v)
        }
        width = try int("width", json)
        height = try int("height", json)
        cfa = json["cfa"] as? String ?? ""
        blackLevelsCFA = Self.numbers(json["black_levels_cfa"]) ?? []
        blackLevelsPacked = Self.numbers(json["black_levels_packed"]) ?? []
        whiteLevel = try int("white_level", json)
        guard let visible = json["raw_image_visible"] as? [String: Any] else { throw FixtureError.malformed("\(stem): raw_image_visible") }
        sha256 = (visible["sha256_le_u16_rowmajor"] ?? visible["sha256_uint16le_rowmajor"]) as? String ?? ""
        sum = try int("sum", visible)
        min = try int("min", visible)
        max = try int("max", visible)
        if let list = visible["samples"] as? [[String: Any]] {
            samples = list.map { (Int(Self.number($0["row"]) ?? -1), Int(Self.number($0["col"]) ?? -1), Int(Self.number($0["value"]) ?? -1)) }
        } else if let list = visible["samples_row_col_value"] as? [[Any]] {
            samples = list.map { t in (Int(Self.number(t[0]) ?? -1), Int(Self.number(t[1]) ?? -1), Int(Self.number(t[2]) ?? -1)) }
        } else {
            samples = []
        }
        if let channels = visible["per_cfa_channel"] as? [String: [String: Any]] {
            perChannel = ["R", "Gr", "Gb", "B"].map { name in
                let c = channels[name] ?? [:]
                return (Self.number(c["mean"]) ?? .nan, Int(Self.number(c["min"]) ?? -1), Int(Self.number(c["max"]) ?? -1))
            }
        }
        colorMatrices = []
        if isReal {
            // The real file: IFD0 tags as tifffile read them; make/model as LibRaw normalizes them.
            let tags = json["tiff_ifd0_tags"] as? [String: Any] ?? [:]
            let camera = json["camera"] as? [String: Any] ?? [:]
            let normalized = (camera["Normalized Make/Model"] as? String ?? "").split(separator: "=")
            make = normalized.count > 0 ? String(normalized[0]).components(separatedBy: "/").first ?? "" : ""
            model = normalized.count > 0 ? String(normalized[0]).components(separatedBy: "/").dropFirst().joined(separator: "/") : ""
            asShotNeutral = Self.rationals(tags["AsShotNeutral"])
            for k in 1...2 {
                if let m = Self.rationals(tags["ColorMatrix\(k)"]) {
                    colorMatrices.append((Int(Self.number(tags["CalibrationIlluminant\(k)"]) ?? 0), m))
                }
            }
            if let shutter = camera["Shutter"] as? String, let seconds = Double(shutter.replacingOccurrences(of: " sec", with: "")) {
                exposureTime = seconds
            }
        } else {
            let tags = json["dng_tags_written"] as? [String: Any] ?? [:]
            make = tags["Make"] as? String ?? ""
            model = tags["Model"] as? String ?? ""
            asShotNeutral = Self.numbers((tags["AsShotNeutral"] as? [String: Any])?["float"])
            for k in 1...2 {
                if let m = Self.numbers((tags["ColorMatrix\(k)"] as? [String: Any])?["float"]) {
                    colorMatrices.append((Int(Self.number(tags["CalibrationIlluminant\(k)"]) ?? 0), m))
                }
            }
            let expected = json["expected_packed"] as? [String: Any] ?? [:]
            packedFile = expected["file"] as? String
            packedShape = Self.numbers(expected["shape"])?.map { Int($0) }
        }
    }
}

@Suite("Reading DNGs against the independent references")
struct ReferenceTests {
    /// Every DNG with a reference: the synthetic ones of `dng/` and the real camera file.
    static let fixtures = [
        "dng/bggr-14bit-b512-64x48.dng",
        "dng/bggr-dual-illuminant-b512-w64000.dng",
        "dng/gbrg-10bit-packed-b64-96x64.dng",
        "dng/gbrg-14bit-perchan-black-64x48.dng",
        "dng/grbg-12bit-b64-odd-65x47.dng",
        "dng/grbg-12bit-packed-b64-64x48.dng",
        "dng/iphonex-like.dng",
        "dng/rggb-14bit-b64-1024x768.dng",
        "dng/rggb-16bit-b0-96x64.dng",
        "dng/s9-like.dng",
        "real/canon-eos-kiss-x4-magiclantern-14bit.dng",
    ]

    @Test("the fixture list covers every DNG in dng/ and real/")
    func fixtureListIsComplete() throws {
        let present = try Fixtures.names(in: "dng", withExtension: "dng").map { "dng/\($0)" }
            + Fixtures.names(in: "real", withExtension: "dng").map { "real/\($0)" }
        #expect(present.sorted() == Self.fixtures.sorted())
    }

    @Test("size, CFA, levels and the visible mosaic match the reference", arguments: fixtures)
    func mosaic(fixture: String) throws {
        let reference = try Reference(fixture: fixture)
        let image = try BayerImage(contentsOf: Fixtures.url(fixture))
        #expect(image.width == reference.width)
        #expect(image.height == reference.height)
        #expect(image.pattern.rawValue == reference.cfa)
        #expect(image.blackLevels.rowMajor == reference.blackLevelsCFA)
        #expect(image.packedBlackLevels == reference.blackLevelsPacked)
        #expect(image.whiteLevel == reference.whiteLevel)
        #expect(sha256Hex(littleEndian: image.samples) == reference.sha256)
        #expect(image.samples.reduce(0) { $0 + Int($1) } == reference.sum)
        #expect(Int(image.samples.min() ?? 0) == reference.min)
        #expect(Int(image.samples.max() ?? 0) == reference.max)
        #expect(!reference.samples.isEmpty)
        for s in reference.samples {
            #expect(Int(image[s.row, s.column]) == s.value, "sample at (\(s.row), \(s.column))")
        }
        if let channels = reference.perChannel {
            // Raw statistics per packed channel, gathered at the channel's CFA position.
            for channel in PackedChannel.allCases {
                let p = image.pattern.position(of: channel)
                var sum = 0, lo = Int.max, hi = 0, n = 0
                for r in stride(from: p.row, to: image.height, by: 2) {
                    for c in stride(from: p.column, to: image.width, by: 2) {
                        let v = Int(image[r, c])
                        sum += v; lo = Swift.min(lo, v); hi = Swift.max(hi, v); n += 1
                    }
                }
                let expected = channels[channel.rawValue]
                #expect(abs(Double(sum) / Double(n) - expected.mean) < 0.01, "mean of \(channel)")
                #expect(lo == expected.min, "min of \(channel)")
                #expect(hi == expected.max, "max of \(channel)")
            }
        }
    }

    @Test("make, model, as-shot neutral and colour matrices match the tags in the file", arguments: fixtures)
    func metadata(fixture: String) throws {
        let reference = try Reference(fixture: fixture)
        let meta = try BayerImage(contentsOf: Fixtures.url(fixture)).metadata
        #expect(meta.make == reference.make)
        #expect(meta.model == reference.model)
        let neutral = try #require(meta.asShotNeutral)
        let expectedNeutral = try #require(reference.asShotNeutral)
        #expect(neutral.count == 3)
        for (a, b) in zip(neutral, expectedNeutral) { #expect(abs(a - b) < 1e-6) }
        #expect(meta.colorMatrices.count == reference.colorMatrices.count)
        #expect(!reference.colorMatrices.isEmpty)
        for (m, e) in zip(meta.colorMatrices, reference.colorMatrices) {
            #expect(m.illuminant == e.illuminant)
            #expect(m.values.count == 9)
            for (a, b) in zip(m.values, e.values) { #expect(abs(a - b) < 1e-6) }
        }
        if let t = reference.exposureTime { #expect(meta.exposureTime == t) }
        #expect(meta.iso == nil)  // no fixture records an ISO speed
    }

    @Test("packing matches the expected packed values", arguments: fixtures.filter { $0.hasPrefix("dng/") })
    func packing(fixture: String) throws {
        let reference = try Reference(fixture: fixture)
        let packedFile = try #require(reference.packedFile)
        let shape = try #require(reference.packedShape)
        let bytes = try Fixtures.data(packedFile)
        let expected: [Float] = bytes.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
        let packed = try BayerImage(contentsOf: Fixtures.url(fixture)).packed()
        #expect([packed.height, packed.width, 4] == shape)
        #expect(packed.values.count == expected.count)
        var worst: Float = 0
        for (a, b) in zip(packed.values, expected) { worst = max(worst, abs(a - b)) }
        #expect(worst <= 1e-6, "largest difference \(worst)")
    }

    @Test("a DNG with an odd ActiveArea origin: pattern, black levels and samples agree")
    func oddActiveArea() throws {
        // Fixtures/synthetic/make_odd_activearea.py: CFAPattern RGGB and BlackLevel [10,20,30,40]
        // over a 2x2 repeat, both anchored at the ActiveArea origin (1,1); each sample holds
        // its colour code (500 R, 1500 G on R rows, 2500 G on B rows, 3500 B) plus its black.
        let image = try BayerImage(contentsOf: Fixtures.url("synthetic/odd-activearea-rggb.dng"))
        // LibRaw starts the visible area at the next even row/column, stored (2,2): a B site.
        #expect(image.width == 60 && image.height == 44)
        #expect(image[0, 0] == 3540)
        #expect(image.pattern == .bggr)
        #expect(image.blackLevels == [40, 30, 20, 10])
        #expect(image.packedBlackLevels == [10, 20, 30, 40])
        #expect(image.whiteLevel == 8000)
        // Every sample, minus the black level of its position, is the code of the colour the
        // pattern gives that position.
        let code: [CFAColor: Set<Int>] = [.red: [500], .green: [1500, 2500], .blue: [3500]]
        var mismatches = 0
        for r in 0..<image.height {
            for c in 0..<image.width {
                let value = Int(image[r, c]) - Int(image.blackLevel(row: r, column: c))
                if !(code[image.pattern.color(row: r, column: c)]!.contains(value)) { mismatches += 1 }
            }
        }
        #expect(mismatches == 0)
        // Packing subtracts each channel's own black: every packed value is its code.
        let packed = image.packed()
        let expected: [Float] = [500, 1500, 2500, 3500].enumerated().map { k, v in Float((Double(v)) / (8000 - [10.0, 20, 30, 40][k])) }
        for y in 0..<packed.height { for x in 0..<packed.width {
            let p = packed.pixel(y: y, x: x)
            for k in 0..<4 where abs(p[k] - expected[k]) > 1e-6 { mismatches += 1 }
        } }
        #expect(mismatches == 0)
    }
}
