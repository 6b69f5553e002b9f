import Foundation

/// A surface material: a base reflectance and the reflectance its fine texture mixes toward.
public struct SceneMaterial: Sendable, Equatable, Codable {
    /// A short description of how it was made (e.g. `0.62 r012 + 0.38 dark_skin`).
    public var name: String
    /// The reflectance where the texture is 0.
    public var base: Spectrum
    /// The reflectance where the texture is 1.
    public var texture: Spectrum
    /// How far the fine texture mixes from `base` toward `texture` at most (0 = a flat material).
    public var textureStrength: Double

    /// Creates a material.
    public init(name: String, base: Spectrum, texture: Spectrum? = nil, textureStrength: Double = 0) {
        precondition(textureStrength >= 0 && textureStrength <= 1, "texture strength must lie in 0...1, got \(textureStrength)")
        self.name = name
        self.base = base
        self.texture = texture ?? base
        self.textureStrength = textureStrength
    }
}

/// Where a material is: a Voronoi cell around a site, or a rectangle painted on top of the cells.
///
/// Coordinates are in *scene units*: `u = (x + 0.5) / width`, `v = (y + 0.5) / width` for the
/// packed pixel at column `x`, row `y` (both divided by the width, so units are square and `v`
/// runs up to `height / width`).
public enum SceneShape: Sendable, Equatable, Codable {
    /// Every point nearer to `site` than to any other cell's site.
    case cell(site: SIMD2<Double>)
    /// The axis-aligned rectangle `[minimum, maximum)`, painted over the cells (later rectangles on top).
    case rectangle(minimum: SIMD2<Double>, maximum: SIMD2<Double>)
}

/// One region of a scene: a shape filled with a material.
public struct SceneRegion: Sendable, Equatable, Codable {
    /// The region's shape.
    public var shape: SceneShape
    /// Index into ``Scene/materials``.
    public var material: Int

    /// Creates a region.
    public init(shape: SceneShape, material: Int) {
        self.shape = shape
        self.material = material
    }
}

/// A smooth multiplicative shading field (illumination falloff, shadows, surface orientation).
///
/// The field is `minimum^(1 - n(u, v))`, where `n` in [0, 1] blends smooth value noise of
/// feature size ``scale`` with a linear ramp along ``direction``: 1 means fully lit, `minimum` the
/// darkest shade.
public struct ShadingField: Sendable, Equatable, Codable {
    /// The darkest multiplier, in (0, 1]; 1 makes the field constant 1.
    public var minimum: Double
    /// The feature size of the noise, in scene units.
    public var scale: Double
    /// The weight (0...1) of the linear ramp against the noise.
    public var rampWeight: Double
    /// The direction of the ramp, in radians.
    public var direction: Double
    /// Seed of the noise lattice.
    public var seed: UInt64

    /// Creates a shading field.
    public init(minimum: Double, scale: Double, rampWeight: Double = 0.3, direction: Double = 0, seed: UInt64) {
        precondition(minimum > 0 && minimum <= 1, "the darkest shade must lie in (0, 1], got \(minimum)")
        precondition(scale > 0, "the shading scale must be positive, got \(scale)")
        precondition(rampWeight >= 0 && rampWeight <= 1, "the ramp weight must lie in 0...1, got \(rampWeight)")
        self.minimum = minimum
        self.scale = scale
        self.rampWeight = rampWeight
        self.direction = direction
        self.seed = seed
    }

    /// No shading: the field is 1 everywhere.
    public static let flat = ShadingField(minimum: 1, scale: 1, rampWeight: 0, seed: 0)
}

/// The light of a scene: one illuminant, or a mixture of two, optionally varying across the image.
///
/// The spectrum at a point is `(1 - w) * primary + w * secondary` with
/// `w = clamp(secondaryWeight + gradient * d, 0, 1)`, where `d` is the signed distance from the
/// image centre along ``direction`` divided by the image diagonal (so `d` lies in about ±0.5).
public struct SceneLighting: Sendable, Equatable, Codable {
    /// The main illuminant.
    public var primary: Illuminant
    /// The second illuminant of a mixture, or `nil`.
    public var secondary: Illuminant?
    /// The weight of `secondary` at the image centre (ignored without one).
    public var secondaryWeight: Double
    /// How much the weight changes across the image (0 = the same mixture everywhere).
    public var gradient: Double
    /// The direction in which the weight grows, in radians.
    public var direction: Double

