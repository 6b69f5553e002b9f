import Foundation
import RawCore
import RawSupport

/// One candidate for the least-squares part of a direction of the residual model: a mapping kind,
/// fitted plainly or with one free exposure gain per anchor pair, with or without a
/// ``TargetExposure`` re-exposing the mapped image.
///
/// The residual model of Raw2RawModel (its `anchorValidated` base mapping) scores every candidate
/// by leave-one-anchor-out PSNR and keeps the best (``BaseCandidateScore``).
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
    /// Whether the mapping is fitted on the anchor pairs; `false` for the identity (two alike
    /// sensors), which no fit on a few independently exposed pairs can beat by much.
    public var fitsAnchors: Bool

    /// Creates a candidate.
    public init(kind: ColorMapping.Kind, alignsExposure: Bool, predictsTargetExposure: Bool, fitsAnchors: Bool = true) {
        precondition(fitsAnchors || !alignsExposure, "the identity is not fitted, so it cannot align exposure")
        self.kind = fitsAnchors ? kind : .linear4x4
        self.alignsExposure = alignsExposure
        self.predictsTargetExposure = predictsTargetExposure
        self.fitsAnchors = fitsAnchors
    }

    /// The identity mapping, with or without a target exposure.
    public static func identity(predictsTargetExposure: Bool) -> BaseCandidate {
        BaseCandidate(kind: .linear4x4, alignsExposure: false, predictsTargetExposure: predictsTargetExposure, fitsAnchors: false)
    }

    /// Whether the candidate is a plain least-squares fit without exposure model (as the evaluation's baselines).
    public var isPlainFit: Bool { fitsAnchors && !alignsExposure && !predictsTargetExposure }

    /// A plain least-squares fit, as the anchor baselines of an evaluation are fitted.
    public static func plain(_ kind: ColorMapping.Kind) -> BaseCandidate {
        BaseCandidate(kind: kind, alignsExposure: false, predictsTargetExposure: false)
    }

    /// A short name, e.g. `aligned rootpoly2 + target exposure`, `plain linear3x3` or `identity`.
    public var description: String {
        (fitsAnchors ? (alignsExposure ? "aligned " : "plain ") + kind.rawValue : "identity")
            + (predictsTargetExposure ? " + target exposure" : "")
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
    /// The PSNR (dB) of each held-out anchor pair, in pair order (their mean is ``psnr``).
    public var foldPSNR: [Double]

    /// The number of folds (held-out anchor pairs).
    public var folds: Int { foldPSNR.count }

    /// Creates a score from the held-out PSNR of every fold.
    public init(candidate: BaseCandidate, foldPSNR: [Double], angularError: Double?) {
        precondition(!foldPSNR.isEmpty, "a score needs at least one fold")
        self.candidate = candidate
        self.foldPSNR = foldPSNR
        self.psnr = foldPSNR.reduce(0, +) / Double(foldPSNR.count)
        self.angularError = angularError
    }

    /// `candidate PSNR dB / angle°`, e.g. `plain rootpoly2 31.42 dB / 1.834°`.
    public var description: String {
        "\(candidate) \(String(format: "%.2f", psnr)) dB" + (angularError.map { String(format: " / %.3f°", $0) } ?? "")
    }
}

/// A candidate fitted on every anchor pair: what the network's direction starts from.
package struct FittedBase: Sendable {
    /// The candidate.
    package var candidate: BaseCandidate
    /// The mapping on the four packed channels.
    package var mapping: ColorMapping
    /// Per anchor pair, its target's exposure gain (1 for a plain fit).
    package var gains: [Double]
    /// The target-exposure model, when the candidate has one and a meter was usable.
    package var exposure: TargetExposure?
}

