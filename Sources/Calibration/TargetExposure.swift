import Foundation
import RawSupport
import RawCore

/// A brightness reading of a packed image, as a camera's auto-exposure might meter it.
///
/// Readings are taken on values clipped to [0, 1] and floored at 1e-6, so their logarithm is finite.
public enum ExposureMeter: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The given percentile (in (0, 1]) of every pixel's largest packed channel: a highlight meter.
    case maxChannelPercentile(Double)
    /// The mean of the two green channels: an average meter.
    case greenMean
    /// The mean of all four packed channels: an average meter.
    case channelMean
    /// The mean of all four packed channels weighted by a Gaussian centred on the image, with a
    /// standard deviation of a third of the image's width and height: a centre-weighted meter.
    case centreWeightedMean

    /// The meters ``TargetExposure/fit(targets:anchorMapped:anchorTargets:meters:)``
    /// chooses from by default: highlight percentiles 0.9, 0.95, 0.98, 0.99, 0.995, the green
    /// mean, the mean of all channels and the centre-weighted mean.
    public static let candidates: [ExposureMeter] = [
        .maxChannelPercentile(0.9), .maxChannelPercentile(0.95), .maxChannelPercentile(0.98),
        .maxChannelPercentile(0.99), .maxChannelPercentile(0.995), .greenMean, .channelMean, .centreWeightedMean,
    ]

    /// A short name, e.g. `p98(max)`, `mean(G)`, `mean(all)` or `centre(all)`.
    public var description: String {
        switch self {
        case .maxChannelPercentile(let q): return "p\(String(format: "%g", q * 100))(max)"
        case .greenMean: return "mean(G)"
        case .channelMean: return "mean(all)"
        case .centreWeightedMean: return "centre(all)"
        }
    }

    /// Whether the meter's reading of `image` (as captured) no longer measures its exposure.
    ///
    /// A highlight meter is saturated when it reads at least ``TargetExposure/saturatedReading``;
    /// an average meter (``greenMean``, ``channelMean``, ``centreWeightedMean``) when more than
    /// ``TargetExposure/saturatedFraction`` of the values it averages are at or above that level,
    /// since clipped values pull the mean below the light's true level.
    public func isSaturated(_ image: PackedImage) -> Bool {
        isSaturated(image, reading: reading(of: image))
    }

    /// ``isSaturated(_:)`` given the meter's `reading` of `image`, so it is not taken twice.
    package func isSaturated(_ image: PackedImage, reading: Double) -> Bool {
        let level = Float(TargetExposure.saturatedReading)
        switch self {
        case .maxChannelPercentile:
            return reading >= TargetExposure.saturatedReading
        case .greenMean:
            var clipped = 0
            for p in 0..<image.pixelCount {
                if image.values[4 * p + 1] >= level { clipped += 1 }
                if image.values[4 * p + 2] >= level { clipped += 1 }
            }
            return Double(clipped) > TargetExposure.saturatedFraction * Double(2 * image.pixelCount)
        case .channelMean, .centreWeightedMean:
            let clipped = image.values.reduce(0) { $0 + ($1 >= level ? 1 : 0) }
            return Double(clipped) > TargetExposure.saturatedFraction * Double(image.values.count)
        }
    }

    /// The reading of `image` (at least 1e-6).
    ///
    /// - Parameters:
    ///   - image: the packed image to meter.
    ///   - clipsHighlights: clip values to [0, 1] first, as a camera's own capture is
    ///   (default). A mapped image that is not clipped yet is read with `false`: values above 1
    ///   are predictions of light beyond the target's white level, and reading them keeps the
    ///   meter from saturating.
    public func reading(of image: PackedImage, clipsHighlights: Bool = true) -> Double {
        let v = image.values, n = image.pixelCount
        guard n > 0 else { return 1e-6 }
        let upper: Float = clipsHighlights ? 1 : .greatestFiniteMagnitude
        @inline(__always) func clip(_ x: Float) -> Double { x.isNaN ? 0 : Double(min(max(x, 0), upper)) }
        switch self {
        case .maxChannelPercentile(let q):
            precondition(q > 0 && q <= 1, "the metered percentile must lie in (0, 1], got \(q)")
            var m = [Double](repeating: 0, count: n)
            for p in 0..<n { m[p] = max(clip(v[4 * p]), clip(v[4 * p + 1]), clip(v[4 * p + 2]), clip(v[4 * p + 3])) }
            return max(Numerics.quantile(&m, q), 1e-6)
        case .greenMean:
            var s = 0.0
            for p in 0..<n { s += clip(v[4 * p + 1]) + clip(v[4 * p + 2]) }
            return max(s / Double(2 * n), 1e-6)
        case .channelMean:
            var s = 0.0
            for i in 0..<(4 * n) { s += clip(v[i]) }
            return max(s / Double(4 * n), 1e-6)
        case .centreWeightedMean:
            let h = image.height, w = image.width
            let cy = Double(h - 1) / 2, cx = Double(w - 1) / 2
            let ky = -1 / (2 * pow(max(Double(h) / 3, 0.5), 2)), kx = -1 / (2 * pow(max(Double(w) / 3, 0.5), 2))
            let columnWeights = (0..<w).map { exp(kx * (Double($0) - cx) * (Double($0) - cx)) }
            var s = 0.0, total = 0.0
            for y in 0..<h {
                let wy = exp(ky * (Double(y) - cy) * (Double(y) - cy))
                for x in 0..<w {
                    let p = (y * w + x) * 4, weight = wy * columnWeights[x]
                    s += weight * (clip(v[p]) + clip(v[p + 1]) + clip(v[p + 2]) + clip(v[p + 3]))
                    total += 4 * weight
                }
            }
            return max(s / total, 1e-6)
        }
    }
}

