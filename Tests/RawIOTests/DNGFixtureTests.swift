import Foundation
import Testing
@testable import RawIO

/// Checks the writer against a DNG it wrote earlier that independent tools (tifffile, rawpy,
/// exiftool -validate) have read: `Fixtures/written/written-grbg-48x32.dng` and its `.json`.
@Suite("DNG writer fixture")
struct DNGFixtureTests {
    /// The image the fixture holds (deterministic).
    static func fixtureImage() -> BayerImage {
        let m1 = ColorMatrix(illuminant: 17, values: [0.9812, -0.3546, -0.0621, -0.4012, 1.2073, 0.2155, -0.0798, 0.1725, 0.6342])
        let m2 = ColorMatrix(illuminant: 21, values: [0.7211, -0.1967, -0.0813, -0.4634, 1.2479, 0.2358, -0.0944, 0.1879, 0.6215])
        let meta = RawMetadata(make: "TestMake", model: "Writer Fixture", iso: 400, exposureTime: 1.0 / 60,
                               asShotNeutral: [0.5124, 1, 0.6871], colorMatrices: [m1, m2])
        var rng = WriteTestRandom(seed: 2024)
        let w = 48, h = 32
        var samples = [UInt16](repeating: 0, count: w * h)
        for y in 0..<h { for x in 0..<w {
            // A gradient plus noise; a saturated block and a below-black block.
            var v = 80 + (x * 3900) / w + (y * 50) / h + rng.int(in: 0...40)
            if y < 4 && x < 6 { v = 4095 }
            if y >= 28 && x >= 40 { v = 10 }
            samples[y * w + x] = UInt16(min(v, 4095))
        } }
        return BayerImage(width: w, height: h, samples: samples, pattern: .grbg,
                          blackLevels: [64, 66, 60, 62], whiteLevel: 4095, metadata: meta)
    }
}

extension DNGFixtureTests {
    static let stem = "written/written-grbg-48x32"

    @Test("the writer still produces the validated fixture, byte for byte")
    func sameBytes() throws {
        let fresh = try DNGWriter().encode(Self.fixtureImage(), path: "memory")
        let stored = [UInt8](WriteFixtures.data(Self.stem + ".dng"))
        #expect(fresh.count == stored.count)
        #expect(fresh == stored, "the DNG writer's output changed: re-validate it with dump_dng.py and update the fixture")
    }

    @Test("every tag tifffile read has the type, count and value we wrote")
    func tagsMatchTifffile() throws {
        let json = WriteFixtures.json(Self.stem + ".json")
        let tags = try #require(json["tifffile_tags"] as? [String: [String: Any]])
        let dump = try #require(TIFFDump(try DNGWriter().encode(Self.fixtureImage(), path: "memory")))
        #expect(Set(tags.keys.compactMap(Int.init)) == Set(dump.entries.map(\.tag)), "same set of IFD0 tags")
        for (key, tag) in tags {
            let code = try #require(Int(key))
            let entry = try #require(dump.entry(code), "tag \(code) missing")
            #expect(entry.type == tag["type"] as? Int, "type of tag \(code)")
            #expect(entry.count == tag["count"] as? Int, "count of tag \(code)")
            switch tag["value"] {
            case let s as String:
                #expect(dump.string(code) == s, "value of tag \(code)")
            case let n as Int where code != 34665:
                #expect(dump.integers(code) == [n], "value of tag \(code)")
            case let list as [Int]:
                #expect(dump.integers(code) == list, "value of tag \(code)")
            case let exif as [String: Any]:
                #expect(exif["ISOSpeedRatings"] as? Int == 400)
                #expect(exif["ExposureTime"] as? [Int] == [1, 60])
                #expect(exif["ExifVersion"] as? String == "0230")
                #expect(dump.integers(34855) == [400] && dump.integers(33434) == [1, 60])
                #expect(dump.integers(36864) == Array("0230".utf8).map(Int.init))
            default:
                Issue.record("unexpected JSON value for tag \(code): \(String(describing: tag["value"]))")
            }
        }
    }

    @Test("our reader agrees with tifffile and rawpy on the fixture")
    func readersAgree() throws {
        let json = WriteFixtures.json(Self.stem + ".json")
        let image = try BayerImage(contentsOf: WriteFixtures.url(Self.stem + ".dng"))
        let expected = Self.fixtureImage()
        #expect(image.samples == expected.samples)
        let rawpy = try #require(json["rawpy"] as? [String: Any])
        #expect(rawpy["width"] as? Int == image.width && rawpy["height"] as? Int == image.height)
        #expect(rawpy["cfa"] as? String == image.pattern.rawValue)
        #expect((rawpy["black_levels_cfa"] as? [Int])?.map(Double.init) == image.blackLevels.rowMajor)
        #expect(rawpy["white_level"] as? Int == image.whiteLevel)
        let wb = try #require(rawpy["camera_whitebalance"] as? [Double])
        #expect(abs(wb[0] - 1 / 0.5124) < 1e-5 && abs(wb[2] - 1 / 0.6871) < 1e-5)
        for stats in [try #require(rawpy["visible"] as? [String: Any]),
                      try #require(json["tifffile_image"] as? [String: Any])] {
            let s = image.samples.map(Int.init)
            #expect(stats["sum"] as? Int == s.reduce(0, +))
            let weighted = s.enumerated().reduce(UInt64(0)) { ($0 &+ UInt64($1.offset + 1) &* UInt64($1.element)) }
            #expect(stats["weighted_sum_mod_2_32"] as? Int == Int(weighted % (1 << 32)))
            #expect(stats["min"] as? Int == s.min() && stats["max"] as? Int == s.max())
            for p in try #require(stats["samples"] as? [[Int]]) {
                #expect(Int(image[p[0], p[1]]) == p[2])
            }
        }
    }
}
