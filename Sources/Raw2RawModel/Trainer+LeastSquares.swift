import Calibration
import Foundation
import RawSupport
import RawIO
import RawTensor

/// The least-squares parts of a run: base mappings, their selection and the target-exposure models.
extension Trainer {
    /// Pixels per anchor pair in the cross-validation folds of ``ModelConfiguration/BaseMapping-swift.enum/crossValidated``.
    static let crossValidationPixelsPerPair = 16_384

    /// The per-channel mean of every pixel of `set` (R, Gr, Gb, B), read one image at a time.
    static func channelMeans(_ set: PackedImageSet) throws(TrainingError) -> SIMD4<Double> {
        var sum = SIMD4<Double>(repeating: 0), count = 0
        for i in 0..<set.count {
            let image: PackedImage
            do { image = try set.image(at: i) } catch { throw .dataset(error) }
            for y in 0..<image.height {
                for x in 0..<image.width { sum += SIMD4<Double>(image.pixel(y: y, x: x)) }
            }
            count += image.pixelCount
        }
        return count > 0 ? sum / Double(count) : SIMD4(repeating: 0.5)
    }

    /// The anchor pairs, each evenly subsampled to at most `pixelsPerPair` pixels, read once for
    /// the base and exposure fits.
    static func subsampledAnchors(_ anchors: PackedImagePairSet, pixelsPerPair: Int) throws(TrainingError)
        -> (a: [PackedImage], b: [PackedImage]) {
        do { return try anchors.evenlySubsampled(maxPixelsPerPair: pixelsPerPair) } catch { throw .dataset(error) }
    }

    /// Fits the base mappings A to B and B to A on the (subsampled) anchor pairs; with
    /// `aligningExposure`, with one free exposure gain per pair and direction
    /// (``Calibration/ColorMapping/fitAligningExposure(_:sources:targets:weights:options:maximumIterations:)``),
    /// otherwise with gains of 1. With several candidate `kinds` and at least 3 pairs, each
    /// direction takes the kind with the lowest mean angular error over leave-one-pair-out folds;
    /// `notes` says which and why.
    static func fitBaseMappings(kinds: [ColorMapping.Kind], anchors: (a: [PackedImage], b: [PackedImage]), seed: UInt64,
                                aligningExposure: Bool = false) throws(TrainingError)
        -> (aToB: ColorMapping, bToA: ColorMapping, gainsAToB: [Double], gainsBToA: [Double], notes: [String]) {
        let options = FitOptions(seed: seed)
        func direction(_ s: [PackedImage], _ t: [PackedImage], _ d: MappingDirection) throws(TrainingError)
            -> (mapping: ColorMapping, gains: [Double], note: String?) {
            let choice = BaseSelection.chooseKind(kinds, sources: s, targets: t, aligningExposure: aligningExposure, options: options,
                                                  validationPixels: crossValidationPixelsPerPair, label: d.phrase)
            do {
                let f = try BaseSelection.fit(choice.kind, sources: s, targets: t, aligningExposure: aligningExposure, options: options)
                return (f.mapping, f.gains, choice.note)
            } catch {
                throw .baseMapping(direction: d, kind: choice.kind, error: error)
            }
        }
        let sources = anchors.a, targets = anchors.b
        let ab = try direction(sources, targets, .aToB)
        let ba = try direction(targets, sources, .bToA)
        return (ab.mapping, ba.mapping, ab.gains, ba.gains, [ab.note, ba.note].compactMap { $0 })
    }

    /// At most this many unpaired images per camera are read to fit the target-exposure models.
    static let exposureFitImages = 64

    /// Up to ``exposureFitImages`` images of `set`, evenly spread, each evenly subsampled to at most `pixelsPerImage` pixels.
    static func exposureImages(_ set: PackedImageSet, pixelsPerImage: Int) throws(TrainingError) -> [PackedImage] {
        let n = set.count, k = min(n, exposureFitImages)
        var out: [PackedImage] = []
        for j in 0..<k {
            do { out.append(try set.image(at: j * n / k).evenSubsample(maxPixels: pixelsPerImage)) } catch { throw .dataset(error) }
        }
        return out
    }

    /// Chooses and fits both directions' least-squares parts for
    /// ``ModelConfiguration/BaseMapping-swift.enum/anchorValidated`` (see `BaseCandidate`): the
    /// candidates are scored by leave-one-anchor-out PSNR, the target camera's unpaired images
    /// giving the exposure models their level.
    static func selectBases(configuration: ModelConfiguration, data: TrainingData, anchors: (a: [PackedImage], b: [PackedImage]),
                            pixelsPerImage: Int, seed: UInt64) throws(TrainingError)
        -> (aToB: FittedBase, bToA: FittedBase, notes: [String]) {
        let candidates = BaseSelection.candidates(for: configuration)
        let exposure = candidates.contains { $0.predictsTargetExposure }
        let readingsB = exposure ? TargetReadings(targets: try exposureImages(data.unpairedB, pixelsPerImage: pixelsPerImage)) : nil
        let readingsA = exposure ? TargetReadings(targets: try exposureImages(data.unpairedA, pixelsPerImage: pixelsPerImage)) : nil
        let options = FitOptions(seed: seed)
        let ab = try BaseSelection.select(candidates, sources: anchors.a, targets: anchors.b, readings: readingsB, options: options,
                                          validationPixels: crossValidationPixelsPerPair, direction: .aToB)
        let ba = try BaseSelection.select(candidates, sources: anchors.b, targets: anchors.a, readings: readingsA, options: options,
                                          validationPixels: crossValidationPixelsPerPair, direction: .bToA)
        return (ab.fitted, ba.fitted, [ab.note, ba.note])
    }