    /// A single illuminant.
    public init(_ illuminant: Illuminant) {
        self.primary = illuminant
        self.secondary = nil
        self.secondaryWeight = 0
        self.gradient = 0
        self.direction = 0
    }

    /// A mixture of two illuminants, optionally varying across the image.
    public init(primary: Illuminant, secondary: Illuminant, secondaryWeight: Double, gradient: Double = 0, direction: Double = 0) {
        precondition(secondaryWeight >= 0 && secondaryWeight <= 1, "the mixture weight must lie in 0...1, got \(secondaryWeight)")
        precondition(gradient.isFinite, "the mixture gradient must be finite")
        self.primary = primary
        self.secondary = secondary
        self.secondaryWeight = secondaryWeight
        self.gradient = gradient
        self.direction = direction
    }

    /// A short name: `D65`, `A+D65@0.35` (uniform mixture, weight of the second), or
    /// `A~D65@0.35` (mixture varying across the image; weight at the centre).
    public var name: String {
        guard let s = secondary else { return primary.name }
        let w = String(format: "%.2f", secondaryWeight)
        return "\(primary.name)\(gradient == 0 ? "+" : "~")\(s.name)@\(w)"
    }

    /// Whether the light differs across the image.
    public var isSpatiallyVarying: Bool { secondary != nil && gradient != 0 }

    /// The illuminant spectrum at mixture weight `w`.
    public func spectrum(weight w: Double) -> Spectrum {
        guard let s = secondary else { return primary.spectrum }
        return Spectrum.mix(primary.spectrum, s.spectrum, w)
    }
}

/// A synthetic scene: materials arranged in regions, shaded, textured and lit.
///
/// A scene is sampled once per packed pixel (2x2 CFA tile), at the tile's centre: the four
/// photosites of a tile see the same spectrum, and the packed pixel `(y, x)` of two cameras
/// rendering the same scene sees exactly the same light, so their packed images are
/// pixel-aligned. The radiance at a point is `shading(u, v) * E_w(λ) * R_t(λ)`, where `R_t` mixes
/// the region's material from its base toward its texture spectrum by the fine texture field and
/// `E_w` is the lighting's mixture there.
public struct Scene: Sendable, Equatable, Codable {
    /// Width in packed pixels (the mosaic is twice as wide).
    public var width: Int
    /// Height in packed pixels (the mosaic is twice as high).
    public var height: Int
    /// The materials the regions refer to.
    public var materials: [SceneMaterial]
    /// The regions: Voronoi cells (at least one) and rectangles painted over them in order.
    public var regions: [SceneRegion]
    /// The smooth shading.
    public var shading: ShadingField
    /// The feature size of the fine texture, in scene units.
    public var textureScale: Double
    /// Seed of the texture noise lattice.
    public var textureSeed: UInt64
    /// The light.
    public var lighting: SceneLighting

    /// Creates a scene. At least one region must be a cell, and every region's material must exist.
    public init(width: Int, height: Int, materials: [SceneMaterial], regions: [SceneRegion], shading: ShadingField = .flat,
                textureScale: Double = 0.01, textureSeed: UInt64 = 0, lighting: SceneLighting) {
        precondition(width > 0 && height > 0, "a scene needs a positive size, got \(width)x\(height)")
        precondition(regions.contains { if case .cell = $0.shape { return true } else { return false } },
                     "a scene needs at least one Voronoi cell (it covers what the rectangles leave)")
        precondition(regions.allSatisfy { $0.material >= 0 && $0.material < materials.count },
                     "every region must refer to one of the \(materials.count) materials")
        precondition(textureScale > 0, "the texture scale must be positive, got \(textureScale)")
        self.width = width
        self.height = height
        self.materials = materials
        self.regions = regions
        self.shading = shading
        self.textureScale = textureScale
        self.textureSeed = textureSeed
        self.lighting = lighting
    }