/// Predicts how bright the target camera would have exposed a mapped image, and rescales it to match.
///
/// Two cameras that auto-expose each capture on their own disagree on brightness from scene to
/// scene; a colour mapping alone carries the *source's* exposure over. This model learns the
/// target camera's exposure from its own images: the typical log reading `m` of a meter over
/// the target camera's (unpaired) images. A mapped image `y` with reading `r(y)` is scaled by
/// `exp(strength * (m - log r(y)))`: strength 1 re-exposes every image like the target camera's
/// typical image, strength 0 keeps the source's exposure.
///
/// ``fit(targets:anchorMapped:anchorTargets:meters:)`` learns it from data. The
/// target level `m` is the median log reading of the target camera's (unpaired) images, as
/// captured; a meter that saturates (``ExposureMeter/isSaturated(_:)``) in more than a quarter of them is not
/// used, since the median would no longer be a reading. On the anchor pairs, whose target
/// readings `t` and mapped-source readings `p` (through the colour mapping, before clipping) are
/// both known, the prediction `m + β (p - m)` is fitted by least squares, `β` clamped to [0, 1]
/// and strength `1 - β`: two auto-exposing cameras give `β ≈ 0` (the target's exposure is its
/// own), a fixed exposure carried over from scene to scene gives `β ≈ 1`. The meter: an
/// auto-exposing camera holds the reading of its own meter steady over its images, up to its
/// per-capture randomness, so the meter whose log readings spread least over the target camera's
/// (many) images is the reference. Another meter whose spread is within ``spreadTolerance`` of it
/// replaces it only when it predicts held-out anchors (each predicted by `β` fitted on the
/// others) better by at least one standard error of the per-anchor differences: the spreads of
/// two meters can be nearly equal, and the few anchors then decide, but only by a clear margin.
/// Choosing among all meters by the anchors alone overfits them: on the quality suite's pair
/// whose target meters a centre-weighted mean that rule chose a highlight percentile and lost
/// 6 dB (`Documentation/Quality.md`). Finally, a model whose held-out error is not below the
/// error of keeping the source's own exposure (``uncorrectedLogError``, which fits nothing) is
/// not used.
/// ``expectedLogError`` is the in-sample error of the chosen meter's fit.
///
/// Why the anchors decide `β`, not the spreads of the unpaired sets: estimates of the
/// covariance built from the unpaired images' spreads broke down on a dataset whose unpaired
/// scenes were distributed differently from its pairs, and did worse on 3 of 10 synthetic
/// directions; the anchor fit did best on average (`Documentation/Ablation.md`).
public struct TargetExposure: Codable, Sendable, Equatable, CustomStringConvertible {
    /// The meter whose readings are matched.
    public var meter: ExposureMeter
    /// The mean natural log of the meter's reading over the target camera's images.
    public var targetLogLevel: Double
    /// How far a mapped image is moved toward the target level, in [0, 1] (1 - β above).
    public var strength: Double
    /// Expected root-mean-square error of the log brightness after the correction (natural log units; 0.1 ≈ 0.14 stop).
    public var expectedLogError: Double
    /// Root-mean-square log brightness error of the anchor pairs without a correction.
    public var uncorrectedLogError: Double
    /// The spread of the meter's log readings over the target camera's images (interquartile
    /// range / 1.349, natural log units): small for an auto-exposing camera (informational).
    public var targetSpread: Double

