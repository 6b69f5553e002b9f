import RawIO

/// Shot noise of a simulated sensor: how many photo-electrons one raw step (DN) stands for.
public enum ShotNoise: Sendable, Equatable, Codable {
    /// A fixed conversion gain: electrons per DN.
    case electronsPerDN(Double)
    /// The electron count that fills the range from black to white (the full-well capacity at base ISO).
    case electronsAtWhite(Double)

    /// Electrons per DN for a sensor whose signal range (white minus black) is `range` DN.
    public func electronsPerDN(range: Double) -> Double {
        switch self {
        case .electronsPerDN(let g): return g
        case .electronsAtWhite(let n): return n / range
        }
    }
}

/// The noise of a simulated sensor: Poisson shot noise on the photo-electrons plus Gaussian read noise.
public struct NoiseModel: Sendable, Equatable, Codable {
    /// Shot noise, or `nil` for none.
    public var shot: ShotNoise?
    /// Standard deviation of the Gaussian read noise, in DN (added before quantisation).
    public var readNoise: Double

    /// Creates a noise model.
    public init(shot: ShotNoise?, readNoise: Double) {
        precondition(readNoise >= 0 && readNoise.isFinite, "read noise must be a finite non-negative number of DN, got \(readNoise)")
        if case .electronsPerDN(let g)? = shot { precondition(g > 0, "electrons per DN must be positive, got \(g)") }
        if case .electronsAtWhite(let n)? = shot { precondition(n > 0, "electrons at white must be positive, got \(n)") }
        self.shot = shot
        self.readNoise = readNoise
    }

    /// No noise at all: the rendered raw values are the quantised signal.
    public static let none = NoiseModel(shot: nil, readNoise: 0)

    /// Whether the model adds any noise.
    public var isNoiseFree: Bool { shot == nil && readNoise == 0 }
}

/// What an auto-exposure rule measures on the scene.
public enum ExposureMetering: String, Sendable, Equatable, Codable, CaseIterable {
    /// A percentile (``AutoExposure/percentile``) of the per-pixel largest channel (the default).
    case maximumPercentile = "percentile"
    /// The mean of all photosites over the whole image (per packed pixel `(R + 2G + B) / 4`, the
    /// mean of the raw values above black as a fraction of the range).
    case mean
    /// The mean of all photosites weighted by a Gaussian centred on the image, with a standard
    /// deviation of a third of the image's width (horizontally) and height (vertically).
    case centreWeighted = "centre-weighted"

    /// The exposure target a rule with this metering uses unless told otherwise: 0.85 of the range
    /// for the percentile of the largest channel, 0.2 for the means.
    public var defaultTarget: Double { self == .maximumPercentile ? 0.85 : 0.2 }
}

/// Automatic exposure: scale the scene so that a metered level (by default a percentile of the
/// brightest channel) hits a target level.
public struct AutoExposure: Sendable, Equatable, Codable {
    /// The percentile (0...1) of the per-pixel largest channel that is metered, e.g. 0.98
    /// (used by ``ExposureMetering/maximumPercentile`` only).
    public var percentile: Double
    /// Where the metered level lands, as a fraction of the range from black to white, e.g. 0.8.
    public var target: Double
    /// Per-capture randomness: the exposure is multiplied by `2^u`, `u` uniform in `±jitterStops`.
    public var jitterStops: Double
    /// What is metered.
    public var metering: ExposureMetering

    /// Creates an auto-exposure rule.
    public init(percentile: Double = 0.98, target: Double = 0.85, jitterStops: Double = 0.3,
                metering: ExposureMetering = .maximumPercentile) {
        precondition(percentile > 0 && percentile <= 1, "the metered percentile must lie in (0, 1], got \(percentile)")
        precondition(target > 0 && target.isFinite, "the exposure target must be positive, got \(target)")
        precondition(jitterStops >= 0 && jitterStops.isFinite, "the exposure jitter must be non-negative, got \(jitterStops)")
        self.percentile = percentile
        self.target = target
        self.jitterStops = jitterStops
        self.metering = metering
    }

