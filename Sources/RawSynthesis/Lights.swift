import Foundation

/// Why a light name could not be resolved.
///
/// ``description`` is a sentence a person can act on (it lists the known names or the valid range).
public enum IlluminantError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No tabulated light, parametric light or group has this name.
    case unknown(name: String, known: [String])
    /// A parametric light (`blackbody-<K>`, `daylight-<K>`) outside the temperatures it is defined for.
    case temperatureOutOfRange(name: String, kelvin: Int, range: ClosedRange<Int>)

    /// A one-line message naming the bad light.
    public var description: String {
        switch self {
        case .unknown(let n, let known):
            return "unknown illuminant '\(n)'; known: \(known.joined(separator: ", ")), "
                + "blackbody-<kelvin> (\(LightName.blackbodyRange.lowerBound)...\(LightName.blackbodyRange.upperBound)), "
                + "daylight-<kelvin> (\(LightName.daylightRange.lowerBound)...\(LightName.daylightRange.upperBound)), "
                + "or a group: \(IlluminantGroup.allCases.map(\.rawValue).joined(separator: ", "))"
        case .temperatureOutOfRange(let n, let k, let r):
            return "illuminant '\(n)': \(k) K lies outside \(r.lowerBound)...\(r.upperBound) K"
        }
    }
}

/// The names of the parametric lights, which ``SpectralData/illuminant(named:)`` computes on demand.
///
/// - `blackbody-<kelvin>`: Planck's law at that temperature (1000...25000 K), e.g. `blackbody-3200`;
/// - `daylight-<kelvin>`: the CIE daylight of that correlated colour temperature (4000...25000 K),
///   e.g. `daylight-5500`.
///
/// Both are normalised to 1 at 560 nm like the tabulated lights.
public enum LightName {
    /// The temperatures a blackbody can be asked for, in kelvin.
    public static let blackbodyRange = 1000...25000
    /// The correlated colour temperatures CIE daylight is defined for, in kelvin.
    public static let daylightRange = 4000...25000

    /// The name of a blackbody at `kelvin`, e.g. `blackbody-3200`.
    public static func blackbody(_ kelvin: Int) -> String { "blackbody-\(kelvin)" }

    /// The name of CIE daylight at `kelvin`, e.g. `daylight-6504`.
    public static func daylight(_ kelvin: Int) -> String { "daylight-\(kelvin)" }
}

/// Named sets of lights, accepted wherever a list of illuminant names is (``SpectralData/expandIlluminantNames(_:)``).
public enum IlluminantGroup: String, Sendable, CaseIterable, Codable {
    /// The ten lights of `illuminants.csv` (the default list, ``SpectralData/illuminantNames``).
    case standard
    /// Every CIE fluorescent lamp, FL1...FL12 and FL3.1...FL3.15.
    case fluorescent
    /// The CIE high-pressure discharge lamps HP1...HP5.
    case highPressure = "high-pressure"
    /// The CIE LED lights (LED-B1...B5, LED-BH1, LED-RGB1, LED-V1, LED-V2).
    case led
    /// The 41 lights of `illuminants_extended.csv`.
    case extended
    /// Blackbodies from 2500 to 6500 K in 500 K steps.
    case blackbodies
    /// CIE daylights from 4000 to 10000 K in 1000 K steps.
    case daylights
    /// Every tabulated light, one per name (45).
    case tabulated

    /// The light names of this group, in order.
    public func names(_ data: SpectralData) -> [String] {
        switch self {
        case .standard: return SpectralData.illuminantNames
        case .fluorescent: return data.extendedIlluminants.map(\.name).filter { $0.hasPrefix("FL") }
        case .highPressure: return data.extendedIlluminants.map(\.name).filter { $0.hasPrefix("HP") }
        case .led: return data.extendedIlluminants.map(\.name).filter { $0.hasPrefix("LED-") }
        case .extended: return data.extendedIlluminants.map(\.name)
        case .blackbodies: return stride(from: 2500, through: 6500, by: 500).map(LightName.blackbody)
        case .daylights: return stride(from: 4000, through: 10000, by: 1000).map(LightName.daylight)
        case .tabulated: return data.tabulatedIlluminants.map(\.name)
        }
    }
}

extension SpectralData {
    /// The light called `name`: a tabulated one, `blackbody-<kelvin>` or `daylight-<kelvin>`.
    ///
    /// - Throws: ``IlluminantError`` if the name is unknown or its temperature out of range.
    public func resolveIlluminant(named name: String) throws(IlluminantError) -> Illuminant {
        if let i = illuminants.first(where: { $0.name == name }) ?? extendedIlluminants.first(where: { $0.name == name }) {
            return i
        }
        if let k = Self.kelvin(name, prefix: "blackbody-") {
            guard LightName.blackbodyRange.contains(k) else {
                throw .temperatureOutOfRange(name: name, kelvin: k, range: LightName.blackbodyRange)
            }
            return Illuminant(name: name, spectrum: Self.blackbody(kelvin: Double(k)))
        }
        if let k = Self.kelvin(name, prefix: "daylight-") {
            guard LightName.daylightRange.contains(k) else {
                throw .temperatureOutOfRange(name: name, kelvin: k, range: LightName.daylightRange)
            }
            return Illuminant(name: name, spectrum: daylight(kelvin: Double(k)))
        }
        throw .unknown(name: name, known: tabulatedIlluminants.map(\.name))
    }

