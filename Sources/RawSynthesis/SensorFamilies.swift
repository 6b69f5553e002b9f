import Foundation
import RawSupport

/// A family of camera sensitivities: measured curves, perturbed measured curves, or physically
/// plausible parametric curves drawn from a seed.
///
/// Every family gives curves on the ``Spectrum`` grid, non-negative, smooth, normalised so that
/// the largest value over the three channels is 1, with each channel's peak in its band (blue
/// below 500 nm, green about 500-580 nm, red above 570 nm). See ``CameraSensitivities/make(_:seed:data:)``.
public enum SensorFamily: String, CaseIterable, Codable, Sendable {
    /// The measured Nikon D5100 curves (the seed is ignored).
    case nikon5100
    /// The measured Sigma SD Merrill (Foveon layer) curves (the seed is ignored; its green peaks at 590 nm).
    case sigmaSDMerrill = "sigma-sdmerrill"
    /// The Nikon D5100 curves with a smooth random gain (about ±10 %) and a shift of a few nm per channel.
    case perturbedNikon5100 = "perturbed-nikon5100"
    /// The Sigma SD Merrill curves with a smooth random gain (about ±10 %) and a shift of a few nm per channel.
    case perturbedSigmaSDMerrill = "perturbed-sigma-sdmerrill"
    /// One or two Gaussian dyes per channel times silicon quantum efficiency times an IR-cut filter, with cross-talk.
    case gaussianIRCut = "gaussian-ircut"
    /// Like ``gaussianIRCut`` without the IR cut: red stays high toward 700 nm, green and blue rise again above 650 nm.
    case gaussianNoIRCut = "gaussian-no-ircut"
    /// Broad, strongly overlapping phone-like dyes (widths 45-70 nm, cross-talk 0.08-0.2) with an IR cut.
    case phoneBroad = "phone-broad"
    /// A machine-vision colour sensor: narrower dyes, no IR cut, strong near-infrared leakage in every channel.
    case machineVision = "machine-vision"

    /// Whether the curves depend on the seed (everything but the two measured sets).
    public var isSeeded: Bool { self != .nikon5100 && self != .sigmaSDMerrill }
}

/// A sensor family and a seed, written `family@seed` (e.g. `gaussian-ircut@3`; the measured
/// families may omit the seed: `nikon5100`).
public struct SensorSpecification: Sendable, Equatable, Hashable, Codable, LosslessStringConvertible {
    /// The family.
    public var family: SensorFamily
    /// The seed (ignored by the measured families).
    public var seed: UInt64

    /// Creates a specification.
    public init(family: SensorFamily, seed: UInt64 = 0) {
        self.family = family
        self.seed = seed
    }

    /// Parses `family` or `family@seed`; `nil` if the family is unknown or the seed not a non-negative integer.
    public init?(_ description: String) {
        let parts = description.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2, let family = SensorFamily(rawValue: String(parts[0])) else { return nil }
        var seed: UInt64 = 0
        if parts.count == 2 {
            guard let s = UInt64(parts[1]) else { return nil }
            seed = s
        }
        self.init(family: family, seed: seed)
    }

    /// The text form: the family's name for measured curves, `family@seed` otherwise.
    public var description: String { family.isSeeded ? "\(family.rawValue)@\(seed)" : family.rawValue }

    /// The sensitivities this specification stands for.
    public func sensitivities(_ data: SpectralData) -> CameraSensitivities {
        CameraSensitivities.make(family, seed: seed, data: data)
    }
}

extension CameraSensitivities {
    /// The sensitivities of `family` for `seed`, deterministically.
    ///
    /// The measured families return the shipped curves unchanged (named `nikon5100` and
    /// `sigma_sdmerrill` as before); every other family is named `family@seed`, e.g. `gaussian-ircut@3`.
    public static func make(_ family: SensorFamily, seed: UInt64, data: SpectralData) -> CameraSensitivities {
        switch family {
        case .nikon5100: return data.nikon5100
        case .sigmaSDMerrill: return data.sigmaSDMerrill
        case .perturbedNikon5100, .perturbedSigmaSDMerrill:
            let base = family == .perturbedNikon5100 ? data.nikon5100 : data.sigmaSDMerrill
            var rng = SimulationRandom(seed: SplitMix64.derive(seed, stableHash(family.rawValue)))
            var channels: [[Double]] = []
            for _ in 0..<64 {
                channels = base.channels.map { perturb($0.values, &rng) }
                if plausible(channels, greenBand: 500...600, smoothness: 0.8) { break }
            }
            return normalised(name: "\(family.rawValue)@\(seed)", channels)
        case .gaussianIRCut, .gaussianNoIRCut, .phoneBroad, .machineVision:
            var rng = SimulationRandom(seed: SplitMix64.derive(seed, stableHash(family.rawValue)))
            var last: [[Double]] = []
            for _ in 0..<64 {
                last = parametric(family, &rng)
                if plausible(last) { break }
            }
            return normalised(name: "\(family.rawValue)@\(seed)", last)
        }
    }

    /// Scales three curves so that their common maximum is 1.
    private static func normalised(name: String, _ c: [[Double]]) -> CameraSensitivities {
        let m = c.map { $0.max()! }.max()!
        let s = c.map { Spectrum($0.map { max($0, 0) / m }) }
        return CameraSensitivities(name: name, red: s[0], green: s[1], blue: s[2])
    }

