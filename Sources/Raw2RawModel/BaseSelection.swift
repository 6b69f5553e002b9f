import Calibration
import Dispatch
import Foundation
import RawIO

/// One candidate for the least-squares part of a direction of the residual model: a mapping kind,
/// fitted plainly or with one free exposure gain per anchor pair, with or without a
/// ``TargetExposure`` re-exposing the mapped image.
///
/// ``ModelConfiguration/BaseMapping-swift.enum/anchorValidated`` scores every candidate by
/// leave-one-anchor-out PSNR and keeps the best (``BaseCandidateScore``).
public struct BaseCandidate: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The kind of the least-squares mapping (``Calibration/ColorMapping/Kind/linear3x3`` is
    /// stored as the equivalent 4x4 on the packed channels).
    public var kind: ColorMapping.Kind
    /// Whether the mapping is fitted with one free brightness gain per anchor pair
    /// (``Calibration/ColorMapping/fitAligningExposure(_:sources:targets:weights:options:maximumIterations:)``).
    public var alignsExposure: Bool
    /// Whether a ``TargetExposure`` fitted on the target camera's unpaired images and the anchors
    /// re-exposes each mapped image.
    public var predictsTargetExposure: Bool

    /// Creates a candidate.
    public init(kind: ColorMapping.Kind, alignsExposure: Bool, predictsTargetExposure: Bool) {
        self.kind = kind
        self.alignsExposure = alignsExposure
        self.predictsTargetExposure = predictsTargetExposure
    }

    /// A plain least-squares fit, as the anchor baselines of an evaluation are fitted.
    public static func plain(_ kind: ColorMapping.Kind) -> BaseCandidate {
        BaseCandidate(kind: kind, alignsExposure: false, predictsTargetExposure: false)
    }

    /// A short name, e.g. `aligned rootpoly2 + target exposure` or `plain linear3x3`.
    public var description: String {
        (alignsExposure ? "aligned " : "plain ") + kind.rawValue + (predictsTargetExposure ? " + target exposure" : "")
    }
}

/// How well a ``BaseCandidate`` predicted held-out anchor pairs.
public struct BaseCandidateScore: Codable, Sendable, Equatable, CustomStringConvertible {
    /// The candidate.
    public var candidate: BaseCandidate
    /// Mean over the held-out anchor pairs of the PSNR (dB) of the candidate fitted on the other pairs.
    public var psnr: Double
    /// Mean over the held-out anchor pairs of their mean angular error (degrees) before any
    /// re-exposure (whose clipping would change hues); `nil` when every held-out image is near black.
    public var angularError: Double?
    /// The number of folds that could be fitted (the number of anchor pairs when all could).
    public var folds: Int

    /// Creates a score.
    public init(candidate: BaseCandidate, psnr: Double, angularError: Double?, folds: Int) {
        self.candidate = candidate
        self.psnr = psnr
        self.angularError = angularError
        self.folds = folds
    }

    /// `candidate PSNR dB / angle°`, e.g. `plain rootpoly2 31.42 dB / 1.834°`.
    public var description: String {
        "\(candidate) \(String(format: "%.2f", psnr)) dB" + (angularError.map { String(format: " / %.3f°", $0) } ?? "")
    }
}

/// A candidate fitted on every anchor pair: what the network's direction starts from.
struct FittedBase {
    /// The candidate.
    var candidate: BaseCandidate
    /// The mapping on the four packed channels.
    var mapping: ColorMapping
    /// Per anchor pair, its target's exposure gain (1 for a plain fit).
    var gains: [Double]
    /// The target-exposure model, when the candidate has one and a meter was usable.
    var exposure: TargetExposure?
}

/// Chooses a direction's least-squares part from training data alone: leave-one-anchor-out
/// validation over a list of ``BaseCandidate``s.
enum BaseSelection {
    /// The candidates of ``ModelConfiguration/BaseMapping-swift.enum/anchorValidated`` for a configuration:
    /// linear 4x4, root-polynomial 2 and 3 fitted the configured way (exposure-aligned and with a
    /// target exposure by default), and the plain fits of the anchor baselines an evaluation
    /// reports (3x3, 4x4, the 16-term polynomial, root-polynomial 2).
    static func candidates(for configuration: ModelConfiguration) -> [BaseCandidate] {
        var out: [BaseCandidate] = []
        let modelled = configuration.alignsAnchorExposure || configuration.predictsTargetExposure
        if modelled {
            for kind in [ColorMapping.Kind.rootPolynomial2, .linear4x4, .rootPolynomial3] {
                out.append(BaseCandidate(kind: kind, alignsExposure: configuration.alignsAnchorExposure,
                                         predictsTargetExposure: configuration.predictsTargetExposure))
            }
        }
        for kind in [ColorMapping.Kind.linear3x3, .linear4x4, .paperPolynomial, .rootPolynomial2] {
            out.append(.plain(kind))
        }
        return out
    }