    /// Expands group names (``IlluminantGroup``) in `names` and checks every light resolves;
    /// the result keeps the first occurrence of each name, in order.
    ///
    /// - Throws: ``IlluminantError`` for the first name that is neither a group nor a light.
    public func expandIlluminantNames(_ names: [String]) throws(IlluminantError) -> [String] {
        var out: [String] = [], seen: Set<String> = []
        for n in names {
            let expanded = IlluminantGroup(rawValue: n)?.names(self) ?? [n]
            for e in expanded where !seen.contains(e) {
                _ = try resolveIlluminant(named: e)
                seen.insert(e)
                out.append(e)
            }
        }
        return out
    }

    private static func kelvin(_ name: String, prefix: String) -> Int? {
        guard name.hasPrefix(prefix) else { return nil }
        let digits = name.dropFirst(prefix.count)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits.count <= 6 else { return nil }
        return Int(digits)
    }

    /// A blackbody's relative spectral radiance at `kelvin` (Planck's law, c2 = 1.4388e-2 m K),
    /// normalised to 1 at 560 nm.
    public static func blackbody(kelvin: Double) -> Spectrum {
        precondition(kelvin > 0 && kelvin.isFinite, "a blackbody needs a positive temperature, got \(kelvin)")
        let c2 = 1.4388e-2
        func planck(_ nm: Double) -> Double {
            let l = nm * 1e-9
            return 1 / (pow(l, 5) * expm1(c2 / (l * kelvin)))
        }
        let ref = planck(560)
        return Spectrum(Spectrum.wavelengths.map { planck($0) / ref })
    }

    /// The CIE daylight chromaticity coordinates (xD, yD) at correlated colour temperature `kelvin`
    /// (CIE 15, valid for 4000...25000 K).
    public static func daylightChromaticity(kelvin t: Double) -> SIMD2<Double> {
        let x: Double
        if t <= 7000 {
            x = -4.6070e9 / (t * t * t) + 2.9678e6 / (t * t) + 0.09911e3 / t + 0.244063
        } else {
            x = -2.0064e9 / (t * t * t) + 1.9018e6 / (t * t) + 0.24748e3 / t + 0.237040
        }
        return SIMD2(x, -3.000 * x * x + 2.870 * x - 0.275)
    }

    /// The CIE daylight weights (M1, M2) of the basis S1, S2 at correlated colour temperature `kelvin` (CIE 15).
    public static func daylightWeights(kelvin: Double) -> SIMD2<Double> {
        let c = daylightChromaticity(kelvin: kelvin)
        let m = 0.0241 + 0.2562 * c.x - 0.7341 * c.y
        return SIMD2((-1.3515 - 1.7703 * c.x + 5.9114 * c.y) / m, (0.0300 - 31.4424 * c.x + 30.0717 * c.y) / m)
    }

    /// The CIE daylight basis S0, S1, S2 on the grid, solved wavelength by wavelength from the
    /// shipped D50, D65 and D75 (correlated colour temperatures 5003, 6504 and 7504 K, each 100 at
    /// 560 nm in CIE units, here scaled by 100).
    public var daylightBasis: (s0: Spectrum, s1: Spectrum, s2: Spectrum) {
        let table: [(String, Double)] = [("D50", 5003), ("D65", 6504), ("D75", 7504)]
        let spectra = table.map { entry in illuminants.first(where: { $0.name == entry.0 })!.spectrum }
        let weights = table.map { Self.daylightWeights(kelvin: $0.1) }
        // Rows: [1, M1, M2] for each daylight; solve rows * (S0, S1, S2) = 100 * D(λ).
        let a: [Double] = weights.flatMap { w -> [Double] in [1, w.x, w.y] }
        let inverse = Matrix3.inverse(a)
        var s0 = [Double](), s1 = [Double](), s2 = [Double]()
        for i in 0..<Spectrum.count {
            let s = Matrix3.apply(inverse, SIMD3(spectra[0][i], spectra[1][i], spectra[2][i]) * 100)
            s0.append(s.x); s1.append(s.y); s2.append(s.z)
        }
        return (Spectrum(s0), Spectrum(s1), Spectrum(s2))
    }

    /// CIE daylight at correlated colour temperature `kelvin` (4000...25000 K): S0 + M1 S1 + M2 S2,
    /// normalised to 1 at 560 nm.
    public func daylight(kelvin: Double) -> Spectrum {
        let b = daylightBasis
        let m = Self.daylightWeights(kelvin: kelvin)
        let values = (0..<Spectrum.count).map { max(b.s0[$0] + m.x * b.s1[$0] + m.y * b.s2[$0], 0) }
        let ref = values[16]
        return Spectrum(values.map { $0 / ref })
    }
}
