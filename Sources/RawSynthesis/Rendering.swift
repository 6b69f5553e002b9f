import Dispatch
import Foundation
import RawSupport
import RawIO

/// One simulated capture: the raw mosaic and how it was exposed.
public struct CameraCapture: Sendable, Equatable {
    /// The raw mosaic, with the camera's levels, CFA and metadata (make, model, `AsShotNeutral`,
    /// white-balance multipliers, fitted colour matrices).
    public var bayer: BayerImage
    /// The exposure used, in the units of ``ExposureControl/fixed(_:)``: a camera response of 1
    /// (times the shading) became this fraction of the range from black to white.
    public var exposure: Double
    /// The camera colour of a white reflector under the scene's mean light, largest channel 1.
    public var asShotNeutral: SIMD3<Double>
    /// The fraction of photosites at the white level.
    public var clippedFraction: Double

    /// Creates a capture record.
    public init(bayer: BayerImage, exposure: Double, asShotNeutral: SIMD3<Double>, clippedFraction: Double) {
        self.bayer = bayer
        self.exposure = exposure
        self.asShotNeutral = asShotNeutral
        self.clippedFraction = clippedFraction
    }

    /// The normalised packed image (``BayerImage/packed()`` of ``bayer``).
    public var packed: PackedImage { bayer.packed() }
}

extension CameraModel {
    /// Renders `scene` to a raw mosaic, deterministically for a given `seed`.
    ///
    /// Steps: per packed pixel, the camera's linear response to the scene (shading x mixture of the
    /// material's base and texture spectra under the local light); exposure (``exposure``: fixed,
    /// or metered (``ExposureMetering``: a percentile of the brightest channel, the mean or the
    /// centre-weighted mean of all channels) with a random offset drawn from `seed`);
    /// shot noise (Poisson on the electrons) and read noise (Gaussian, DN), each photosite of the
    /// 2x2 tile drawn independently; rounding to integers; black level; clipping to `0...whiteLevel`;
    /// mosaicking to ``pattern``. The noise streams are seeded per row from `seed` and the camera's
    /// name, so the result does not depend on how rows are spread over threads, and two cameras
    /// rendered with the same seed still get independent noise.
    public func render(_ scene: Scene, seed: UInt64) -> CameraCapture {
        let r = renderDN(scene, seed: seed)
        let w = scene.width * 2
        var samples = [UInt16](repeating: 0, count: w * scene.height * 2)
        let offsets = PackedChannel.allCases.map { pattern.position(of: $0) }
        var clipped = 0
        let white = UInt16(whiteLevel)
        r.dn.withUnsafeBufferPointer { src in
            samples.withUnsafeMutableBufferPointer { dst in
                for y in 0..<scene.height {
                    for x in 0..<scene.width {
                        for k in 0..<4 {
                            let v = src[(y * scene.width + x) * 4 + k]
                            if v >= white { clipped += 1 }
                            dst[(2 * y + offsets[k].row) * w + 2 * x + offsets[k].column] = v
                        }
                    }
                }
            }
        }
        let bayer = BayerImage(width: w, height: scene.height * 2, samples: samples, pattern: pattern,
                               blackLevels: BlackLevels(uniform: Double(blackLevel)), whiteLevel: whiteLevel,
                               metadata: metadata(asShotNeutral: r.neutral))
        return CameraCapture(bayer: bayer, exposure: r.exposure, asShotNeutral: r.neutral,
                             clippedFraction: Double(clipped) / Double(samples.count))
    }

    /// Renders `scene` to a raw mosaic (see ``render(_:seed:)``).
    public func renderBayer(_ scene: Scene, seed: UInt64) -> BayerImage {
        render(scene, seed: seed).bayer
    }

