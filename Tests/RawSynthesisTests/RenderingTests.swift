import Foundation
import RawIO
import Testing
@testable import RawSynthesis

/// A camera preset with noise off and a fixed exposure.
func quietCamera(_ index: Int, _ data: SpectralData, exposure: Double) -> CameraModel {
    var cam = index == 0 ? CameraModel.iPhoneXLike(data) : CameraModel.galaxyS9Like(data)
    cam.noise = .none
    cam.exposure = .fixed(exposure)
    return cam
}

@Suite struct RenderingTests {
    /// A flat white patch under D65 without noise: the packed channels are the camera's response
    /// to D65 (README sanity table), and `AsShotNeutral` is its white balance.
    @Test(arguments: 0..<2)
    func flatWhitePatchGivesTheCamerasWhiteBalance(_ i: Int) throws {
        let data = try SpectralData.bundled()
        let d65 = data.illuminant(named: "D65")!
        let expected = CameraModelTests.sanity[i].white
        var cam = quietCamera(i, data, exposure: 1)
        let patch = data.colorChecker[18].spectrum
        cam.exposure = .fixed(0.8 / cam.response(reflectance: patch, illuminant: d65.spectrum).max())
        let scene = Scene.uniform(width: 6, height: 4, reflectance: patch, lighting: SceneLighting(d65))
        let capture = cam.render(scene, seed: 1)
        let p = capture.packed
        for y in 0..<p.height {
            for x in 0..<p.width {
                let v = p.pixel(y: y, x: x)
                #expect(v[1] == v[2], "Gr and Gb see the same light")
                let rgb = SIMD3(Double(v[0]), Double(v[1]), Double(v[3])) / 0.8
                for c in 0..<3 { #expect(abs(rgb[c] - expected[c]) < 1e-3, "pixel \(y),\(x) channel \(c): \(rgb)") }
            }
        }
        #expect(capture.clippedFraction == 0)
        // A perfect white gives exactly the neutral written into the metadata.
        let perfect = cam.render(Scene.uniform(width: 4, height: 4, reflectance: .constant(0.9), lighting: SceneLighting(d65)), seed: 1)
        let n = perfect.asShotNeutral
        #expect(perfect.bayer.metadata.asShotNeutral == [n.x, n.y, n.z])
        #expect(n == cam.neutral(illuminant: d65.spectrum))
        let q = perfect.packed.pixel(y: 0, x: 0)
        let measured = SIMD3(Double(q[0]), Double(q[1]), Double(q[3])) / Double(max(q[0], q[1], q[3]))
        for c in 0..<3 { #expect(abs(measured[c] - n[c]) < 2e-3) }
    }

    @Test(arguments: 0..<2)
    func doublingTheExposureDoublesRawValuesBelowClipping(_ i: Int) throws {
        let data = try SpectralData.bundled()
        let scene = SceneGenerator(data: data, configuration: SceneConfiguration(width: 48, height: 32)).scene(seed: 11)
        let one = quietCamera(i, data, exposure: 0.25).renderBayer(scene, seed: 3)
        let two = quietCamera(i, data, exposure: 0.5).renderBayer(scene, seed: 3)
        let black = Int(one.blackLevels.topLeft)
        var compared = 0, sum1 = 0, sum2 = 0
        for k in 0..<one.samples.count where Int(two.samples[k]) < one.whiteLevel {
            let a = Int(one.samples[k]) - black, b = Int(two.samples[k]) - black
            #expect(abs(b - 2 * a) <= 1, "sample \(k): \(a) -> \(b)")
            compared += 1; sum1 += a; sum2 += b
        }
        #expect(compared > one.samples.count / 2)
        #expect(abs(Double(sum2) / Double(sum1) - 2) < 1e-3)
    }

    @Test(arguments: 0..<2)
    func valuesClipAtTheWhiteLevel(_ i: Int) throws {
        let data = try SpectralData.bundled()
        let scene = SceneGenerator(data: data, configuration: SceneConfiguration(width: 32, height: 24)).scene(seed: 5)
        var cam = quietCamera(i, data, exposure: 20)
        cam.noise = i == 0 ? CameraModel.iPhoneXLike(data).noise : CameraModel.galaxyS9Like(data).noise
        let capture = cam.render(scene, seed: 9)
        let b = capture.bayer
        #expect(b.samples.max() == UInt16(cam.whiteLevel))
        let clipped = b.samples.filter { Int($0) == cam.whiteLevel }.count
        #expect(clipped > b.samples.count / 2)
        #expect(capture.clippedFraction == Double(clipped) / Double(b.samples.count))
        #expect(capture.packed.values.max() == 1)
    }

    /// Each preset's CFA: with a flat red patch and no noise, every photosite holds exactly the
    /// response of its own filter.
    @Test(arguments: 0..<2)
    func mosaicFollowsThePresetsCFAAndBlackLevel(_ i: Int) throws {
        let data = try SpectralData.bundled()
        let cam = quietCamera(i, data, exposure: 0.1)
        let d50 = data.illuminant(named: "D50")!
        let red = data.reflectance(named: "red")!.spectrum
        let b = cam.renderBayer(Scene.uniform(width: 3, height: 2, reflectance: red, lighting: SceneLighting(d50)), seed: 0)
        #expect(b.width == 6 && b.height == 4)
        #expect(b.pattern == (i == 0 ? .rggb : .grbg))
        #expect(b.blackLevels == BlackLevels(uniform: i == 0 ? 528 : 0))
        #expect(b.whiteLevel == (i == 0 ? 4095 : 1023))
        let rgb = cam.response(reflectance: red, illuminant: d50.spectrum) * (0.1 * cam.range)
        for y in 0..<b.height {
            for x in 0..<b.width {
                let c: Int = switch b.pattern.color(row: y, column: x) { case .red: 0; case .green: 1; case .blue: 2 }
                #expect(Double(b[y, x]) == (rgb[c] + Double(cam.blackLevel)).rounded(), "photosite \(y),\(x)")
            }
        }
        // Red at (0,0) for RGGB, at (0,1) for GRBG; red is brighter than blue under D50 here.
        let (ry, rx) = i == 0 ? (0, 0) : (0, 1)
        let (by, bx) = i == 0 ? (1, 1) : (1, 0)
        #expect(b[ry, rx] > b[by, bx])
        // No light: every photosite is exactly at black.
        let dark = quietCamera(i, data, exposure: 0).renderBayer(Scene.uniform(width: 2, height: 2, reflectance: red, lighting: SceneLighting(d50)), seed: 0)
        #expect(dark.samples.allSatisfy { Int($0) == cam.blackLevel })
        #expect(dark.packed().values.allSatisfy { $0 == 0 })
        #expect(b.metadata.make == cam.make && b.metadata.model == cam.model && b.metadata.colorMatrices.count == 2)
    }

    @Test(arguments: 0..<2)
    func packedRenderingEqualsPackingTheMosaic(_ i: Int) throws {
        let data = try SpectralData.bundled()
        let scene = SceneGenerator(data: data, configuration: SceneConfiguration(width: 40, height: 30)).scene(seed: 2)
        let cam = i == 0 ? CameraModel.iPhoneXLike(data) : CameraModel.galaxyS9Like(data)
        #expect(cam.renderPacked(scene, seed: 8) == cam.renderBayer(scene, seed: 8).packed())
    }

    @Test func sameSeedSameBytesOtherSeedOtherNoise() throws {
        let data = try SpectralData.bundled()
        let scene = SceneGenerator(data: data, configuration: SceneConfiguration(width: 40, height: 30)).scene(seed: 4)
        let cam = CameraModel.iPhoneXLike(data)
        let a = cam.renderBayer(scene, seed: 100), b = cam.renderBayer(scene, seed: 100), c = cam.renderBayer(scene, seed: 101)
        #expect(a == b)
        #expect(a.samples != c.samples)
        var renamed = cam
        renamed.name = "other"
        #expect(renamed.renderBayer(scene, seed: 100).samples != a.samples, "cameras with other names get other noise")
        // Without noise and with a fixed exposure the seed no longer matters.
        let q = quietCamera(0, data, exposure: 0.3)
        #expect(q.renderBayer(scene, seed: 1) == q.renderBayer(scene, seed: 2))
    }

    /// Shot + read noise: on a flat grey the variance in DN is mean / (electrons per DN) + read^2 (+ 1/12 rounding).
    @Test(arguments: 0..<2)
    func noiseHasThePhysicalVariance(_ i: Int) throws {
        let data = try SpectralData.bundled()
        var cam = i == 0 ? CameraModel.iPhoneXLike(data) : CameraModel.galaxyS9Like(data)
        let d65 = data.illuminant(named: "D65")!
        let grey = Spectrum.constant(0.5)
        cam.exposure = .fixed(0.3 / cam.response(reflectance: grey, illuminant: d65.spectrum).max())
        let capture = cam.render(Scene.uniform(width: 64, height: 64, reflectance: grey, lighting: SceneLighting(d65)), seed: 77)
        let b = capture.bayer
        let expectedMean = cam.response(reflectance: grey, illuminant: d65.spectrum) * (capture.exposure * cam.range)
        let epd = cam.noise.shot!.electronsPerDN(range: cam.range)
        for (c, color) in [CFAColor.red, .green, .blue].enumerated() {
            var values: [Double] = []
            for y in 0..<b.height { for x in 0..<b.width where b.pattern.color(row: y, column: x) == color {
                values.append(Double(b[y, x]) - Double(cam.blackLevel))
            } }
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)
            let expectedVariance = expectedMean[c] / epd + cam.noise.readNoise * cam.noise.readNoise + 1.0 / 12
            #expect(abs(mean - expectedMean[c]) < 4 * (expectedVariance / Double(values.count)).squareRoot() + 0.5, "channel \(c) mean")
            #expect(abs(variance / expectedVariance - 1) < 0.12, "channel \(c): variance \(variance), expected \(expectedVariance)")
        }
    }

    @Test func readNoiseAroundBlackIsCentred() throws {
        let data = try SpectralData.bundled()
        var cam = CameraModel.iPhoneXLike(data)
        cam.exposure = .fixed(0)
        let b = cam.renderBayer(Scene.uniform(width: 64, height: 64, reflectance: .constant(1), lighting: SceneLighting(data.illuminants[0])), seed: 3)
        let values = b.samples.map { Double($0) - 528 }
        let mean = values.reduce(0, +) / Double(values.count)
        let sd = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
        #expect(abs(mean) < 0.1)
        #expect(abs(sd - (2.5 * 2.5 + 1.0 / 12).squareRoot()) < 0.1)
        #expect(b.samples.contains { $0 < 528 }, "values below black are kept (the black level is 528)")
    }

    @Test func autoExposurePutsThePercentileNearTheTarget() throws {
        let data = try SpectralData.bundled()
        var cam = CameraModel.galaxyS9Like(data)
        cam.noise = .none
        cam.exposure = .automatic(AutoExposure(percentile: 0.9, target: 0.5, jitterStops: 0))
        let scene = SceneGenerator(data: data, configuration: SceneConfiguration(width: 64, height: 48)).scene(seed: 21)
        let p = cam.renderPacked(scene, seed: 0)
        let maxima = (0..<p.pixelCount).map { i in max(p.values[4 * i], p.values[4 * i + 1], p.values[4 * i + 3]) }.sorted()
        #expect(abs(Double(maxima[Int(0.9 * Double(maxima.count)) - 1]) - 0.5) < 0.01)
        // With jitter, captures of one scene differ in exposure by at most the jitter.
        cam.exposure = .automatic(AutoExposure(percentile: 0.9, target: 0.5, jitterStops: 0.5))
        let exposures = (0..<8).map { cam.render(scene, seed: UInt64($0)).exposure }
        #expect(Set(exposures).count == 8)
        #expect(exposures.max()! / exposures.min()! <= 2.0 + 1e-9)
    }

    /// The render the benchmark times (a generated 256x192 scene, iPhone X-like preset, noise on),
    /// checked for what it must produce instead of how fast: against the noise-free render at the
    /// same exposure, each photosite differs by noise of mean 0 and of the variance the model gives
    /// for its own signal, `signal / (electrons per DN) + read^2`, plus two roundings (1/12 each).
    /// Timing lives in Benchmarks/.
    @Test func noisyRenderOfAGeneratedSceneHasThePhysicalNoiseAroundTheCleanRender() throws {
        let data = try SpectralData.bundled()
        let scene = SceneGenerator(data: data, configuration: SceneConfiguration(width: 256, height: 192)).scene(seed: 1)
        var noisy = CameraModel.iPhoneXLike(data)
        noisy.exposure = .fixed(noisy.render(scene, seed: 0).exposure)
        var clean = noisy
        clean.noise = .none
        let a = noisy.renderBayer(scene, seed: 5), b = clean.renderBayer(scene, seed: 5)
        #expect(a.width == 512 && a.height == 384 && b.samples.count == a.samples.count)
        let black = Double(noisy.blackLevel), white = noisy.whiteLevel
        let epd = try #require(noisy.noise.shot).electronsPerDN(range: noisy.range)
        let read = noisy.noise.readNoise
        var n = 0, sum = 0.0, sumSquares = 0.0, lowest = Double.infinity, highest = 0.0
        for k in 0..<a.samples.count where Int(b.samples[k]) < white - 200 && Int(a.samples[k]) < white {
            let signal = max(Double(b.samples[k]) - black, 0)
            let z = (Double(a.samples[k]) - Double(b.samples[k])) / (signal / epd + read * read + 2.0 / 12).squareRoot()
            n += 1; sum += z; sumSquares += z * z
            lowest = min(lowest, signal); highest = max(highest, signal)
        }
        #expect(n > a.samples.count * 9 / 10, "photosites away from white: \(n) of \(a.samples.count)")
        #expect(highest > 1000 && highest > 10 * lowest, "the scene spans dark and bright signals: \(lowest)...\(highest) DN")
        let mean = sum / Double(n), variance = sumSquares / Double(n) - mean * mean
        // n is about 190,000: the standard error of the mean is about 0.002, of the variance about 0.003.
        #expect(abs(mean) < 0.02, "standardised difference has mean \(mean)")
        #expect(abs(variance - 1) < 0.04, "standardised difference has variance \(variance)")
        // Noise off: the clean render is a pure function of the scene, whatever the seed.
        #expect(clean.renderBayer(scene, seed: 6) == b)
    }
}