/// Chooses a direction's least-squares part from training data alone: leave-one-anchor-out
/// validation over a list of ``BaseCandidate``s.
package enum BaseSelection {
    /// The anchor-validated candidates: root-polynomial 2, linear 4x4 and root-polynomial 3 fitted
    /// with exposure alignment and a target exposure as asked (when either is asked), the plain
    /// fits of the anchor baselines an evaluation reports (3x3, 4x4, the 16-term polynomial,
    /// root-polynomial 2), and the identity (with a target exposure too when one is predicted).
    package static func candidates(alignsExposure: Bool, predictsTargetExposure: Bool) -> [BaseCandidate] {
        var out: [BaseCandidate] = []
        if alignsExposure || predictsTargetExposure {
            for kind in [ColorMapping.Kind.rootPolynomial2, .linear4x4, .rootPolynomial3] {
                out.append(BaseCandidate(kind: kind, alignsExposure: alignsExposure, predictsTargetExposure: predictsTargetExposure))
            }
        }
        for kind in [ColorMapping.Kind.linear3x3, .linear4x4, .paperPolynomial, .rootPolynomial2] {
            out.append(.plain(kind))
        }
        out.append(.identity(predictsTargetExposure: false))
        if predictsTargetExposure { out.append(.identity(predictsTargetExposure: true)) }
        return out
    }

    /// Fits `candidate` on anchor pairs.
    /// - Parameters:
    ///   - readings: the target camera's meter readings, for candidates with a target exposure.
    ///   - iterations: the most alternating refits of an exposure-aligned fit.
    package static func fit(_ candidate: BaseCandidate, sources: [PackedImage], targets: [PackedImage], readings: TargetReadings?,
                    options: FitOptions, iterations: Int = 20) throws(CalibrationError) -> FittedBase {
        var mapping: ColorMapping
        var gains = [Double](repeating: 1, count: sources.count)
        if !candidate.fitsAnchors {
            mapping = .identity(.linear4x4)
        } else if candidate.alignsExposure {
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
            let evaluator = PackedMappingEvaluator(mapping)
            exposure = TargetExposure.fit(readings: readings, anchorMapped: sources.map { evaluator.applyUnclipped(to: $0) },
                                          anchorTargets: targets)
        }
        return FittedBase(candidate: candidate, mapping: mapping, gains: gains, exposure: exposure)
    }

    /// The prediction of a fitted candidate for `source`: mapped, re-exposed, clipped to [0, 1].
    package static func predict(_ fitted: FittedBase, _ source: PackedImage) -> PackedImage {
        predictions(fitted, source).prediction
    }

    /// The prediction of ``predict(_:_:)`` and the mapped image before any re-exposure (clipped),
    /// from one application of the mapping.
    package static func predictions(_ fitted: FittedBase, _ source: PackedImage) -> (prediction: PackedImage, colourOnly: PackedImage) {
        let mapped = PackedMappingEvaluator(fitted.mapping).applyUnclipped(to: source)
        let clipped = PackedImage(height: mapped.height, width: mapped.width,
                                  values: Numerics.clipUnit(mapped.values))
        return (fitted.exposure?.apply(to: mapped) ?? clipped, clipped)
    }

    /// Scores every candidate by leave-one-anchor-out mean PSNR: for each pair, the candidate is
    /// fitted on the other pairs (its exposure model too) and predicts the held-out target.
    /// A candidate some fold could not fit is left out.
    package static func score(_ candidates: [BaseCandidate], sources: [PackedImage], targets: [PackedImage], readings: TargetReadings?,
                      options: FitOptions) -> [BaseCandidateScore] {
        let metric = MetricOptions(computesSSIM: false)
        // Candidates are independent: score them in parallel, each into its own slot.
        let scores = Parallel.map(candidates.count) { index -> BaseCandidateScore? in
                let candidate = candidates[index]
                var foldPSNR: [Double] = [], angle = 0.0, angles = 0
                for i in sources.indices {
                    let rest = sources.indices.filter { $0 != i }
                    guard let fitted = try? fit(candidate, sources: rest.map { sources[$0] }, targets: rest.map { targets[$0] },
                                                readings: readings, options: options, iterations: 5) else { continue }
                    let p = predictions(fitted, sources[i])
                    let m = ImageMetrics(prediction: p.prediction, reference: targets[i], options: metric)
                    guard !m.psnr.isNaN else { continue }
                    foldPSNR.append(min(m.psnr, 100))
                    // Colour alone: the mapping before any re-exposure, whose clipping would change hues.
                    let colour = fitted.exposure == nil ? m : ImageMetrics(prediction: p.colourOnly, reference: targets[i], options: metric)
                    if let a = colour.angularError?.mean {
                        angle += a
                        angles += 1
                    }
                }
                guard foldPSNR.count == sources.count else { return nil }
                return BaseCandidateScore(candidate: candidate, foldPSNR: foldPSNR,
                                          angularError: angles > 0 ? angle / Double(angles) : nil)
        }
        return scores.compactMap { $0 }
    }

    /// How many standard errors of the per-fold differences another family's winner must beat the
    /// reference candidate's held-out PSNR by before it replaces it (see ``choose(_:)``).
    package static let requiredStandardErrors = 1.0

    /// The mean and the standard error of `a`'s per-fold PSNR advantage over `b` (same folds).
    package static func advantage(_ a: BaseCandidateScore, over b: BaseCandidateScore) -> (mean: Double, standardError: Double) {
        precondition(a.folds == b.folds, "scores of different folds: \(a.folds) and \(b.folds)")
        let d = zip(a.foldPSNR, b.foldPSNR).map { $0 - $1 }
        let n = Double(d.count), mean = d.reduce(0, +) / n
        guard d.count > 1 else { return (mean, .infinity) }
        let variance = d.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        return (mean, (variance / n).squareRoot())
    }

    /// The winners of each family of candidates fitted the same way, and the reference among them.
    ///
    /// Within a family of exposure-aligned fits, which differ in colour only, the lowest held-out
    /// angular error wins: it does not depend on exposure, whose errors would otherwise drown the
    /// colour differences in PSNR. Within any other family the highest held-out PSNR wins. The
    /// reference is the exposure-modelled fits' winner when there is one (the candidates are built
    /// that way by default), otherwise the plain fits' winner.
    package static func familyWinners(_ scores: [BaseCandidateScore]) -> (winners: [BaseCandidateScore], reference: BaseCandidateScore?) {
        var families: [[BaseCandidateScore]] = []
        for s in scores {
            if let f = families.firstIndex(where: { $0[0].candidate.alignsExposure == s.candidate.alignsExposure
                                                    && $0[0].candidate.predictsTargetExposure == s.candidate.predictsTargetExposure
                                                    && $0[0].candidate.fitsAnchors == s.candidate.fitsAnchors }) {
                families[f].append(s)
            } else {
                families.append([s])
            }
        }
        let winners = families.map { family in
            family[0].candidate.alignsExposure && family.allSatisfy({ $0.angularError != nil })
                ? family.min { $0.angularError! < $1.angularError! }!
                : family.max { $0.psnr < $1.psnr }!
        }
        let modelled = winners.first { $0.candidate.fitsAnchors && ($0.candidate.alignsExposure || $0.candidate.predictsTargetExposure) }
        return (winners, modelled ?? winners.first { $0.candidate.isPlainFit } ?? winners.max { $0.psnr < $1.psnr })
    }

    /// The winner among scored candidates.
    ///
    /// Each family's winner is found (``familyWinners(_:)``); the reference, the exposure-modelled
    /// fit by default, is kept unless another family's winner beats its held-out PSNR by at least
    /// ``requiredStandardErrors`` standard errors of the per-fold differences; of those that do,
    /// the highest held-out PSNR wins. The held-out pairs are few and each one's PSNR is dominated
    /// by its own random exposure, so only a clear advantage on them overrules the model of
    /// exposure that the many unpaired images support; where exposure modelling clearly does not
    /// pay (cameras with a fixed exposure, alike sensors exposed alike), a plain fit or the
    /// identity takes over.
    package static func choose(_ scores: [BaseCandidateScore]) -> BaseCandidateScore? {
        let (winners, reference) = familyWinners(scores)
        guard let reference else { return nil }
        let passing = winners.filter { w in
            guard w.candidate != reference.candidate else { return false }
            let a = advantage(w, over: reference)
            return a.mean > 0 && a.mean > requiredStandardErrors * a.standardError
        }
        return passing.max { $0.psnr < $1.psnr } ?? reference
    }

    /// Chooses a direction's least-squares part.
    ///
    /// With at least 3 anchor pairs every candidate is scored by ``score(_:sources:targets:readings:options:)``
    /// on anchors subsampled to `validationPixels` pixels and ``choose(_:)`` picks the winner; with
    /// fewer, the first candidate is taken. Fit the winner with ``fit(_:sources:targets:readings:options:iterations:)``.
    /// - Parameter label: what the one-line note calls the direction (e.g. `A->B`).
    /// - Returns: the chosen candidate, every score (empty without validation) and a one-line note.
    package static func select(_ candidates: [BaseCandidate], sources: [PackedImage], targets: [PackedImage], readings: TargetReadings?,
                               options: FitOptions, validationPixels: Int, label: String)
        -> (chosen: BaseCandidate, scores: [BaseCandidateScore], note: String) {
        precondition(!candidates.isEmpty, "at least one candidate is needed")
        var chosen = candidates[0]
        var scores: [BaseCandidateScore] = []
        var note = "base \(label): \(chosen) (fewer than 3 anchor pairs: no validation)"
        if sources.count >= 3 {
            let small = (sources.map { $0.evenSubsample(maxPixels: validationPixels) },
                         targets.map { $0.evenSubsample(maxPixels: validationPixels) })
            scores = score(candidates, sources: small.0, targets: small.1, readings: readings, options: options)
            if let best = choose(scores) {
                chosen = best.candidate
                note = "base \(label): \(chosen) chosen on held-out anchor pairs ("
                    + scores.map(\.description).joined(separator: ", ") + ")"
                let (winners, reference) = familyWinners(scores)
                if let reference {
                    for other in winners where other.candidate != reference.candidate {
                        let a = advantage(other, over: reference)
                        note += String(format: "; %@ over %@: %+.2f ± %.2f dB", other.candidate.description,
                                       reference.candidate.description, a.mean, a.standardError)
                    }
                }
            }
        }
        return (chosen, scores, note)
    }

    /// Fits `kind` on anchor pairs: with `aligningExposure`, with one free exposure gain per pair
    /// (``ColorMapping/fitAligningExposure(_:sources:targets:weights:options:maximumIterations:)``),
    /// otherwise plainly with gains of 1.
    package static func fit(_ kind: ColorMapping.Kind, sources: [PackedImage], targets: [PackedImage], aligningExposure: Bool,
                            options: FitOptions, iterations: Int = 20) throws(CalibrationError) -> (mapping: ColorMapping, gains: [Double]) {
        if aligningExposure {
            let f = try ColorMapping.fitAligningExposure(kind, sources: sources, targets: targets, options: options,
                                                         maximumIterations: iterations)
            return (f.mapping, f.gains)
        }
        return (try ColorMapping.fit(kind, sources: sources, targets: targets, options: options), [Double](repeating: 1, count: sources.count))
    }

    /// The kind with the lowest mean angular error over leave-one-pair-out folds, on anchors
    /// subsampled to `validationPixels` pixels; root-polynomial 2 (or the first kind) with one kind
    /// or fewer than 3 pairs, or when no kind could be fitted in every fold.
    /// - Parameter label: what the one-line note calls the direction (e.g. `A->B`).
    /// - Returns: the kind and a note saying why (`nil` without validation).
    package static func chooseKind(_ kinds: [ColorMapping.Kind], sources: [PackedImage], targets: [PackedImage], aligningExposure: Bool,
                                   options: FitOptions, validationPixels: Int, label: String) -> (kind: ColorMapping.Kind, note: String?) {
        precondition(!kinds.isEmpty, "at least one candidate kind is needed")
        let fallback = kinds.contains(.rootPolynomial2) ? .rootPolynomial2 : kinds[0]
        guard kinds.count > 1 && sources.count >= 3 else { return (fallback, nil) }
        let small = (sources.map { $0.evenSubsample(maxPixels: validationPixels) },
                     targets.map { $0.evenSubsample(maxPixels: validationPixels) })
        var scores: [(kind: ColorMapping.Kind, error: Double)] = []
        for k in kinds {
            var total = 0.0, folds = 0
            for i in sources.indices {
                let rest = sources.indices.filter { $0 != i }
                guard let m = try? fit(k, sources: rest.map { small.0[$0] }, targets: rest.map { small.1[$0] },
                                       aligningExposure: aligningExposure, options: options, iterations: 5).mapping,
                      let angle = ImageMetrics(prediction: m.apply(to: small.0[i]), reference: small.1[i],
                                               options: MetricOptions(computesSSIM: false)).angularError?.mean
                else { continue }
                total += angle
                folds += 1
            }
            if folds == sources.count { scores.append((k, total / Double(folds))) }
        }
        guard let best = scores.min(by: { $0.error < $1.error }) else { return (fallback, nil) }
        return (best.kind, "base mapping \(label): \(best.kind) chosen by leave-one-pair-out mean angular error ("
            + scores.map { "\($0.kind) \(String(format: "%.3f", $0.error))°" }.joined(separator: ", ") + ")")
    }
}