    /// Renders `scene` straight to a normalised packed image, without building the mosaic.
    ///
    /// Identical, value for value, to `renderBayer(scene, seed: seed).packed()`.
    public func renderPacked(_ scene: Scene, seed: UInt64) -> PackedImage {
        let r = renderDN(scene, seed: seed)
        let b = Double(blackLevel)
        let s = 1.0 / (Double(whiteLevel) - b)
        let values = r.dn.map { Float(min(max((Double($0) - b) * s, 0), 1)) }
        return PackedImage(height: scene.height, width: scene.width, values: values)
    }

    /// The exposure for `scene` (see ``ExposureControl``), metered on at most 65536 packed pixels
    /// of a regular grid.
    func chooseExposure(_ shader: SceneShader, seed: UInt64) -> Double {
        switch exposure {
        case .fixed(let e):
            return e
        case .automatic(let ae):
            let w = shader.raster.scene.width, h = shader.raster.scene.height
            var step = 1
            while (w / step) * (h / step) > 4096 { step += 1 }
            let metered: Double
            switch ae.metering {
            case .maximumPercentile:
                var maxima: [Double] = []
                maxima.reserveCapacity((w / step + 1) * (h / step + 1))
                for y in stride(from: step / 2, to: h, by: step) {
                    for x in stride(from: step / 2, to: w, by: step) { maxima.append(shader.signal(x: x, y: y).max()) }
                }
                maxima.sort()
                let index = min(maxima.count - 1, max(0, Int((ae.percentile * Double(maxima.count)).rounded(.up)) - 1))
                metered = maxima[index]
            case .mean, .centreWeighted:
                let weighted = ae.metering == .centreWeighted
                let cx = Double(w) / 2, cy = Double(h) / 2
                let sx = Double(w) / 3, sy = Double(h) / 3
                var total = 0.0, weights = 0.0
                for y in stride(from: step / 2, to: h, by: step) {
                    for x in stride(from: step / 2, to: w, by: step) {
                        var k = 1.0
                        if weighted {
                            let dx = (Double(x) + 0.5 - cx) / sx, dy = (Double(y) + 0.5 - cy) / sy
                            k = exp(-0.5 * (dx * dx + dy * dy))
                        }
                        let p = shader.signal(x: x, y: y)
                        total += k * (p.x + 2 * p.y + p.z) / 4   // the mean of the 2x2 tile's photosites
                        weights += k
                    }
                }
                metered = weights > 0 ? total / weights : 0
            }
            var rng = SimulationRandom(seed: SplitMix64.derive(seed, stableHash(name), 0))
            let jitter = ae.jitterStops > 0 ? rng.uniform(-ae.jitterStops, ae.jitterStops) : 0
            let level = ae.target * exp2(jitter)
            return metered > 0 ? level / metered : level
        }
    }

    /// Renders to integer raw values in packed layout (R, Gr, Gb, B per packed pixel), in one
    /// parallel pass over rows (the exposure is metered first on a grid of pixels).
    func renderDN(_ scene: Scene, seed: UInt64) -> (dn: [UInt16], exposure: Double, neutral: SIMD3<Double>) {
        let shader = SceneShader(scene, camera: self)
        let exposure = chooseExposure(shader, seed: seed)
        let range = self.range
        let scale = exposure * range
        let black = Double(blackLevel), white = Double(whiteLevel)
        let epd = noise.shot?.electronsPerDN(range: range)
        let read = noise.readNoise
        let width = scene.width, height = scene.height
        let cameraSeed = SplitMix64.derive(seed, stableHash(name), 1)
        var dn = [UInt16](repeating: 0, count: width * height * 4)
        dn.withUnsafeMutableBufferPointer { buf in
            let dst = SendableBuffer(buf)
            parallelRows(height) { y in
                var rng = SimulationRandom(seed: SplitMix64.derive(cameraSeed, UInt64(y)))
                withUnsafeTemporaryAllocation(of: Int.self, capacity: width) { materials in
                    withUnsafeTemporaryAllocation(of: SIMD3<Double>.self, capacity: width) { signal in
                        shader.signal(row: y, materials: materials, into: signal)
                        for x in 0..<width {
                            let p = signal[x]
                            let channel = SIMD4(p.x, p.y, p.y, p.z) * scale
                            for k in 0..<4 {
                                var v = max(channel[k], 0)
                                if let g = epd { v = rng.poisson(v * g) / g }
                                if read > 0 { v += read * rng.gaussian() }
                                let q = min(max((v + black).rounded(), 0), white)
                                dst[(y * width + x) * 4 + k] = UInt16(q)
                            }
                        }
                    }
                }
            }
        }
        return (dn, exposure, neutral(illuminant: scene.meanIlluminant))
    }
}