    /// Fits `candidate` on anchor pairs.
    /// - Parameters:
    ///   - readings: the target camera's meter readings, for candidates with a target exposure.
    ///   - iterations: the most alternating refits of an exposure-aligned fit.
    static func fit(_ candidate: BaseCandidate, sources: [PackedImage], targets: [PackedImage], readings: TargetReadings?,
                    options: FitOptions, iterations: Int = 20) throws(CalibrationError) -> FittedBase {
        var mapping: ColorMapping
        var gains = [Double](repeating: 1, count: sources.count)
        if candidate.alignsExposure {
            let f = try ColorMapping.fitAligningExposure(candidate.kind, sources: sources, targets: targets, options: options,
                                                         maximumIterations: iterations)
            mapping = f.mapping
            gains = f.gains
        } else {
            mapping = try ColorMapping.fit(candidate.kind, sources: sources, targets: targets, options: options)
        }
        if mapping.kind.usesAveragedGreens { mapping = try mapping.onPackedChannels() }
        var exposure: TargetExposure?
        if candidate.predictsTargetExposure, let readings {
            let base = BaseMapping(mapping)
            exposure = TargetExposure.fit(readings: readings, anchorMapped: sources.map { base.mapImage($0, clipped: false) },
                                          anchorTargets: targets)
        }
        return FittedBase(candidate: candidate, mapping: mapping, gains: gains, exposure: exposure)
    }

    /// The prediction of a fitted candidate for `source`: mapped, re-exposed, clipped to [0, 1].
    static func predict(_ fitted: FittedBase, _ source: PackedImage) -> PackedImage {
        let mapped = BaseMapping(fitted.mapping).mapImage(source, clipped: false)
        if let e = fitted.exposure { return e.apply(to: mapped) }
        return PackedImage(height: mapped.height, width: mapped.width,
                           values: mapped.values.map { $0.isNaN ? 0 : min(max($0, 0), 1) })
    }

    /// Scores every candidate by leave-one-anchor-out mean PSNR: for each pair, the candidate is
    /// fitted on the other pairs (its exposure model too) and predicts the held-out target.
    /// A candidate some fold could not fit is left out.
    static func score(_ candidates: [BaseCandidate], sources: [PackedImage], targets: [PackedImage], readings: TargetReadings?,
                      options: FitOptions) -> [BaseCandidateScore] {
        let metric = MetricOptions(computesSSIM: false)
        // Candidates are independent: score them in parallel, each into its own slot.
        var slots = [BaseCandidateScore?](repeating: nil, count: candidates.count)
        slots.withUnsafeMutableBufferPointer { buffer in
            let out = SharedPointer(base: buffer.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: candidates.count) { index in
                let candidate = candidates[index]
                var total = 0.0, folds = 0, angle = 0.0, angles = 0
                for i in sources.indices {
                    let rest = sources.indices.filter { $0 != i }
                    guard let fitted = try? fit(candidate, sources: rest.map { sources[$0] }, targets: rest.map { targets[$0] },
                                                readings: readings, options: options, iterations: 5) else { continue }
                    let m = ImageMetrics(prediction: predict(fitted, sources[i]), reference: targets[i], options: metric)
                    guard !m.psnr.isNaN else { continue }
                    total += min(m.psnr, 100)
                    folds += 1
                    // Colour alone: the mapping before any re-exposure, whose clipping would change hues.
                    var colourOnly = fitted
                    colourOnly.exposure = nil
                    let colour = fitted.exposure == nil ? m : ImageMetrics(prediction: predict(colourOnly, sources[i]), reference: targets[i], options: metric)
                    if let a = colour.angularError?.mean {
                        angle += a
                        angles += 1
                    }
                }
                if folds == sources.count {
                    out.base[index] = BaseCandidateScore(candidate: candidate, psnr: total / Double(folds),
                                                         angularError: angles > 0 ? angle / Double(angles) : nil, folds: folds)
                }
            }
        }
        return slots.compactMap { $0 }
    }

