/// A spectral quantity sampled at 400, 410, ..., 700 nm (31 samples, 10 nm steps).
///
/// Reflectances, illuminant spectral power distributions, camera sensitivities and colour matching
/// functions all share this grid, the one of the measured data shipped with the module
/// (see ``SpectralData``). Integrals over wavelength are plain sums over the 31 samples (the
/// 10 nm rectangle rule), so `dot(_:)` of a sensitivity with `illuminant * reflectance` is a
/// camera response.
public struct Spectrum: Sendable, Equatable, Hashable, Codable {
    /// The number of samples: 31.
    public static let count = 31
    /// The first wavelength, in nanometres.
    public static let firstWavelength = 400.0
    /// The step between samples, in nanometres.
    public static let wavelengthStep = 10.0
    /// The sampled wavelengths, 400 ... 700 nm.
    public static let wavelengths: [Double] = (0..<count).map { firstWavelength + Double($0) * wavelengthStep }

    /// The 31 samples, one per wavelength of ``wavelengths``.
    public private(set) var values: [Double]

    /// Creates a spectrum from its 31 samples (400 ... 700 nm).
    public init(_ values: [Double]) {
        precondition(values.count == Spectrum.count, "a Spectrum needs \(Spectrum.count) samples (400...700 nm, 10 nm), got \(values.count)")
        self.values = values
    }

    /// A spectrum with the same value at every wavelength (e.g. 1 for a perfect white reflector).
    public static func constant(_ value: Double) -> Spectrum {
        Spectrum([Double](repeating: value, count: count))
    }

    /// The sample at index `i` (0 = 400 nm, 30 = 700 nm).
    @inlinable
    public subscript(i: Int) -> Double { values[i] }

    /// The sum of all samples (the integral with the 10 nm rectangle rule, in units of 10 nm).
    public var sum: Double { values.reduce(0, +) }

    /// The largest sample.
    public var maximum: Double { values.max()! }

    /// The smallest sample.
    public var minimum: Double { values.min()! }

    /// The sum over wavelengths of the product with `other`.
    @inlinable
    public func dot(_ other: Spectrum) -> Double {
        var s = 0.0
        for i in 0..<Spectrum.count { s += values[i] * other.values[i] }
        return s
    }

    /// The spectrum scaled by `factor`.
    public func scaled(by factor: Double) -> Spectrum {
        Spectrum(values.map { $0 * factor })
    }

    /// The wavelength-wise product.
    public static func * (lhs: Spectrum, rhs: Spectrum) -> Spectrum {
        Spectrum((0..<count).map { lhs.values[$0] * rhs.values[$0] })
    }

    /// The wavelength-wise sum.
    public static func + (lhs: Spectrum, rhs: Spectrum) -> Spectrum {
        Spectrum((0..<count).map { lhs.values[$0] + rhs.values[$0] })
    }

    /// The spectrum scaled by a number.
    public static func * (lhs: Double, rhs: Spectrum) -> Spectrum { rhs.scaled(by: lhs) }

    /// `(1 - t) * a + t * b`.
    public static func mix(_ a: Spectrum, _ b: Spectrum, _ t: Double) -> Spectrum {
        Spectrum((0..<count).map { (1 - t) * a.values[$0] + t * b.values[$0] })
    }

    /// A non-negative combination `sum_i weights[i] * spectra[i]`.
    public static func combination(_ spectra: [Spectrum], weights: [Double]) -> Spectrum {
        precondition(spectra.count == weights.count && !spectra.isEmpty,
                     "combination needs as many weights as spectra (got \(weights.count) and \(spectra.count))")
        var out = [Double](repeating: 0, count: count)
        for (s, w) in zip(spectra, weights) {
            for i in 0..<count { out[i] += w * s.values[i] }
        }
        return Spectrum(out)
    }
}

/// A measured spectrum with its name in the source table (a reflectance, typically).
public struct NamedSpectrum: Sendable, Equatable, Codable {
    /// The column name in the source table (e.g. `dark_skin`, `r042`).
    public var name: String
    /// The spectrum.
    public var spectrum: Spectrum

    /// Creates a named spectrum.
    public init(name: String, spectrum: Spectrum) {
        self.name = name
        self.spectrum = spectrum
    }
}

/// A light source: a relative spectral power distribution with its name.
public struct Illuminant: Sendable, Equatable, Codable {
    /// The name, e.g. `D65`, `A`, `FL11`, `LED-B3`.
    public var name: String
    /// Relative spectral power (the shipped illuminants are 1 at 560 nm).
    public var spectrum: Spectrum

    /// Creates an illuminant.
    public init(name: String, spectrum: Spectrum) {
        self.name = name
        self.spectrum = spectrum
    }

    /// The EXIF `LightSource` code of this illuminant, if it is one of the standard ones.
    ///
    /// A = 17, D50 = 23, D65 = 21, D75 = 22, FL2 (cool white) = 14, FL7 (daylight-balanced
    /// broadband, 6500 K) = 12, FL11 (narrow tri-band, 4000 K) = 15; `nil` for the LED illuminants
    /// and any other name (EXIF has no code for them).
    public var exifLightSource: Int? {
        switch name {
        case "A": return 17
        case "D50": return 23
        case "D65": return 21
        case "D75": return 22
        case "FL2": return 14
        case "FL7": return 12
        case "FL11": return 15
        default: return nil
        }
    }
}

/// The spectral sensitivities of a camera's three colour filters (relative, unitless).
public struct CameraSensitivities: Sendable, Equatable, Codable {
    /// A short identifier of the measured curves, e.g. `nikon5100`.
    public var name: String
    /// The red filter's sensitivity.
    public var red: Spectrum
    /// The green filter's sensitivity.
    public var green: Spectrum
    /// The blue filter's sensitivity.
    public var blue: Spectrum

    /// Creates a set of sensitivities.
    public init(name: String, red: Spectrum, green: Spectrum, blue: Spectrum) {
        self.name = name
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// The three curves in the order R, G, B.
    public var channels: [Spectrum] { [red, green, blue] }
}