/// A scene prepared for one camera: the camera's responses to every material's spectra under
/// each illuminant, and the scene's fields; ``signal(x:y:)`` is the noise-free linear response.
struct SceneShader: Sendable {
    let raster: SceneRaster
    /// Per material: base and texture responses under the primary and the secondary light, and the texture strength.
    let table: [(base1: SIMD3<Double>, texture1: SIMD3<Double>, base2: SIMD3<Double>, texture2: SIMD3<Double>, strength: Double)]

    init(_ scene: Scene, camera: CameraModel) {
        raster = SceneRaster(scene)
        let lighting = scene.lighting
        let w1 = ChannelWeights(camera, illuminant: lighting.primary.spectrum)
        let w2 = lighting.secondary.map { ChannelWeights(camera, illuminant: $0.spectrum) } ?? w1
        table = scene.materials.map { m in
            (w1.response(m.base), w1.response(m.texture), w2.response(m.base), w2.response(m.texture), m.textureStrength)
        }
    }

    /// The camera's linear response of every packed pixel of row `y` (both buffers hold `width`
    /// elements; `materials` is scratch space). Equal to ``signal(x:y:)`` pixel by pixel.
    func signal(row y: Int, materials: UnsafeMutableBufferPointer<Int>, into out: UnsafeMutableBufferPointer<SIMD3<Double>>) {
        raster.materials(row: y, into: materials)
        table.withUnsafeBufferPointer { table in
            for x in 0..<out.count {
                let m = table[materials[x]]
                let t = raster.texture(x: x, y: y, strength: m.strength)
                let w = raster.lightWeight(x: x, y: y)
                let under1 = m.base1 + (m.texture1 - m.base1) * t
                let under2 = m.base2 + (m.texture2 - m.base2) * t
                out[x] = (under1 + (under2 - under1) * w) * raster.shade(x: x, y: y)
            }
        }
    }

    /// The camera's linear R, G, B response at packed pixel (`x`, `y`), before exposure.
    @inline(__always)
    func signal(x: Int, y: Int) -> SIMD3<Double> {
        let m = table[raster.material(x: x, y: y)]
        let t = raster.texture(x: x, y: y, strength: m.strength)
        let w = raster.lightWeight(x: x, y: y)
        let under1 = m.base1 + (m.texture1 - m.base1) * t
        let under2 = m.base2 + (m.texture2 - m.base2) * t
        return (under1 + (under2 - under1) * w) * raster.shade(x: x, y: y)
    }
}

/// Runs `body` for every row in `0..<rows`, spread over the cores (deterministic: rows are independent).
func parallelRows(_ rows: Int, _ body: (Int) -> Void) {
    Parallel.forEachChunk(count: rows, grain: 1) { range in
        for y in range { body(y) }
    }
}

/// A mutable buffer shared by parallel row workers that write disjoint elements.
struct SendableBuffer<Element>: @unchecked Sendable {
    let base: UnsafeMutableBufferPointer<Element>
    init(_ base: UnsafeMutableBufferPointer<Element>) { self.base = base }
    subscript(i: Int) -> Element {
        get { base[i] }
        nonmutating set { base[i] = newValue }
    }
}