    private enum CodingKeys: String, CodingKey { case percentile, target, jitterStops, metering }

    /// Decodes a rule; a missing `metering` key (manifests written before metering modes existed)
    /// means ``ExposureMetering/maximumPercentile``.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        percentile = try c.decode(Double.self, forKey: .percentile)
        target = try c.decode(Double.self, forKey: .target)
        jitterStops = try c.decode(Double.self, forKey: .jitterStops)
        metering = try c.decodeIfPresent(ExposureMetering.self, forKey: .metering) ?? .maximumPercentile
    }

    /// Encodes a rule; the default metering is left out, so such rules encode exactly as before.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(percentile, forKey: .percentile)
        try c.encode(target, forKey: .target)
        try c.encode(jitterStops, forKey: .jitterStops)
        if metering != .maximumPercentile { try c.encode(metering, forKey: .metering) }
    }
}

/// How a simulated camera chooses its exposure.
public enum ExposureControl: Sendable, Equatable, Codable {
    /// Auto-exposure (metered per capture, with per-capture randomness).
    case automatic(AutoExposure)
    /// A fixed exposure: a camera response (see ``CameraModel/response(reflectance:illuminant:)``)
    /// of 1 times the scene's shading becomes this fraction of the range from black to white.
    /// Raw values above black are proportional to it (below clipping, without noise).
    case fixed(Double)
}

/// A simulated raw camera: spectral sensitivities behind a Bayer CFA, levels, exposure and noise.
///
/// A camera turns a ``Scene`` into a raw ``BayerImage`` (or directly a ``PackedImage``): it
/// integrates each scene spectrum against its three sensitivities (times ``channelGains``),
/// exposes, adds shot and read noise, clips at the white level, quantises to integers, adds the
/// black level and mosaics to its CFA. Its colour response to any list of spectra is available on
/// its own (``response(reflectance:illuminant:)``, ``responses(reflectances:illuminant:)``), e.g. to
/// render virtual training pairs from fitted sensitivities.
///
/// ``colorMatrices`` (DNG `ColorMatrix1`/`ColorMatrix2`, XYZ to camera, under A and D65) are fitted
/// by least squares over the 190 training reflectances whenever the sensitivities or gains change.
public struct CameraModel: Sendable, Equatable {
    /// A short identifier, used as the dataset folder name (e.g. `iphonex-like`).
    public var name: String
    /// The make written into the metadata.
    public var make: String
    /// The model written into the metadata.
    public var model: String
    /// Spectral sensitivities of the R, G, B filters.
    public var sensitivities: CameraSensitivities { didSet { refit() } }
    /// Relative analogue gain of the R, G, B channels (multiplies the sensitivities; both presets use 1).
    public var channelGains: SIMD3<Double> { didSet { refit() } }
    /// The phase of the CFA at (0,0).
    public var pattern: CFAPattern
    /// The black level, in DN (the same for every CFA position).
    public var blackLevel: Int
    /// The saturation level, in DN.
    public var whiteLevel: Int
    /// The bit depth of the raw values (`whiteLevel` must fit in it).
    public var bitDepth: Int
    /// How the exposure is chosen.
    public var exposure: ExposureControl
    /// Shot and read noise.
    public var noise: NoiseModel
    /// DNG colour matrices (XYZ to camera) fitted from the spectra, under A (EXIF 17) and D65 (EXIF 21).
    public private(set) var colorMatrices: [ColorMatrix]

    private let reference: ColorimetricReference

