import Foundation
import RawCore

/// The result of ``ColorMapping/fitAligningExposure(_:sources:targets:weights:options:maximumIterations:)``:
/// a mapping fitted across pairs whose exposures differ, and each pair's exposure ratio.
public struct ExposureAlignedFit: Sendable, Equatable {
    /// The mapping, for targets at the pairs' common (geometric mean) exposure.
    public var mapping: ColorMapping
    /// Per pair, how much brighter its target is than the mapping predicts: `targets[i] ≈ gains[i] * mapping(sources[i])`.
    /// Their geometric mean is 1.
    public var gains: [Double]
    /// Alternating refits done (each is one full least-squares fit).
    public var iterations: Int
}

extension ColorMapping {
    /// Fits a mapping on aligned image pairs whose two exposures vary from pair to pair, with one
    /// free brightness gain per pair.
    ///
    /// Two cameras that auto-expose each capture on their own give pairs whose brightness ratio
    /// changes from scene to scene. A plain fit (``fit(_:sources:targets:weights:options:)``)
    /// spends its terms on that ratio and is pulled toward the brightest pairs. This fit
    /// minimises `sum_i || targets[i] / gains[i] - mapping(sources[i]) ||²` over the mapping and
    /// the gains, with the gains' geometric mean fixed at 1, by alternating least squares: the
    /// mapping with the gains fixed (the plain fit on rescaled targets), then each gain in closed
    /// form, `<t, m> / <m, m>` over the pair's kept pixels, until no gain moves by more than
    /// 0.01 % or `maximumIterations` fits were done. Pixels are kept or dropped by
    /// ``FitOptions/mask`` on the images as given, so rescaling never changes which pixels count.
    ///
    /// With one pair the gain is 1 and the result is the plain fit.
    /// - Throws: the errors of ``fit(_:sources:targets:weights:options:)``.
    public static func fitAligningExposure(_ kind: Kind, sources: [PackedImage], targets: [PackedImage],
                                           weights: [[Float]]? = nil, options: FitOptions = FitOptions(),
                                           maximumIterations: Int = 20) throws(CalibrationError) -> ExposureAlignedFit {
        precondition(sources.count == targets.count, "fit needs one target per source, got \(sources.count) sources and \(targets.count) targets")
        precondition(maximumIterations >= 1, "at least one fit is needed, got maximumIterations \(maximumIterations)")
        for (i, (s, t)) in zip(sources, targets).enumerated() where s.height != t.height || s.width != t.width {
            throw .shapeMismatch(pair: i, source: [s.height, s.width], target: [t.height, t.width])
        }
        // The mask, decided once on the images as given, becomes a weight.
        var kept: [[Float]] = []
        for (i, (s, t)) in zip(sources, targets).enumerated() {
            var w = [Float](repeating: 0, count: s.pixelCount)
            let user = weights?[i]
            if let user { precondition(user.count == s.pixelCount, "weights of pair \(i) need \(s.pixelCount) values (one per pixel), got \(user.count)") }
            for p in 0..<s.pixelCount {
                let a = SIMD4<Double>(Double(s.values[4 * p]), Double(s.values[4 * p + 1]), Double(s.values[4 * p + 2]), Double(s.values[4 * p + 3]))
                let b = SIMD4<Double>(Double(t.values[4 * p]), Double(t.values[4 * p + 1]), Double(t.values[4 * p + 2]), Double(t.values[4 * p + 3]))
                w[p] = options.mask.accepts(source: a, target: b) ? (user?[p] ?? 1) : 0
            }
            kept.append(w)
        }
        var inner = options
        inner.mask = .none
        var gains = [Double](repeating: 1, count: sources.count)
        var mapping = try fit(kind, sources: sources, targets: targets, weights: kept, options: inner)
        var iterations = 1
        while sources.count > 1 && iterations < maximumIterations {
            var next = gains
            for i in sources.indices {
                let m = mapping.apply(to: sources[i], precision: .float64)
                var tm = 0.0, mm = 0.0
                let t = targets[i].values, mv = m.values, w = kept[i]
                for p in 0..<w.count where w[p] > 0 {
                    let wp = Double(w[p])
                    for c in 0..<4 {
                        let pm = Double(mv[4 * p + c])
                        tm += wp * Double(t[4 * p + c]) * pm
                        mm += wp * pm * pm
                    }
                }
                if mm > 0 && tm > 0 { next[i] = tm / mm }
            }
            // Fix the scale: geometric mean 1, so the mapping keeps the pairs' typical exposure ratio.
            let logMean = next.reduce(0) { $0 + log($1) } / Double(next.count)
            next = next.map { $0 / exp(logMean) }
            let change = zip(next, gains).map { Swift.abs(log($0 / $1)) }.max() ?? 0
            gains = next
            let scaled = zip(targets, gains).map { t, g in
                PackedImage(height: t.height, width: t.width, values: t.values.map { Float(Double($0) / g) })
            }
            mapping = try fit(kind, sources: sources, targets: scaled, weights: kept, options: inner)
            iterations += 1
            if change < 1e-4 { break }
        }
        return ExposureAlignedFit(mapping: mapping, gains: gains, iterations: iterations)
    }
}