    /// The winner among scored candidates, in two stages.
    ///
    /// Candidates fitted the same way (exposure-aligned or plain, with or without a target
    /// exposure) form a family. Within a family of exposure-aligned fits, which differ in colour
    /// only, the lowest held-out angular error wins: it does not depend on exposure, whose
    /// errors would otherwise drown the colour differences in PSNR. Within a family of plain fits,
    /// which also differ in how they absorb exposure, the highest held-out PSNR wins. Across the
    /// families' winners, the highest held-out PSNR wins.
    static func choose(_ scores: [BaseCandidateScore]) -> BaseCandidateScore? {
        var winners: [BaseCandidateScore] = []
        var families: [[BaseCandidateScore]] = []
        for s in scores {
            if let f = families.firstIndex(where: { $0[0].candidate.alignsExposure == s.candidate.alignsExposure
                                                    && $0[0].candidate.predictsTargetExposure == s.candidate.predictsTargetExposure }) {
                families[f].append(s)
            } else {
                families.append([s])
            }
        }
        for family in families {
            let byPSNR = family.max { $0.psnr < $1.psnr }!
            if family[0].candidate.alignsExposure, family.allSatisfy({ $0.angularError != nil }) {
                winners.append(family.min { $0.angularError! < $1.angularError! }!)
            } else {
                winners.append(byPSNR)
            }
        }
        return winners.max { $0.psnr < $1.psnr }
    }

    /// Chooses and fits a direction's least-squares part.
    ///
    /// With at least 3 anchor pairs every candidate is scored by ``score(_:sources:targets:readings:options:)``
    /// on anchors subsampled to `validationPixels` pixels and ``choose(_:)`` picks the winner; with
    /// fewer, the first candidate is taken. The winner is then fitted on `sources` and `targets`.
    /// - Returns: the fitted winner, every score (empty without validation) and a one-line note.
    static func select(_ candidates: [BaseCandidate], sources: [PackedImage], targets: [PackedImage], readings: TargetReadings?,
                       options: FitOptions, validationPixels: Int, direction: String) throws(TrainingError)
        -> (fitted: FittedBase, scores: [BaseCandidateScore], note: String) {
        precondition(!candidates.isEmpty, "at least one candidate is needed")
        var chosen = candidates[0]
        var scores: [BaseCandidateScore] = []
        var note = "base \(direction): \(chosen) (fewer than 3 anchor pairs: no validation)"
        if sources.count >= 3 {
            let small = (sources.map { $0.evenSubsample(maxPixels: validationPixels) },
                         targets.map { $0.evenSubsample(maxPixels: validationPixels) })
            scores = score(candidates, sources: small.0, targets: small.1, readings: readings, options: options)
            if let best = choose(scores) {
                chosen = best.candidate
                note = "base \(direction): \(chosen) chosen on held-out anchor pairs ("
                    + scores.map(\.description).joined(separator: ", ") + ")"
            }
        }
        do {
            let fitted = try fit(chosen, sources: sources, targets: targets, readings: readings, options: options)
            return (fitted, scores, note)
        } catch {
            throw .baseMapping(reason: error.description)
        }
    }
}

extension ColorMapping {
    /// The same mapping on the four packed channels: a ``Kind/linear3x3`` (which averages the
    /// greens and writes the mapped green to both) becomes the equivalent ``Kind/linear4x4``;
    /// other kinds are returned unchanged.
    func onPackedChannels() throws(CalibrationError) -> ColorMapping {
        guard kind == .linear3x3 else { return self }
        // 3x3 rows: r, g, b terms; columns: R, G, B outputs. 4x4 rows: r, gr, gb, b; columns R, Gr, Gb, B.
        var c = [Double](repeating: 0, count: 16)
        for row in 0..<4 {
            let source = row == 0 ? 0 : (row == 3 ? 2 : 1)
            let share = (row == 1 || row == 2) ? 0.5 : 1.0
            for column in 0..<4 {
                let output = column == 0 ? 0 : (column == 3 ? 2 : 1)
                c[row * 4 + column] = share * coefficient(term: source, output: output)
            }
        }
        return try ColorMapping(kind: .linear4x4, coefficients: c)
    }
}