    /// Creates a camera; `data` supplies the colour matching functions, illuminants A and D65 and the
    /// training reflectances used to fit ``colorMatrices``.
    public init(name: String, make: String, model: String, sensitivities: CameraSensitivities,
                channelGains: SIMD3<Double> = SIMD3(1, 1, 1), pattern: CFAPattern, blackLevel: Int,
                whiteLevel: Int, bitDepth: Int, exposure: ExposureControl = .automatic(AutoExposure()),
                noise: NoiseModel, colorimetry data: SpectralData) {
        precondition(bitDepth >= 1 && bitDepth <= 16, "bit depth must be 1...16, got \(bitDepth)")
        precondition(whiteLevel > 0 && whiteLevel <= (1 << bitDepth) - 1,
                     "white level \(whiteLevel) must be positive and fit in \(bitDepth) bits")
        precondition(blackLevel >= 0 && blackLevel < whiteLevel, "black level \(blackLevel) must lie in 0..<white level \(whiteLevel)")
        precondition(channelGains.min() > 0, "channel gains must be positive, got \(channelGains)")
        self.name = name
        self.make = make
        self.model = model
        self.sensitivities = sensitivities
        self.channelGains = channelGains
        self.pattern = pattern
        self.blackLevel = blackLevel
        self.whiteLevel = whiteLevel
        self.bitDepth = bitDepth
        self.exposure = exposure
        self.noise = noise
        self.reference = ColorimetricReference(data)
        self.colorMatrices = []
        refit()
    }

    /// Compares every setting (the colorimetric reference data are not compared).
    public static func == (a: CameraModel, b: CameraModel) -> Bool {
        a.name == b.name && a.make == b.make && a.model == b.model && a.sensitivities == b.sensitivities
            && a.channelGains == b.channelGains && a.pattern == b.pattern && a.blackLevel == b.blackLevel
            && a.whiteLevel == b.whiteLevel && a.bitDepth == b.bitDepth && a.exposure == b.exposure
            && a.noise == b.noise && a.colorMatrices == b.colorMatrices
    }

    private mutating func refit() {
        colorMatrices = [
            fittedColorMatrix(illuminant: reference.a, exifLightSource: 17),
            fittedColorMatrix(illuminant: reference.d65, exifLightSource: 21),
        ]
    }

    // MARK: Presets

    /// A 12-bit RGGB phone sensor like the iPhone X's, with the Nikon D5100 curves as its filters.
    ///
    /// Black 528, white 4095, 12 bits (the paper's extraction script's levels for the iPhone X);
    /// shot noise of 4600 electrons at white (about 1.3 e-/DN), read noise 2.5 DN; auto-exposure at
    /// the 98th percentile to 0.85 of the range, ±0.3 stops per capture.
    public static func iPhoneXLike(_ data: SpectralData) -> CameraModel {
        CameraModel(name: "iphonex-like", make: "Apple", model: "iPhone X (simulated)", sensitivities: data.nikon5100,
                    pattern: .rggb, blackLevel: 528, whiteLevel: 4095, bitDepth: 12,
                    noise: NoiseModel(shot: .electronsAtWhite(4600), readNoise: 2.5), colorimetry: data)
    }

    /// A 10-bit GRBG phone sensor like the Galaxy S9's, with the Sigma SD Merrill curves as its filters.
    ///
    /// Black 0, white 1023, 10 bits (the paper's extraction script's levels for the Galaxy S9);
    /// shot noise of 4000 electrons at white (about 3.9 e-/DN), read noise 0.8 DN; auto-exposure at
    /// the 98th percentile to 0.85 of the range, ±0.3 stops per capture.
    public static func galaxyS9Like(_ data: SpectralData) -> CameraModel {
        CameraModel(name: "s9-like", make: "Samsung", model: "Galaxy S9 (simulated)", sensitivities: data.sigmaSDMerrill,
                    pattern: .grbg, blackLevel: 0, whiteLevel: 1023, bitDepth: 10,
                    noise: NoiseModel(shot: .electronsAtWhite(4000), readNoise: 0.8), colorimetry: data)
    }

    // MARK: Spectral response

    /// The signal range from black to white, in DN.
    public var range: Double { Double(whiteLevel - blackLevel) }

