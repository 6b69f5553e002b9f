import Foundation
import RawIO
import Testing
@testable import RawSynthesis

/// The relative RMS residual of the least-squares 3x3 map from `a`'s RGB to `b`'s RGB, comparing
/// `a` at (y, x) with `b` at (y, x + shift).
func linearFitResidual(_ a: PackedImage, _ b: PackedImage, shift: Int = 0) -> Double {
    func rgb(_ p: PackedImage, _ y: Int, _ x: Int) -> SIMD3<Double> {
        let v = p.pixel(y: y, x: x)
        return SIMD3(Double(v[0]), Double(v[1] + v[2]) / 2, Double(v[3]))
    }
    var xtx = [Double](repeating: 0, count: 9), ytx = [Double](repeating: 0, count: 9)
    var samples: [(SIMD3<Double>, SIMD3<Double>)] = []
    for y in 0..<a.height {
        for x in 0..<(a.width - shift) {
            let u = rgb(a, y, x), v = rgb(b, y, x + shift)
            samples.append((u, v))
            for i in 0..<3 { for j in 0..<3 { xtx[i * 3 + j] += u[i] * u[j]; ytx[i * 3 + j] += v[i] * u[j] } }
        }
    }
    let m = Matrix3.multiply(ytx, Matrix3.inverse(xtx))
    var err = 0.0, norm = 0.0
    for (u, v) in samples {
        let d = Matrix3.apply(m, u) - v
        err += (d * d).sum()
        norm += (v * v).sum()
    }
    return (err / norm).squareRoot()
}

@Suite struct SceneTests {
    @Test func scenesAreDeterministicBySeed() throws {
        let data = try SpectralData.bundled()
        let gen = SceneGenerator(data: data, configuration: SceneConfiguration(width: 64, height: 48))
        #expect(gen.scene(seed: 3) == gen.scene(seed: 3))
        #expect(gen.scene(seed: 3) != gen.scene(seed: 4))
        let s = gen.scene(seed: 3)
        let decoded = try JSONDecoder().decode(Scene.self, from: JSONEncoder().encode(s))
        #expect(decoded == s, "scenes survive a JSON round trip")
    }

    /// The row-wise fast path of the renderer equals the per-pixel definition.
    @Test func rowShadingEqualsPixelShading() throws {
        let data = try SpectralData.bundled()
        let gen = SceneGenerator(data: data, configuration: SceneConfiguration(width: 40, height: 30, chartProbability: 1,
                                                                                mixtureProbability: 1, spatialMixtureProbability: 1))
        let scene = gen.scene(seed: 8)
        let shader = SceneShader(scene, camera: .galaxyS9Like(data))
        var materials = [Int](repeating: -1, count: scene.width)
        var signal = [SIMD3<Double>](repeating: .zero, count: scene.width)
        for y in 0..<scene.height {
            materials.withUnsafeMutableBufferPointer { m in
                signal.withUnsafeMutableBufferPointer { s in shader.signal(row: y, materials: m, into: s) }
            }
            for x in 0..<scene.width {
                #expect(materials[x] == shader.raster.material(x: x, y: y))
                #expect(signal[x] == shader.signal(x: x, y: y))
            }
        }
    }

    @Test func generatedScenesFollowTheConfiguration() throws {
        let data = try SpectralData.bundled()
        let config = SceneConfiguration(width: 64, height: 48, cellCount: 5...9, rectangleCount: 0...2, chartProbability: 1,
                                        illuminants: ["A", "FL11"], mixtureProbability: 0)
        let gen = SceneGenerator(data: data, configuration: config)
        for seed in 0..<20 {
            let s = gen.scene(seed: UInt64(seed))
            let cells = s.regions.filter { if case .cell = $0.shape { return true } else { return false } }.count
            #expect((5...9).contains(cells))
            #expect(s.regions.count - cells >= 25 && s.regions.count - cells <= 27, "24 patches + frame + up to 2 rectangles")
            #expect(["A", "FL11"].contains(s.lighting.name) && s.lighting.secondary == nil)
            #expect(s.materials.allSatisfy { $0.base.minimum >= 0 && $0.texture.minimum >= 0 }, "non-negative reflectances")
        }
    }

