import Foundation
import RawIO
import Testing
@testable import Calibration

@Suite("Applying")
struct ApplyTests {
    /// The definition: evaluate each pixel in Double and clip.
    static func reference(_ mapping: ColorMapping, _ image: PackedImage) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(image.values.count)
        for y in 0..<image.height {
            for x in 0..<image.width {
                let p = image.pixel(y: y, x: x)
                let v = mapping.evaluate(SIMD4(Double(p[0]), Double(p[1]), Double(p[2]), Double(p[3])))
                for k in 0..<4 { out.append(min(max(v[k], 0), 1)) }
            }
        }
        return out
    }

    @Test("applying with BLAS equals evaluating every pixel, in Float and in Double", arguments: ColorMapping.Kind.allCases)
    func applyMatchesDefinition(kind: ColorMapping.Kind) {
        let mapping = plausibleMapping(kind, seed: 31)
        var rng = TestRandom(32)
        // 37 x 61 = 2257 pixels: three chunks, the last one partial; values up to 1.1 to exercise clipping.
        let image = rng.image(height: 37, width: 61, lo: 0, hi: 1.1)
        let expected = Self.reference(mapping, image)
        let single = mapping.apply(to: image)
        let double = mapping.apply(to: image, precision: .float64)
        #expect(maxAbsDifference(single.values.map(Double.init), expected) < 2e-6, "\(kind) float32")
        #expect(maxAbsDifference(double.values.map(Double.init), expected) < 1e-7, "\(kind) float64")
        #expect(single.values.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(mapping(image) == single)
        // Into a reused buffer holding garbage: every value is overwritten.
        var reused = PackedImage(height: 37, width: 61, values: [Float](repeating: .nan, count: 37 * 61 * 4))
        mapping.apply(to: image, into: &reused)
        #expect(reused == single)
        mapping.apply(to: image, into: &reused, precision: .float64)
        #expect(reused == double)
    }

    @Test("linear3x3 writes the mapped G into both greens and sees only their mean")
    func linear3x3Greens() throws {
        let m = try ColorMapping(kind: .linear3x3, coefficients: [0.8, 0.1, 0.05,
                                                                   0.15, 0.7, 0.1,
                                                                   0.02, 0.1, 0.9])
        var rng = TestRandom(33)
        var image = rng.image(height: 9, width: 7)
        let out = m.apply(to: image)
        for i in 0..<image.pixelCount { #expect(out.values[4 * i + 1] == out.values[4 * i + 2]) }
        // Swapping the two greens of the input changes nothing.
        for i in 0..<image.pixelCount { image.values.swapAt(4 * i + 1, 4 * i + 2) }
        #expect(maxAbsDifference(m.apply(to: image).values, out.values) < 1e-7)
        // A pixel by hand: r = 0.5, g = (0.2 + 0.4) / 2, b = 0.1.
        let v = m.evaluate(SIMD4(0.5, 0.2, 0.4, 0.1))
        let r: Double = 0.5 * 0.8 + 0.3 * 0.15 + 0.1 * 0.02
        let g: Double = 0.5 * 0.1 + 0.3 * 0.7 + 0.1 * 0.1
        let b: Double = 0.5 * 0.05 + 0.3 * 0.1 + 0.1 * 0.9
        #expect(abs(v[0] - r) < 1e-15)
        #expect(abs(v[1] - g) < 1e-15 && v[1] == v[2])
        #expect(abs(v[3] - b) < 1e-15)
    }

    @Test("root-polynomial output scales with the input exposure", arguments: [ColorMapping.Kind.rootPolynomial2, .rootPolynomial3])
    func exposureInvariantApply(kind: ColorMapping.Kind) {
        let m = plausibleMapping(kind, seed: 34)
        var rng = TestRandom(35)
        let image = rng.image(height: 20, width: 30, lo: 0.01, hi: 0.7)
        let base = m.apply(to: image, precision: .float64)
        for k: Float in [0.125, 0.5, 1.3] {
            let scaled = m.apply(to: PackedImage(height: 20, width: 30, values: image.values.map { $0 * k }), precision: .float64)
            for (a, b) in zip(scaled.values, base.values) where b * k < 1 {
                #expect(abs(a - k * b) <= 2e-7 * max(1, k), "k=\(k)")
            }
            // Exactly, in Double, without clipping.
            let p = SIMD4(0.3, 0.5, 0.42, 0.2)
            let d = m.evaluate(p * Double(k)) - m.evaluate(p) * Double(k)
            #expect((d * d).max() < 1e-30)
        }
    }

    @Test("the paper's mapping_matrix (16x4, from the dataset's .mat) maps like numpy")
    func paperMatrix() throws {
        let matrix = Fixture.f64("mapping_matrix.f64")
        #expect(matrix.count == 64)
        let m = try ColorMapping(paperMappingMatrix: matrix)
        #expect(m.kind == .paperPolynomial && m.coefficients == matrix && m.statistics == nil)
        #expect(m.coefficient(term: 0, output: 0) == 0.92 && m.coefficient(term: 15, output: 1) == -0.002)
        let input = PackedImage(height: 32, width: 48, values: Fixture.f32("paper_input.f32"))
        let unclipped = Fixture.f64("paper_mapped_unclipped.f64")
        for i in 0..<input.pixelCount {
            let p = input.pixel(y: i / 48, x: i % 48)
            let v = m.evaluate(SIMD4(Double(p[0]), Double(p[1]), Double(p[2]), Double(p[3])))
            for k in 0..<4 { #expect(abs(v[k] - unclipped[4 * i + k]) < 1e-15) }
        }
        let expected = Fixture.f32("paper_mapped.f32")
        #expect(maxAbsDifference(m.apply(to: input).values, expected) < 3e-7)
        #expect(maxAbsDifference(m.apply(to: input, precision: .float64).values, expected) == 0)
    }

    @Test("the mapping_matrix read from the dataset's .mat file by RawIO builds the same mapping")
    func paperMatrixFromMAT() throws {
        let values = try MATFile.readMappingMatrix(contentsOf: Fixture.folder.appendingPathComponent("mapping_matrix.mat"))
        let fromMAT = try ColorMapping(paperMappingMatrix: values)
        #expect(fromMAT == (try ColorMapping(paperMappingMatrix: Fixture.f64("mapping_matrix.f64"))))
    }

    @Test("identity mappings leave images unchanged", arguments: ColorMapping.Kind.allCases)
    func identity(kind: ColorMapping.Kind) {
        var rng = TestRandom(36)
        var image = rng.image(height: 8, width: 9, lo: 0, hi: 1)
        if kind == .linear3x3 { for i in 0..<image.pixelCount { image.values[4 * i + 2] = image.values[4 * i + 1] } }
        #expect(maxAbsDifference(ColorMapping.identity(kind).apply(to: image).values, image.values) < 1e-7)
    }

    @Test("applying to a Bayer mosaic packs, maps and mosaics with the given or the input's levels")
    func bayer() {
        var rng = TestRandom(37)
        let w = 16, h = 10
        let samples = (0..<(w * h)).map { _ in UInt16(rng.uniform(600, 3900)) }
        let bayer = BayerImage(width: w, height: h, samples: samples, pattern: .grbg, blackLevels: [528, 530, 526, 528], whiteLevel: 4095)
        let m = plausibleMapping(.rootPolynomial2, seed: 38)
        let mapped = m.apply(to: bayer)
        #expect(mapped.pattern == .grbg && mapped.blackLevels == bayer.blackLevels && mapped.whiteLevel == 4095)
        let expected = m.apply(to: bayer.packed()).mosaic(pattern: .grbg, blackLevels: bayer.blackLevels, whiteLevel: 4095)
        #expect(mapped.samples == expected.samples)
        // Into another camera's levels and pattern.
        let other = m.apply(to: bayer, pattern: .rggb, blackLevels: [0, 0, 0, 0], whiteLevel: 1023)
        #expect(other.pattern == .rggb && other.whiteLevel == 1023)
        let repacked = other.packed(), direct = m.apply(to: bayer.packed())
        #expect(maxAbsDifference(repacked.values, direct.values) <= 0.5 / 1023 + 1e-6)
    }
}