    /// The camera's linear R, G, B response to `reflectance` lit by `illuminant`:
    /// `gain_c * sum_λ S_c(λ) E(λ) R(λ)` over the 31 samples (before exposure, noise and clipping).
    public func response(reflectance: Spectrum, illuminant: Spectrum) -> SIMD3<Double> {
        let weighted = ChannelWeights(self, illuminant: illuminant)
        return weighted.response(reflectance)
    }

    /// The responses to many reflectances under one illuminant (the illuminant is folded into the
    /// sensitivities once, then each reflectance costs 93 multiply-adds).
    public func responses(reflectances: [Spectrum], illuminant: Spectrum) -> [SIMD3<Double>] {
        let weighted = ChannelWeights(self, illuminant: illuminant)
        return reflectances.map { weighted.response($0) }
    }

    /// The responses to a list of (reflectance, illuminant) samples, in order.
    public func responses(samples: [(reflectance: Spectrum, illuminant: Spectrum)]) -> [SIMD3<Double>] {
        var cache: [Spectrum: ChannelWeights] = [:]
        return samples.map { s in
            if let w = cache[s.illuminant] { return w.response(s.reflectance) }
            let w = ChannelWeights(self, illuminant: s.illuminant)
            cache[s.illuminant] = w
            return w.response(s.reflectance)
        }
    }

    /// The sensitivities times the channel gains times `illuminant`, wavelength by wavelength: the
    /// linear operator of ``response(reflectance:illuminant:)``, whose channel `c` is
    /// `weighted.c.dot(reflectance)`. Useful to fit sensitivities or to batch responses as a matrix product.
    public func weightedSensitivities(illuminant: Spectrum) -> CameraSensitivities {
        let w = ChannelWeights(self, illuminant: illuminant)
        return CameraSensitivities(name: sensitivities.name, red: Spectrum(w.r), green: Spectrum(w.g), blue: Spectrum(w.b))
    }

    /// The colour of a perfect white reflector under `illuminant`, normalised so its largest channel is 1
    /// (the DNG `AsShotNeutral` of a capture under that light).
    public func neutral(illuminant: Spectrum) -> SIMD3<Double> {
        let r = response(reflectance: .constant(1), illuminant: illuminant)
        return r / max(r.max(), .leastNormalMagnitude)
    }

    /// Fits a DNG colour matrix (XYZ to camera) for `illuminant` over the training reflectances.
    ///
    /// Least squares `M = argmin sum_i |M X_i - C_i|^2` over the 190 training reflectances, with
    /// `X_i` their CIE XYZ and `C_i` the camera's response under the illuminant, solved in closed
    /// form (3x3 normal equations). The matrix is then scaled, as the DNG SDK normalises colour
    /// matrices, so that the D50 white (0.9642, 1, 0.8249) maps to a camera colour whose largest
    /// channel is 1.
    public func fittedColorMatrix(illuminant: Illuminant, exifLightSource: Int) -> ColorMatrix {
        let weights = ChannelWeights(self, illuminant: illuminant.spectrum)
        var xtx = [Double](repeating: 0, count: 9), ctx = [Double](repeating: 0, count: 9)
        for r in reference.training {
            let x = reference.xyz(r, illuminant.spectrum)
            let c = weights.response(r)
            for i in 0..<3 {
                for j in 0..<3 {
                    xtx[i * 3 + j] += x[i] * x[j]
                    ctx[i * 3 + j] += c[i] * x[j]
                }
            }
        }
        var m = Matrix3.multiply(ctx, Matrix3.inverse(xtx))
        let d50 = SIMD3(0.9642, 1.0, 0.8249)
        let white = Matrix3.apply(m, d50)
        let s = white.max()
        if s > 0 { m = m.map { $0 / s } }
        return ColorMatrix(illuminant: exifLightSource, values: m)
    }

