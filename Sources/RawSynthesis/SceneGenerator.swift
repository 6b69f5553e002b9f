import RawSupport
/// The distribution random scenes are drawn from (sizes, region counts, shading, texture, light).
///
/// Ranges are sampled uniformly. Sizes are in packed pixels; lengths in scene units (fractions of
/// the image width, see ``SceneShape``).
public struct SceneConfiguration: Sendable, Equatable, Codable {
    /// Width in packed pixels.
    public var width: Int
    /// Height in packed pixels.
    public var height: Int
    /// How many Voronoi cells tile the background.
    public var cellCount: ClosedRange<Int>
    /// How many random rectangles are painted over the cells.
    public var rectangleCount: ClosedRange<Int>
    /// The probability that a scene holds a ColorChecker chart (24 patches on a dark frame).
    public var chartProbability: Double
    /// How many measured reflectances a material mixes.
    public var mixtureComponents: ClosedRange<Int>
    /// The factor a material's mixture is scaled by (its albedo relative to the measured spectra).
    public var albedo: ClosedRange<Double>
    /// The darkest value of the shading field (1 = no shading).
    public var shadingMinimum: ClosedRange<Double>
    /// The feature size of the shading field.
    public var shadingScale: ClosedRange<Double>
    /// How strongly the fine texture mixes each material toward its texture spectrum.
    public var textureStrength: ClosedRange<Double>
    /// The feature size of the fine texture.
    public var textureScale: ClosedRange<Double>
    /// The names of the illuminants to choose from (see ``SpectralData/illuminantNames``).
    public var illuminants: [String]
    /// The probability that the light is a mixture of two different illuminants.
    public var mixtureProbability: Double
    /// The probability that a mixture varies across the image (otherwise it is uniform).
    public var spatialMixtureProbability: Double

    /// Creates a configuration; every parameter but the size has a default.
    public init(width: Int, height: Int, cellCount: ClosedRange<Int> = 12...40, rectangleCount: ClosedRange<Int> = 0...5,
                chartProbability: Double = 0.3, mixtureComponents: ClosedRange<Int> = 1...3,
                albedo: ClosedRange<Double> = 0.35...1.0, shadingMinimum: ClosedRange<Double> = 0.12...0.6,
                shadingScale: ClosedRange<Double> = 0.25...0.7, textureStrength: ClosedRange<Double> = 0...0.6,
                textureScale: ClosedRange<Double> = 0.004...0.02, illuminants: [String] = SpectralData.illuminantNames,
                mixtureProbability: Double = 0.35, spatialMixtureProbability: Double = 0.5) {
        precondition(width > 0 && height > 0, "scenes need a positive size, got \(width)x\(height)")
        precondition(cellCount.lowerBound >= 1, "scenes need at least one Voronoi cell")
        precondition(rectangleCount.lowerBound >= 0 && mixtureComponents.lowerBound >= 1, "counts must be non-negative (components at least 1)")
        precondition(albedo.lowerBound > 0, "the albedo must be positive")
        precondition(shadingMinimum.lowerBound > 0 && shadingMinimum.upperBound <= 1, "the darkest shade must lie in (0, 1]")
        precondition(shadingScale.lowerBound > 0 && textureScale.lowerBound > 0, "feature sizes must be positive")
        precondition(textureStrength.lowerBound >= 0 && textureStrength.upperBound <= 1, "texture strength must lie in 0...1")
        precondition(!illuminants.isEmpty, "scenes need at least one illuminant to choose from")
        for p in [chartProbability, mixtureProbability, spatialMixtureProbability] {
            precondition(p >= 0 && p <= 1, "probabilities must lie in 0...1, got \(p)")
        }
        self.width = width
        self.height = height
        self.cellCount = cellCount
        self.rectangleCount = rectangleCount
        self.chartProbability = chartProbability
        self.mixtureComponents = mixtureComponents
        self.albedo = albedo
        self.shadingMinimum = shadingMinimum
        self.shadingScale = shadingScale
        self.textureStrength = textureStrength
        self.textureScale = textureScale
        self.illuminants = illuminants
        self.mixtureProbability = mixtureProbability
        self.spatialMixtureProbability = spatialMixtureProbability
    }
}

/// Draws random scenes from measured reflectances and illuminants, deterministically by seed.
///
/// A scene is a Voronoi mosaic of materials with random rectangles on top and, sometimes, a
/// ColorChecker chart; every material is a random non-negative mixture of one to three measured
/// reflectances (ColorChecker + training set) scaled by an albedo, with a fine texture toward a
/// darker, slightly different spectrum; a smooth shading field multiplies everything; the light
/// is one illuminant or a mixture of two, possibly varying across the image.
public struct SceneGenerator: Sendable {
    /// The distribution of scenes.
    public let configuration: SceneConfiguration
    /// The reflectances materials are mixed from.
    public let reflectances: [NamedSpectrum]
    /// The ColorChecker patches used for charts.
    public let chart: [NamedSpectrum]
    /// The illuminants lights are chosen from (those named in the configuration).
    public let illuminants: [Illuminant]

    /// Creates a generator. Every illuminant the configuration names must exist in `data`.
    public init(data: SpectralData, configuration: SceneConfiguration) {
        self.configuration = configuration
        self.reflectances = data.allReflectances
        self.chart = data.colorChecker
        self.illuminants = configuration.illuminants.map { n in
            guard let i = data.illuminant(named: n) else {
                preconditionFailure("unknown illuminant '\(n)'; known: \(data.illuminants.map(\.name).joined(separator: ", "))")
            }
            return i
        }
    }

