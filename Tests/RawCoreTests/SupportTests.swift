import Foundation
import Testing
@testable import RawCore
import RawSupport

@Suite struct GeneratorTests {
    /// SplitMix64's published first outputs for seed 0, and xoshiro256** outputs for the state
    /// seeded by SplitMix64(5), computed by a separate Python transcription of Vigna's C code.
    @Test func generatorIsTheReferenceAlgorithm() {
        var sm = SplitMix64(seed: 0)
        #expect(sm.next() == 0xE220_A839_7B1D_CDAF)
        #expect(sm.next() == 0x6E78_9E6A_A1B9_65F4)
        var a = SeededGenerator(seed: 5), c = SeededGenerator(seed: 6)
        let xs = (0..<4).map { _ in a.next() }
        #expect(xs == [0x49D5_5178_CA54_CF69, 0x9A22_115A_4D26_24DC, 0xA648_B1CC_F0BB_BBAE, 0xD251_1E20_DE93_3BC5])
        #expect(xs != (0..<4).map { _ in c.next() })
        // FNV-1a 64: "", "a" and "foobar" are the published test vectors (Fowler/Noll/Vo); the preset
        // names were computed independently with Python:
        //   h = 0xcbf29ce484222325; for b in s.encode(): h = ((h ^ b) * 0x100000001b3) % 2**64
        #expect(stableHash("") == 0xCBF2_9CE4_8422_2325)
        #expect(stableHash("a") == 0xAF63_DC4C_8601_EC8C)
        #expect(stableHash("foobar") == 0x8594_4171_F739_67E8)
        #expect(stableHash("iphonex-like") == 0xDF76_078D_CC41_D01C)
        #expect(stableHash("s9-like") == 0x56F1_B6D8_F6DA_C947)
    }

    @Test func stateRoundTripsThroughJSONAndContinuesTheSequence() throws {
        var g = SeededGenerator(seed: 77)
        for _ in 0..<10 { _ = g.next() }
        let data = try JSONEncoder().encode(g)
        #expect(String(decoding: data, as: UTF8.self).hasPrefix("{\"state\":["))
        var restored = try JSONDecoder().decode(SeededGenerator.self, from: data)
        var copy = SeededGenerator(state: g.state)
        let expected = (0..<5).map { _ in g.next() }
        #expect((0..<5).map { _ in restored.next() } == expected)
        #expect((0..<5).map { _ in copy.next() } == expected)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(SeededGenerator.self, from: Data("{\"state\":[0,0,0,0]}".utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(SeededGenerator.self, from: Data("{\"state\":[1,2,3]}".utf8)) }
    }

    @Test func samplersStayInRangeWithTheirMoments() {
        var g = SeededGenerator(seed: 99)
        let n = 50_000
        let normals = (0..<n).map { _ in Double(g.nextNormal()) }
        let mean = normals.reduce(0, +) / Double(n)
        let variance = normals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
        #expect(abs(mean) < 0.02 && abs(variance - 1) < 0.03)
        let u = (0..<n).map { _ in g.nextUniform() }
        #expect(u.allSatisfy { $0 >= 0 && $0 < 1 })
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 { counts[g.nextInt(below: 7)] += 1 }
        #expect(counts.allSatisfy { abs($0 - 10_000) < 500 })
        // A derived stream differs from its parent's and does not advance it.
        let before = g
        var d = g.derived(stream: 1)
        #expect(g == before && d.next() != g.next())
    }
}

@Suite struct NumericsTests {
    /// Expected values from NumPy 1.26 `np.quantile([3,1,4,1,5,9,2,6], q)` (method "linear").
    @Test func quantileMatchesNumPy() {
        let data: [Double] = [3, 1, 4, 1, 5, 9, 2, 6]
        let expected: [(Double, Double)] = [(0, 1.0), (0.25, 1.75), (0.5, 3.5), (0.9, 6.8999999999999995), (1, 9.0)]
        for (q, e) in expected {
            var v = data
            #expect(abs(Numerics.quantile(&v, q) - e) < 1e-12, "q = \(q)")
        }
    }

    /// Selection gives exactly the order statistics of a full sort, on data with many ties too.
    @Test(arguments: [1, 2, 7, 1000, 100_001])
    func quantileBySelectionEqualsSorting(_ n: Int) {
        var g = SeededGenerator(seed: UInt64(n))
        let data = (0..<n).map { i in i % 3 == 0 ? Double(g.nextInt(below: 5)) : g.nextUniformDouble() }
        let sorted = data.sorted()
        for q in [0.0, 0.01, 0.25, 0.5, 0.9, 0.98, 0.995, 1.0] {
            let position = q * Double(n - 1)
            let lo = Int(position.rounded(.down)), hi = min(lo + 1, n - 1), f = position - Double(lo)
            let expected = sorted[lo] * (1 - f) + sorted[hi] * f
            var v = data
            #expect(Numerics.quantile(&v, q) == expected, "n = \(n), q = \(q)")
        }
    }

    @Test func atomicWritersTemporariesAreRecognisedByTheirDestination() throws {
        let folder = FileManager.default.temporaryDirectory
        let temporary = try AtomicFile.temporaryURL(for: folder.appendingPathComponent("test_0001.dng"))
        #expect(AtomicFile.destinationName(ofTemporary: temporary.lastPathComponent) == "test_0001.dng")
        for other in ["test_0001.dng", ".hidden", "x.tmp", ".tmp", "..tmp", ".test.partial-9.mat"] {
            #expect(AtomicFile.destinationName(ofTemporary: other) == nil, "\(other)")
        }
    }