    /// A scene of one flat material filling the image, without shading or texture.
    public static func uniform(width: Int, height: Int, reflectance: Spectrum, lighting: SceneLighting) -> Scene {
        Scene(width: width, height: height, materials: [SceneMaterial(name: "uniform", base: reflectance)],
              regions: [SceneRegion(shape: .cell(site: SIMD2(0.5, 0.5)), material: 0)], lighting: lighting)
    }

    /// The mean weight of the secondary illuminant over the image (0 without one).
    public var meanSecondaryWeight: Double {
        guard lighting.secondary != nil else { return 0 }
        if lighting.gradient == 0 { return lighting.secondaryWeight }
        let raster = SceneRaster(self)
        var s = 0.0
        for y in 0..<height {
            for x in 0..<width { s += raster.lightWeight(x: x, y: y) }
        }
        return s / Double(width * height)
    }

    /// The illuminant spectrum averaged over the image (what a grey-world estimate would see as the light).
    public var meanIlluminant: Spectrum { lighting.spectrum(weight: meanSecondaryWeight) }
}

/// Evaluates a scene's fields at packed pixels (no randomness: everything hashes from seeds).
struct SceneRaster: Sendable {
    let scene: Scene
    let cells: [(site: SIMD2<Double>, material: Int)]
    let rectangles: [(minimum: SIMD2<Double>, maximum: SIMD2<Double>, material: Int)]
    let invWidth: Double
    let centre: SIMD2<Double>
    let lightDirection: SIMD2<Double>
    let lightScale: Double
    let shadeDirection: SIMD2<Double>
    let logShadeMinimum: Double

    init(_ scene: Scene) {
        self.scene = scene
        var cells: [(SIMD2<Double>, Int)] = []
        var rects: [(SIMD2<Double>, SIMD2<Double>, Int)] = []
        for r in scene.regions {
            switch r.shape {
            case .cell(let s): cells.append((s, r.material))
            case .rectangle(let lo, let hi): rects.append((lo, hi, r.material))
            }
        }
        self.cells = cells
        self.rectangles = rects
        invWidth = 1 / Double(scene.width)
        let aspect = Double(scene.height) / Double(scene.width)
        centre = SIMD2(0.5, aspect / 2)
        lightDirection = SIMD2(Foundation.cos(scene.lighting.direction), Foundation.sin(scene.lighting.direction))
        lightScale = scene.lighting.gradient / (1 + aspect * aspect).squareRoot()
        shadeDirection = SIMD2(Foundation.cos(scene.shading.direction), Foundation.sin(scene.shading.direction))
        logShadeMinimum = Foundation.log(scene.shading.minimum)
    }

    @inline(__always)
    func point(x: Int, y: Int) -> SIMD2<Double> {
        SIMD2((Double(x) + 0.5) * invWidth, (Double(y) + 0.5) * invWidth)
    }

    /// The material index at a packed pixel.
    func material(x: Int, y: Int) -> Int {
        let p = point(x: x, y: y)
        for r in rectangles.reversed() where p.x >= r.minimum.x && p.x < r.maximum.x && p.y >= r.minimum.y && p.y < r.maximum.y {
            return r.material
        }
        var best = 0, bestD = Double.infinity
        for (i, c) in cells.enumerated() {
            let d = p - c.site
            let dd = d.x * d.x + d.y * d.y
            if dd < bestD { bestD = dd; best = i }
        }
        return cells[best].material
    }