    @Test func lightingNamesAndMixtures() throws {
        let data = try SpectralData.bundled()
        let a = data.illuminant(named: "A")!, d65 = data.illuminant(named: "D65")!
        let uniform = SceneLighting(primary: a, secondary: d65, secondaryWeight: 0.25)
        #expect(uniform.name == "A+D65@0.25" && !uniform.isSpatiallyVarying)
        #expect(uniform.spectrum(weight: 0.25) == Spectrum.mix(a.spectrum, d65.spectrum, 0.25))
        let varying = SceneLighting(primary: a, secondary: d65, secondaryWeight: 0.5, gradient: 1, direction: 0)
        #expect(varying.name == "A~D65@0.50" && varying.isSpatiallyVarying)
        // A horizontal gradient: the left of the image is warmer (more A) than the right.
        var cam = quietCamera(0, data, exposure: 0.02)
        cam.noise = .none
        let scene = Scene.uniform(width: 32, height: 8, reflectance: .constant(0.8), lighting: varying)
        let p = cam.renderPacked(scene, seed: 0)
        let left = p.pixel(y: 4, x: 0), right = p.pixel(y: 4, x: 31)
        #expect(left[0] / left[3] > right[0] / right[3])
        #expect(abs(scene.meanSecondaryWeight - 0.5) < 1e-9)
        let gen = SceneGenerator(data: data, configuration: SceneConfiguration(width: 16, height: 12, mixtureProbability: 1,
                                                                                spatialMixtureProbability: 0))
        for seed in 0..<10 {
            let l = gen.scene(seed: UInt64(seed)).lighting
            #expect(l.secondary != nil && l.secondary != l.primary && !l.isSpatiallyVarying)
        }
    }

    /// Pairs: the same scene rendered by both cameras is pixel-aligned, so one 3x3 maps one onto
    /// the other far better than after a shift of two pixels, or between different scenes.
    @Test func pairsAreAlignedAndUnpairedScenesDiffer() throws {
        let data = try SpectralData.bundled()
        var a = CameraModel.iPhoneXLike(data), b = CameraModel.galaxyS9Like(data)
        a.noise = .none
        b.noise = .none
        let config = SyntheticDatasetConfiguration(cameraA: a, cameraB: b, unpairedCount: 2, anchorCount: 2, testCount: 2,
                                                   scenes: SceneConfiguration(width: 64, height: 48, chartProbability: 0), seed: 9)
        let gen = SyntheticDatasetGenerator(configuration: config, data: data)
        for set in [SyntheticDatasetSet.anchor, .test] {
            for i in 0..<2 {
                let pa = gen.capture(set: set, index: i, camera: 0).packed
                let pb = gen.capture(set: set, index: i, camera: 1).packed
                let aligned = linearFitResidual(pa, pb)
                let shifted = linearFitResidual(pa, pb, shift: 2)
                #expect(aligned < 0.05, "\(set) \(i): aligned residual \(aligned)")
                #expect(shifted > 5 * aligned, "\(set) \(i): shifted residual \(shifted) vs aligned \(aligned)")
            }
        }
        for i in 0..<2 {
            #expect(gen.scene(set: .unpaired, index: i, camera: 0) != gen.scene(set: .unpaired, index: i, camera: 1))
            let pa = gen.capture(set: .unpaired, index: i, camera: 0).packed
            let pb = gen.capture(set: .unpaired, index: i, camera: 1).packed
            let residual = linearFitResidual(pa, pb)
            #expect(residual > 0.3, "unpaired \(i): residual \(residual)")
        }
        // Every set draws its own scenes.
        #expect(gen.scene(set: .anchor, index: 0) != gen.scene(set: .test, index: 0))
        #expect(gen.scene(set: .anchor, index: 0) != gen.scene(set: .anchor, index: 1))
    }
}