    /// The metadata of a capture under a light whose neutral is `asShotNeutral` (R, G, B).
    ///
    /// Make, model, `AsShotNeutral`, the white-balance multipliers `1/neutral` scaled to green 1
    /// (R, G, B, G), and ``colorMatrices``.
    public func metadata(asShotNeutral: SIMD3<Double>) -> RawMetadata {
        let n = asShotNeutral
        let wb = [n.y / n.x, 1, n.y / n.z, 1]
        return RawMetadata(make: make, model: model, asShotNeutral: [n.x, n.y, n.z],
                           cameraWhiteBalance: wb, colorMatrices: colorMatrices)
    }
}

/// The camera's three sensitivities times its gains times one illuminant, ready for dot products.
struct ChannelWeights {
    let r: [Double], g: [Double], b: [Double]

    init(_ camera: CameraModel, illuminant: Spectrum) {
        let s = camera.sensitivities, k = camera.channelGains
        r = (0..<Spectrum.count).map { k.x * s.red[$0] * illuminant[$0] }
        g = (0..<Spectrum.count).map { k.y * s.green[$0] * illuminant[$0] }
        b = (0..<Spectrum.count).map { k.z * s.blue[$0] * illuminant[$0] }
    }

    @inline(__always)
    func response(_ reflectance: Spectrum) -> SIMD3<Double> {
        var acc = SIMD3<Double>(0, 0, 0)
        let v = reflectance.values
        for i in 0..<Spectrum.count {
            acc += SIMD3(r[i], g[i], b[i]) * v[i]
        }
        return acc
    }
}

/// What the colour-matrix fit needs from ``SpectralData``.
struct ColorimetricReference: Sendable {
    let x: Spectrum, y: Spectrum, z: Spectrum
    let a: Illuminant, d65: Illuminant
    let training: [Spectrum]

    init(_ data: SpectralData) {
        (x, y, z) = data.colorMatchingFunctions
        a = data.illuminant(named: "A")!
        d65 = data.illuminant(named: "D65")!
        training = data.trainingReflectances.map(\.spectrum)
    }

    func xyz(_ reflectance: Spectrum, _ illuminant: Spectrum) -> SIMD3<Double> {
        var acc = SIMD3<Double>(0, 0, 0)
        for i in 0..<Spectrum.count {
            acc += SIMD3(x[i], y[i], z[i]) * (reflectance[i] * illuminant[i])
        }
        return acc
    }
}

/// Row-major 3x3 matrix helpers for the colour-matrix fit.
enum Matrix3 {
    static func multiply(_ a: [Double], _ b: [Double]) -> [Double] {
        var c = [Double](repeating: 0, count: 9)
        for i in 0..<3 { for j in 0..<3 { for k in 0..<3 { c[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j] } } }
        return c
    }

    static func apply(_ m: [Double], _ v: SIMD3<Double>) -> SIMD3<Double> {
        SIMD3(m[0] * v.x + m[1] * v.y + m[2] * v.z,
              m[3] * v.x + m[4] * v.y + m[5] * v.z,
              m[6] * v.x + m[7] * v.y + m[8] * v.z)
    }

    static func determinant(_ m: [Double]) -> Double {
        m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6])
    }

    /// The inverse by the adjugate; the matrix must be non-singular.
    static func inverse(_ m: [Double]) -> [Double] {
        let d = determinant(m)
        precondition(d != 0 && d.isFinite, "singular 3x3 matrix in the colour-matrix fit: \(m)")
        let adj = [
            m[4] * m[8] - m[5] * m[7], m[2] * m[7] - m[1] * m[8], m[1] * m[5] - m[2] * m[4],
            m[5] * m[6] - m[3] * m[8], m[0] * m[8] - m[2] * m[6], m[2] * m[3] - m[0] * m[5],
            m[3] * m[7] - m[4] * m[6], m[1] * m[6] - m[0] * m[7], m[0] * m[4] - m[1] * m[3],
        ]
        return adj.map { $0 / d }
    }
}