    /// The material index of every packed pixel of row `y` (`out` holds `width` elements); the
    /// same as ``material(x:y:)`` but without per-pixel reference counting in the hot loop.
    func materials(row y: Int, into out: UnsafeMutableBufferPointer<Int>) {
        let width = scene.width
        cells.withUnsafeBufferPointer { cells in
            rectangles.withUnsafeBufferPointer { rects in
                for x in 0..<width {
                    let p = point(x: x, y: y)
                    var found = -1
                    var r = rects.count - 1
                    while r >= 0 {
                        let q = rects[r]
                        if p.x >= q.minimum.x && p.x < q.maximum.x && p.y >= q.minimum.y && p.y < q.maximum.y {
                            found = q.material
                            break
                        }
                        r -= 1
                    }
                    if found < 0 {
                        var best = 0, bestD = Double.infinity
                        for i in 0..<cells.count {
                            let d = p - cells[i].site
                            let dd = d.x * d.x + d.y * d.y
                            if dd < bestD { bestD = dd; best = i }
                        }
                        found = cells[best].material
                    }
                    out[x] = found
                }
            }
        }
    }

    /// The shading multiplier at a packed pixel.
    func shade(x: Int, y: Int) -> Double {
        let sh = scene.shading
        if sh.minimum >= 1 { return 1 }
        let p = point(x: x, y: y)
        // Stretch the noise (which gathers around 0.5) so the field reaches both ends of its range.
        let noise = min(max((ValueNoise.fractal(p / sh.scale, seed: sh.seed, octaves: 2) - 0.2) / 0.6, 0), 1)
        let ramp = min(max(0.5 + ((p - centre) * shadeDirection).sum(), 0), 1)
        let n = (1 - sh.rampWeight) * noise + sh.rampWeight * ramp
        return Foundation.exp(logShadeMinimum * (1 - n))
    }

    /// The texture mix (0...strength) at a packed pixel for a material of `strength`.
    func texture(x: Int, y: Int, strength: Double) -> Double {
        if strength == 0 { return 0 }
        let p = point(x: x, y: y)
        return strength * ValueNoise.fractal(p / scene.textureScale, seed: scene.textureSeed, octaves: 3)
    }

    /// The secondary illuminant's weight at a packed pixel.
    func lightWeight(x: Int, y: Int) -> Double {
        let l = scene.lighting
        guard l.secondary != nil else { return 0 }
        if l.gradient == 0 { return l.secondaryWeight }
        let d = ((point(x: x, y: y) - centre) * lightDirection).sum()
        return min(max(l.secondaryWeight + lightScale * d, 0), 1)
    }
}

/// Smooth 2-D value noise on an integer lattice hashed from a seed, in [0, 1].
enum ValueNoise {
    @inline(__always)
    static func lattice(_ ix: Int, _ iy: Int, _ seed: UInt64) -> Double {
        var h = seed ^ (UInt64(bitPattern: Int64(ix)) &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(bitPattern: Int64(iy)) &* 0xC2B2_AE3D_27D4_EB4F)
        h = (h ^ (h >> 30)) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ (h >> 27)) &* 0x94D0_49BB_1331_11EB
        h ^= h >> 31
        return Double(h >> 11) * 0x1.0p-53
    }

    /// Bilinear interpolation of lattice values with a smoothstep fade.
    @inline(__always)
    static func value(_ p: SIMD2<Double>, seed: UInt64) -> Double {
        let fx = p.x.rounded(.down), fy = p.y.rounded(.down)
        let ix = Int(fx), iy = Int(fy)
        let tx = p.x - fx, ty = p.y - fy
        let sx = tx * tx * (3 - 2 * tx), sy = ty * ty * (3 - 2 * ty)
        let a = lattice(ix, iy, seed), b = lattice(ix + 1, iy, seed)
        let c = lattice(ix, iy + 1, seed), d = lattice(ix + 1, iy + 1, seed)
        return (a + (b - a) * sx) * (1 - sy) + (c + (d - c) * sx) * sy
    }

    /// A sum of `octaves` octaves (each twice the frequency, half the amplitude), normalised to [0, 1].
    static func fractal(_ p: SIMD2<Double>, seed: UInt64, octaves: Int) -> Double {
        var sum = 0.0, amplitude = 1.0, total = 0.0, q = p
        for o in 0..<octaves {
            sum += amplitude * value(q, seed: seed &+ UInt64(o) &* 0x632B_E59B_D9B4_E019)
            total += amplitude
            amplitude *= 0.5
            q *= 2
        }
        return sum / total
    }
}