    /// Creates a model from its values.
    public init(meter: ExposureMeter, targetLogLevel: Double, strength: Double, expectedLogError: Double,
                uncorrectedLogError: Double, targetSpread: Double = 0) {
        precondition(strength >= 0 && strength <= 1, "the exposure strength must lie in [0, 1], got \(strength)")
        precondition(targetLogLevel.isFinite, "the target level must be finite")
        self.meter = meter
        self.targetLogLevel = targetLogLevel
        self.strength = strength
        self.expectedLogError = expectedLogError
        self.uncorrectedLogError = uncorrectedLogError
        self.targetSpread = targetSpread
    }

    private enum CodingKeys: String, CodingKey {
        case meter, targetLogLevel, strength, expectedLogError, uncorrectedLogError, targetSpread
    }

    /// Decodes a model, rejecting values ``init(meter:targetLogLevel:strength:expectedLogError:uncorrectedLogError:targetSpread:)``
    /// does not allow (a model file with a percentile outside (0, 1] crashed mapping).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let meter = try c.decode(ExposureMeter.self, forKey: .meter)
        if case .maxChannelPercentile(let q) = meter, !(q > 0 && q <= 1) {
            throw DecodingError.dataCorruptedError(forKey: .meter, in: c, debugDescription: "the metered percentile must lie in (0, 1], got \(q)")
        }
        let strength = try c.decode(Double.self, forKey: .strength)
        guard strength >= 0 && strength <= 1 else {
            throw DecodingError.dataCorruptedError(forKey: .strength, in: c, debugDescription: "the exposure strength must lie in [0, 1], got \(strength)")
        }
        let level = try c.decode(Double.self, forKey: .targetLogLevel)
        guard level.isFinite else {
            throw DecodingError.dataCorruptedError(forKey: .targetLogLevel, in: c, debugDescription: "the target level must be finite")
        }
        self.init(meter: meter, targetLogLevel: level, strength: strength,
                  expectedLogError: try c.decode(Double.self, forKey: .expectedLogError),
                  uncorrectedLogError: try c.decode(Double.self, forKey: .uncorrectedLogError),
                  targetSpread: try c.decode(Double.self, forKey: .targetSpread))
    }

    /// A one-line summary, e.g. `meter p98(max), level 0.878, strength 1.00, log error 0.105 (0.176 without)`.
    public var description: String {
        String(format: "meter %@, level %.3f, strength %.2f, log error %.3f (%.3f without)",
               meter.description, exp(targetLogLevel), strength, expectedLogError, uncorrectedLogError)
    }

    /// The factor ``apply(to:)`` multiplies `mapped` (a mapped image before clipping) by.
    public func gain(for mapped: PackedImage) -> Double {
        exp(strength * (targetLogLevel - log(meter.reading(of: mapped, clipsHighlights: false))))
    }

    /// Rescales a mapped image (before clipping) to the target camera's predicted exposure and clips it to [0, 1].
    public func apply(to mapped: PackedImage) -> PackedImage {
        let g = Float(gain(for: mapped))
        return PackedImage(height: mapped.height, width: mapped.width,
                           values: mapped.values.map { Numerics.clipUnit($0 * g) })
    }

    /// Readings at or above this level count as saturated.
    public static let saturatedReading = 0.97

    /// An average meter is saturated when more than this fraction of the values it averages are
    /// at or above ``saturatedReading`` (see ``ExposureMeter/isSaturated(_:)``).
    public static let saturatedFraction = 0.05

    /// Fits the model; `nil` when there are fewer than 2 target images, no anchor pair, when the
    /// chosen meter does not predict held-out anchors better than the source's own exposure, or
    /// when no meter is usable: every meter saturates (``ExposureMeter/isSaturated(_:)``) in more than
    /// a quarter of the target images, or leaves fewer than 3 anchor targets unsaturated (fewer
    /// than all of them when there are less than 3).
    ///
    /// - Parameters:
    ///   - targets: images of the target camera (unpaired), as captured.
    ///   - anchorMapped: the anchor pairs' source images after the colour mapping, not clipped.
    ///   - anchorTargets: the anchor pairs' target images, in the same order.
    ///   - meters: the meters to choose from.
    public static func fit(targets: [PackedImage], anchorMapped: [PackedImage],
                           anchorTargets: [PackedImage], meters: [ExposureMeter] = ExposureMeter.candidates) -> TargetExposure? {
        precondition(!meters.isEmpty, "at least one meter is needed")
        return fit(readings: TargetReadings(targets: targets, meters: meters), anchorMapped: anchorMapped,
                   anchorTargets: anchorTargets)
    }

    /// Fits the model from target readings taken once (``TargetReadings``), so that many fits on
    /// different anchor subsets (leave-one-out validation) do not meter the target images again.
    package static func fit(readings: TargetReadings, anchorMapped: [PackedImage], anchorTargets: [PackedImage]) -> TargetExposure? {
        precondition(anchorMapped.count == anchorTargets.count, "one anchor target per mapped anchor, got \(anchorMapped.count) and \(anchorTargets.count)")
        guard readings.imageCount >= 2, !anchorMapped.isEmpty else { return nil }
        var usable: [TargetExposure] = [], heldOutErrors: [Double] = [], heldOutByAnchor: [[Int: Double]] = []
        for (index, meter) in readings.meters.enumerated() {
            let rt = readings.readings[index]
            // A reading at the clipping point says only "at least this bright": the median and
            // quartiles stay valid while at most a quarter of the target readings saturate.
            guard Double(readings.saturated[index].filter { $0 }.count) <= 0.25 * Double(rt.count) else { continue }
            var t = rt.map { log($0) }
            let m = Numerics.quantile(&t, 0.5)
            let spread = (Numerics.quantile(&t, 0.75) - Numerics.quantile(&t, 0.25)) / 1.349
            // Anchor pairs whose target reading is not saturated: (t - m, p - m).
            let anchors = zip(anchorTargets, anchorMapped).enumerated().compactMap { i, pair -> (index: Int, t: Double, p: Double)? in
                let (target, mapped) = pair
                let r = meter.reading(of: target)
                guard !meter.isSaturated(target, reading: r) else { return nil }
                return (i, log(r) - m, log(meter.reading(of: mapped, clipsHighlights: false)) - m)
            }
            guard anchors.count >= min(3, anchorTargets.count) else { continue }
            let tp = anchors.reduce(0) { $0 + $1.t * $1.p }, pp = anchors.reduce(0) { $0 + $1.p * $1.p }
            let beta = pp > 0 ? min(max(tp / pp, 0), 1) : 1
            let n = Double(anchors.count)
            let residual = anchors.reduce(0) { $0 + ($1.t - beta * $1.p) * ($1.t - beta * $1.p) } / n
            let uncorrected = anchors.reduce(0) { $0 + ($1.t - $1.p) * ($1.t - $1.p) } / n
            // Leave-one-anchor-out error of the fitted prediction: what the meter choice compares
            // (the in-sample error favours whichever meter overfits the few anchors).
            var heldOut = 0.0, byAnchor: [Int: Double] = [:]
            for a in anchors {
                let tpj = tp - a.t * a.p, ppj = pp - a.p * a.p
                let bj = ppj > 0 ? min(max(tpj / ppj, 0), 1) : 1
                let e = (a.t - bj * a.p) * (a.t - bj * a.p)
                heldOut += e
                byAnchor[a.index] = e
            }
            let candidate = TargetExposure(meter: meter, targetLogLevel: m, strength: 1 - beta,
                                           expectedLogError: residual.squareRoot(), uncorrectedLogError: uncorrected.squareRoot(),
                                           targetSpread: spread)
            usable.append(candidate)
            heldOutErrors.append((heldOut / n).squareRoot())
            heldOutByAnchor.append(byAnchor)
        }
        // The camera holds the reading of its own meter steady (up to its per-capture randomness):
        // the steadiest meter over its many images is the reference, and only meters about as
        // steady are plausible alternatives.
        guard let reference = usable.indices.min(by: { usable[$0].targetSpread < usable[$1].targetSpread }) else { return nil }
        let plausible = usable.indices.filter { usable[$0].targetSpread <= spreadTolerance * usable[reference].targetSpread + 1e-12 }
        // The steadiest meter is kept unless another plausible one predicts the held-out anchors
        // better by at least one standard error of the per-anchor differences.
        let better = plausible.filter { i in
            guard i != reference else { return false }
            let common = heldOutByAnchor[i].keys.filter { heldOutByAnchor[reference][$0] != nil }
            guard common.count >= 3 else { return false }
            let d = common.map { heldOutByAnchor[reference][$0]! - heldOutByAnchor[i][$0]! }
            let k = Double(d.count), mean = d.reduce(0, +) / k
            let variance = d.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (k - 1)
            return mean > (variance / k).squareRoot()
        }
        let chosen = better.min(by: { heldOutErrors[$0] < heldOutErrors[$1] }) ?? reference
        // A model that does not predict held-out anchors better than the source's own exposure
        // (which has nothing fitted) is not used.
        guard heldOutErrors[chosen] < usable[chosen].uncorrectedLogError else { return nil }
        return usable[chosen]
    }

    /// A meter is an alternative to the steadiest one when the spread of its readings over the
    /// target camera's images is at most this multiple of the smallest spread of any usable meter.
    public static let spreadTolerance = 1.25
}

/// The readings of every candidate meter over a target camera's images, taken once.
package struct TargetReadings: Sendable {
    /// The meters, in candidate order.
    package let meters: [ExposureMeter]
    /// Per meter, the reading of every target image (as captured, clipped).
    package let readings: [[Double]]
    /// Per meter, whether each reading is saturated (``ExposureMeter/isSaturated(_:)``).
    package let saturated: [[Bool]]

    /// The number of target images read.
    package var imageCount: Int { readings.first?.count ?? 0 }

    /// Reads every image with every meter.
    package init(targets: [PackedImage], meters: [ExposureMeter] = ExposureMeter.candidates) {
        self.meters = meters
        let readings = meters.map { meter in targets.map { meter.reading(of: $0) } }
        self.readings = readings
        self.saturated = meters.indices.map { m in targets.indices.map { meters[m].isSaturated(targets[$0], reading: readings[m][$0]) } }
    }
}