    /// The scene for `seed` (the same seed always gives the same scene).
    public func scene(seed: UInt64) -> Scene {
        let c = configuration
        var rng = SimulationRandom(seed: SplitMix64.derive(seed, 0x5CE4E))
        let aspect = Double(c.height) / Double(c.width)
        var materials: [SceneMaterial] = []
        var regions: [SceneRegion] = []

        let cells = int(&rng, c.cellCount)
        for _ in 0..<cells {
            let site = SIMD2(rng.nextDouble(), rng.nextDouble() * aspect)
            let m: Int
            if !materials.isEmpty && rng.chance(0.15) {
                m = rng.nextInt(below: materials.count)   // a material spanning several cells
            } else {
                materials.append(material(&rng))
                m = materials.count - 1
            }
            regions.append(SceneRegion(shape: .cell(site: site), material: m))
        }
        for _ in 0..<int(&rng, c.rectangleCount) {
            let size = SIMD2(rng.uniform(0.05, 0.3), rng.uniform(0.05, 0.3) * max(aspect, 0.2))
            let lo = SIMD2(rng.uniform(-0.05, 1.0 - size.x * 0.5), rng.uniform(-0.05, aspect - size.y * 0.5))
            materials.append(material(&rng))
            regions.append(SceneRegion(shape: .rectangle(minimum: lo, maximum: lo + size), material: materials.count - 1))
        }
        if rng.chance(c.chartProbability) {
            addChart(&rng, aspect: aspect, materials: &materials, regions: &regions)
        }
        let shading = ShadingField(minimum: double(&rng, c.shadingMinimum), scale: double(&rng, c.shadingScale),
                                   rampWeight: rng.uniform(0, 0.5), direction: rng.uniform(0, 2 * .pi), seed: rng.next())
        let textureScale = double(&rng, c.textureScale)
        let textureSeed = rng.next()
        let lighting = self.lighting(&rng)
        return Scene(width: c.width, height: c.height, materials: materials, regions: regions, shading: shading,
                     textureScale: textureScale, textureSeed: textureSeed, lighting: lighting)
    }

    private func int(_ rng: inout SimulationRandom, _ r: ClosedRange<Int>) -> Int {
        r.lowerBound + rng.nextInt(below: r.upperBound - r.lowerBound + 1)
    }

    private func double(_ rng: inout SimulationRandom, _ r: ClosedRange<Double>) -> Double {
        rng.uniform(r.lowerBound, r.upperBound)
    }

    private func material(_ rng: inout SimulationRandom) -> SceneMaterial {
        let k = int(&rng, configuration.mixtureComponents)
        var picks: [NamedSpectrum] = []
        var weights: [Double] = []
        for _ in 0..<k {
            picks.append(reflectances[rng.nextInt(below: reflectances.count)])
            weights.append(rng.uniform(0.1, 1))
        }
        let total = weights.reduce(0, +)
        let albedo = double(&rng, configuration.albedo)
        weights = weights.map { $0 / total * albedo }
        let base = Spectrum.combination(picks.map(\.spectrum), weights: weights)
        let other = reflectances[rng.nextInt(below: reflectances.count)].spectrum.scaled(by: albedo)
        let texture = Spectrum.mix(base, other, rng.uniform(0, 0.5)).scaled(by: rng.uniform(0.4, 0.9))
        let name = zip(weights, picks).map { w, p in "\(Double(Int(w * 100)) / 100) \(p.name)" }.joined(separator: " + ")
        return SceneMaterial(name: name, base: base, texture: texture,
                             textureStrength: double(&rng, configuration.textureStrength))
    }

    /// A 6x4 ColorChecker on a dark frame, 30-50 % of the image width, placed inside the image.
    private func addChart(_ rng: inout SimulationRandom, aspect: Double, materials: inout [SceneMaterial],
                          regions: inout [SceneRegion]) {
        var patch = rng.uniform(0.05, 0.083)
        patch = min(patch, aspect / 4.6)
        let frame = SIMD2(patch * 6.6, patch * 4.6)
        let lo = SIMD2(rng.uniform(0, max(1 - frame.x, 0)), rng.uniform(0, max(aspect - frame.y, 0)))
        let black = chart.last!.spectrum.scaled(by: 0.6)
        materials.append(SceneMaterial(name: "chart frame", base: black))
        regions.append(SceneRegion(shape: .rectangle(minimum: lo, maximum: lo + frame), material: materials.count - 1))
        for (i, p) in chart.enumerated() {
            let row = i / 6, col = i % 6
            let corner = lo + SIMD2(patch * (0.3 + 1.05 * Double(col)), patch * (0.3 + 1.05 * Double(row)))
            materials.append(SceneMaterial(name: p.name, base: p.spectrum))
            regions.append(SceneRegion(shape: .rectangle(minimum: corner, maximum: corner + SIMD2(patch * 0.9, patch * 0.9)),
                                       material: materials.count - 1))
        }
    }

    private func lighting(_ rng: inout SimulationRandom) -> SceneLighting {
        let i = rng.nextInt(below: illuminants.count)
        let primary = illuminants[i]
        guard illuminants.count > 1, rng.chance(configuration.mixtureProbability) else { return SceneLighting(primary) }
        var j = rng.nextInt(below: illuminants.count - 1)
        if j >= i { j += 1 }   // any other illuminant than the primary, uniformly
        let secondary = illuminants[j]
        if rng.chance(configuration.spatialMixtureProbability) {
            let sign: Double = rng.chance(0.5) ? 1 : -1
            return SceneLighting(primary: primary, secondary: secondary, secondaryWeight: rng.uniform(0.3, 0.7),
                                 gradient: sign * rng.uniform(0.6, 1.6), direction: rng.uniform(0, 2 * .pi))
        }
        return SceneLighting(primary: primary, secondary: secondary, secondaryWeight: rng.uniform(0.2, 0.8))
    }
}