    @Test func clipUnitSendsNaNToZero() {
        #expect(Numerics.clipUnit([-0.5, 0.25, 1.5, .nan, .infinity, -.infinity]) == [0, 0.25, 1, 0, 1, 0])
    }

    @Test func evenSubsampleKeepsEveryStrideThPixel() {
        // 5x7 image whose value encodes its coordinates.
        let h = 5, w = 7
        var values = [Float](repeating: 0, count: h * w * 4)
        for y in 0..<h { for x in 0..<w { for c in 0..<4 { values[(y * w + x) * 4 + c] = Float(100 * y + 10 * x + c) } } }
        let image = PackedImage(height: h, width: w, values: values)
        #expect(image.evenSubsample(maxPixels: 35) == image)
        // Stride 2 leaves 3x4 = 12 pixels; stride 3 leaves 2x3 = 6.
        let s2 = image.evenSubsample(maxPixels: 12)
        #expect(s2.height == 3 && s2.width == 4)
        #expect(s2[2, 3, .blue] == Float(100 * 4 + 10 * 6 + 3))
        let s3 = image.evenSubsample(maxPixels: 11)
        #expect(s3.height == 2 && s3.width == 3)
        #expect(s3[1, 2, .red] == Float(100 * 3 + 10 * 6))
    }

    @Test(arguments: [1, 2, 3])
    func parallelLoopsGiveTheSameResultForAnyThreadCount(_ threads: Int) {
        let n = 100_003
        let sum = ComputeConfiguration.withThreadCount(threads) {
            Parallel.sum(count: n, block: 1000) { r in r.reduce(0.0) { $0 + 1 / Double($1 + 1) } }
        }
        let serial = (0..<n).reduce(0.0) { $0 + 1 / Double($1 + 1) }
        #expect(abs(sum - serial) < 1e-9)
        let squares = ComputeConfiguration.withThreadCount(threads) { Parallel.map(50) { $0 * $0 } }
        #expect(squares == (0..<50).map { $0 * $0 })
        #expect(ComputeConfiguration.withThreadCount(threads) { ComputeConfiguration.threadCount } == threads)
    }
}

@Suite struct ImageValueTests {
    @Test func blackLevelsFollowTheCFAPhase() throws {
        let levels = BlackLevels(rowMajor: [10, 20, 30, 40])
        #expect(levels[row: 0, column: 0] == 10 && levels[row: 3, column: 2] == 30)
        // GRBG: R at (0,1), Gr at (0,0), Gb at (1,1), B at (1,0).
        #expect(levels.packed(for: .grbg) == [20, 10, 40, 30])
        #expect(BlackLevels(packed: [20, 10, 40, 30], pattern: .grbg) == levels)
        let json = try JSONEncoder().encode(levels)
        #expect(String(decoding: json, as: UTF8.self) == "[10,20,30,40]")
        #expect(try JSONDecoder().decode(BlackLevels.self, from: json) == levels)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(BlackLevels.self, from: Data("[1,2,3]".utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(BlackLevels.self, from: Data("[1,2,3,-4]".utf8)) }
    }

    @Test func packingUsesThePerPositionBlackLevels() {
        // 2x2 RGGB mosaic, white 1000, black 100/0/0/200: each channel maps to (x - b) / (1000 - b).
        let bayer = BayerImage(width: 2, height: 2, samples: [550, 500, 250, 600], pattern: .rggb,
                               blackLevels: BlackLevels(rowMajor: [100, 0, 0, 200]), whiteLevel: 1000)
        let p = bayer.packed()
        #expect(p.values == [0.5, 0.5, 0.25, 0.5])
        #expect(p.mosaic(pattern: .rggb, blackLevels: bayer.blackLevels, whiteLevel: 1000).samples == bayer.samples)
    }

    @Test func elementsChangeButTheSizeStays() {
        var image = PackedImage(height: 2, width: 3)
        image.values[5] = 0.5
        image[1, 2, .blue] = 0.25
        #expect(image.values[5] == 0.5 && image.values[(1 * 3 + 2) * 4 + 3] == 0.25)
        var bayer = BayerImage(width: 2, height: 2, samples: [1, 2, 3, 4], pattern: .bggr,
                               blackLevels: BlackLevels(uniform: 0), whiteLevel: 100)
        bayer.samples[3] = 9
        bayer[0, 0] = 7
        #expect(bayer.samples == [7, 2, 3, 9])
    }
}

@Suite struct RawCoreArticleExample {
    /// The example of the RawCore DocC article, run: packing and unpacking with the same levels
    /// gives back every sample within [black, white].
    @Test func packAndUnpackRoundTrip() {
        let mosaic = BayerImage(width: 4, height: 4, samples: [UInt16](repeating: 600, count: 16),
                                pattern: .grbg, blackLevels: [528, 528, 528, 528], whiteLevel: 4095)
        let packed = mosaic.packed()
        #expect(packed.height == 2 && packed.width == 2)
        #expect(abs(Double(packed.values[0]) - (600.0 - 528) / (4095 - 528)) < 1e-7)
        let back = packed.mosaic(pattern: .grbg, blackLevels: mosaic.blackLevels, whiteLevel: 4095)
        #expect(back == mosaic)
    }
}