    /// A measured curve shifted by a few nm (linear interpolation, ends held) and multiplied by
    /// `exp` of three low-frequency cosines (about ±10 %).
    private static func perturb(_ v: [Double], _ rng: inout SimulationRandom) -> [Double] {
        let shift = rng.uniform(-4, 4) / Spectrum.wavelengthStep
        var amplitudes: [Double] = [], phases: [Double] = []
        for _ in 0..<3 {
            amplitudes.append(rng.uniform(-0.04, 0.04))
            phases.append(rng.uniform(0, 2 * .pi))
        }
        return (0..<Spectrum.count).map { i in
            let p = min(max(Double(i) - shift, 0), Double(Spectrum.count - 1))
            let j = min(Int(p), Spectrum.count - 2), t = p - Double(j)
            let shifted = (1 - t) * v[j] + t * v[j + 1]
            let x = Double(i) / Double(Spectrum.count - 1)
            var g = 0.0
            for k in 0..<3 { g += amplitudes[k] * cos(.pi * Double(k + 1) * x + phases[k]) }
            return shifted * exp(g)
        }
    }

    private static func gaussian(_ l: Double, _ mu: Double, _ sigma: Double) -> Double {
        exp(-0.5 * (l - mu) * (l - mu) / (sigma * sigma))
    }

    private static func logistic(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    /// One draw of a parametric family: R, G, B curves (not normalised).
    private static func parametric(_ family: SensorFamily, _ rng: inout SimulationRandom) -> [[Double]] {
        let wl = Spectrum.wavelengths
        let bands: [ClosedRange<Double>] = [585...620, 520...560, 440...475]   // R, G, B peak bands
        let width: ClosedRange<Double>, crossTalk: ClosedRange<Double>
        let irCut: Bool, nir: ClosedRange<Double>
        switch family {
        case .phoneBroad: (width, crossTalk, irCut, nir) = (45...70, 0.08...0.2, true, 0...0)
        case .machineVision: (width, crossTalk, irCut, nir) = (18...32, 0.02...0.08, false, 0.35...0.6)
        case .gaussianNoIRCut: (width, crossTalk, irCut, nir) = (20...45, 0.02...0.1, false, 0.12...0.3)
        default: (width, crossTalk, irCut, nir) = (20...45, 0.02...0.1, true, 0...0)
        }
        func draw(_ r: ClosedRange<Double>) -> Double { rng.uniform(r.lowerBound, r.upperBound) }
        // Silicon quantum efficiency: a broad bump peaking in the red.
        let qeCentre = draw(560...640), qeWidth = draw(160...230)
        let qe = wl.map { gaussian($0, qeCentre, qeWidth) }
        // IR-cut filter: logistic edge, 50 % at 640-670 nm.
        let cutEdge = draw(640...670), cutSlope = draw(8...14)
        let cut = wl.map { irCut ? logistic(-($0 - cutEdge) / cutSlope) : 1 }
        var dyes: [[Double]] = []
        for c in 0..<3 {
            let centre = draw(bands[c]), sigma = draw(width)
            var second: (Double, Double, Double)? = nil
            if rng.chance(0.5) {
                let offset = draw(10...30) * (rng.chance(0.5) ? 1 : -1)
                second = (centre + offset, draw(width) * 0.8, draw(0.15...0.45))
            }
            let nirEdge = draw(665...690), nirHeight = draw(nir)
            let redTail = draw(0.6...0.9)
            dyes.append(wl.map { l in
                var d = gaussian(l, centre, sigma)
                if let s = second { d += s.2 * gaussian(l, s.0, s.1) }
                if !irCut {
                    if c == 0 {
                        // A red dye is a long-pass filter: it stays high toward the near infrared.
                        d = max(d, 0) + redTail * logistic((l - centre - sigma) / 12) * (1 - gaussian(l, centre, sigma))
                    } else {
                        d += nirHeight * logistic((l - nirEdge) / 10)
                    }
                }
                return d
            })
        }
        if family == .machineVision {
            // Near-infrared leakage in every channel (the red one too) at 680-700 nm.
            let leak = draw(0.15...0.3), edge = draw(675...690)
            for c in 0..<3 { dyes[c] = zip(wl, dyes[c]).map { $1 + leak * logistic(($0 - edge) / 8) } }
        }
        let raw = dyes.map { d in (0..<wl.count).map { d[$0] * qe[$0] * cut[$0] } }
        var out = raw
        for c in 0..<3 {
            for o in 0..<3 where o != c {
                let k = draw(crossTalk)
                for i in 0..<wl.count { out[c][i] += k * raw[o][i] }
            }
        }
        return out
    }

    /// The plausibility checks the families guarantee: peaks in band (blue below 500 nm, green in
    /// `greenBand`, red above 570 nm) and second differences at most `smoothness` times the maximum.
    /// The measured Sigma green layer peaks at 590 nm and its red has second differences up to 0.67,
    /// hence the wider limits for the perturbed measured curves.
    static func plausible(_ c: [[Double]], greenBand: ClosedRange<Double> = 500...580, smoothness: Double = 0.35) -> Bool {
        let m = c.map { $0.max()! }.max()!
        guard m > 0 else { return false }
        let peaks = c.map { Spectrum.wavelengths[$0.firstIndex(of: $0.max()!)!] }
        guard peaks[0] > 570, greenBand.contains(peaks[1]), peaks[2] < 500 else { return false }
        for v in c {
            for i in 1..<(v.count - 1) where abs(v[i + 1] - 2 * v[i] + v[i - 1]) / m > smoothness { return false }
            if v.contains(where: { $0 < 0 || !$0.isFinite }) { return false }
        }
        return true
    }
}