    /// Fits the target-exposure models of both directions through `network`'s base mappings: the
    /// unpaired images of each camera (at most ``exposureFitImages``, evenly spread) give its
    /// typical level, the anchor pairs the strength.
    static func fitTargetExposures(network: Raw2RawNetwork, data: TrainingData, anchors: (a: [PackedImage], b: [PackedImage]),
                                   pixelsPerImage: Int) throws(TrainingError)
        -> DirectionPair<TargetExposure?> {
        let ua = try exposureImages(data.unpairedA, pixelsPerImage: pixelsPerImage)
        let ub = try exposureImages(data.unpairedB, pixelsPerImage: pixelsPerImage)
        let pa = anchors.a, pb = anchors.b
        let baseAB = network.base(from: .a), baseBA = network.base(from: .b)
        func mapped(_ base: BaseMapping, _ images: [PackedImage]) -> [PackedImage] { images.map { base.evaluator.applyUnclipped(to: $0) } }
        let ab = TargetExposure.fit(targets: ub, anchorMapped: mapped(baseAB, pa), anchorTargets: pb)
        let ba = TargetExposure.fit(targets: ua, anchorMapped: mapped(baseBA, pb), anchorTargets: pa)
        return DirectionPair(aToB: ab, bToA: ba)
    }
}

extension Trainer {
    /// The starting point of a new run: the least-squares bases (and target exposures) fitted as
    /// the configuration asks, and a freshly initialised network around them.
    static func freshStart(configuration c: TrainingConfiguration, data: TrainingData,
                           notes: inout [String]) throws(TrainingError) -> StartingPoint {
        var bases: DirectionPair<ColorMapping>?
        var selectedExposures: DirectionPair<TargetExposure?>?
        var anchorGains: DirectionPair<[Double]>?
        let kinds = c.model.baseMapping.candidateKinds
        let validated = c.model.architecture == .residual && c.model.baseMapping == .anchorValidated
        let needsAnchors = c.model.architecture == .residual && (!kinds.isEmpty || validated || c.model.predictsTargetExposure)
        let anchors = needsAnchors ? try Self.subsampledAnchors(data.anchors, pixelsPerPair: c.sampling.baseFitPixelsPerPair) : ([], [])
        if validated {
            let selected = try Self.selectBases(configuration: c.model, data: data, anchors: anchors,
                                                pixelsPerImage: c.sampling.baseFitPixelsPerPair, seed: c.seed)
            bases = DirectionPair(aToB: selected.aToB.mapping, bToA: selected.bToA.mapping)
            anchorGains = DirectionPair(aToB: selected.aToB.gains, bToA: selected.bToA.gains)
            selectedExposures = DirectionPair(aToB: selected.aToB.exposure, bToA: selected.bToA.exposure)
            notes += selected.notes
            for (name, f) in [("A to B", selected.aToB), ("B to A", selected.bToA)] {
                let why = f.candidate.predictsTargetExposure
                    ? "none (no usable meter, or none predicting held-out anchors better than the source's own exposure)"
                    : "none (the chosen base keeps the source's exposure)"
                notes.append("target exposure \(name): " + (f.exposure?.description ?? why))
            }
        } else if c.model.architecture == .residual, !kinds.isEmpty {
            let fitted = try Self.fitBaseMappings(kinds: kinds, anchors: anchors, seed: c.seed,
                                                  aligningExposure: c.model.alignsAnchorExposure)
            bases = DirectionPair(aToB: fitted.aToB, bToA: fitted.bToA)
            if c.model.alignsAnchorExposure { anchorGains = DirectionPair(aToB: fitted.gainsAToB, bToA: fitted.gainsBToA) }
            notes += fitted.notes
        }
        let network = Raw2RawNetwork(configuration: c.model, cameraA: data.cameraA, cameraB: data.cameraB,
                                     baseMappings: bases, seed: c.seed)
        if c.optimization.outputBiasPrior {
            for side in [CameraSide.a, .b] {
                let mean = try Self.channelMeans(side == .a ? data.anchors.setA : data.anchors.setB)
                network.setOutputPrior(mean, camera: side)
            }
        }
        if let selectedExposures {
            network.targetExposures = selectedExposures
        } else if c.model.predictsTargetExposure {
            let exposures = try Self.fitTargetExposures(network: network, data: data, anchors: anchors,
                                                        pixelsPerImage: c.sampling.baseFitPixelsPerPair)
            network.targetExposures = exposures
            notes.append("target exposure A to B: " + (exposures.aToB?.description ?? "none (no usable meter)"))
            notes.append("target exposure B to A: " + (exposures.bToA?.description ?? "none (no usable meter)"))
        }
        return StartingPoint(network: network, anchorGains: anchorGains)
    }
}

extension ModelConfiguration.BaseMapping {
    /// The Calibration kinds a least-squares base is chosen from (empty for the identity).
    var candidateKinds: [ColorMapping.Kind] {
        switch self {
        case .identity: return []
        case .linear4x4: return [.linear4x4]
        case .affine: return [.affine]
        case .polynomial16: return [.paperPolynomial]
        case .rootPolynomial2: return [.rootPolynomial2]
        case .rootPolynomial3: return [.rootPolynomial3]
        case .crossValidated: return [.linear4x4, .rootPolynomial2, .rootPolynomial3]
        case .anchorValidated: return [.rootPolynomial2, .linear4x4, .rootPolynomial3]
        }
    }
}
