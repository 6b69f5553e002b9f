import Calibration
import Foundation
import RawSupport
import RawIO
import RawTensor

/// The result of validating on held-out pairs (centre crops, both directions).
public struct ValidationResult: Codable, Sendable, Equatable {
    /// The optimizer step the network had done.
    public var step: Int
    /// The number of pairs used.
    public var pairCount: Int
    /// Mean PSNR (dB) of the network's A-to-B mapping against the B images.
    public var psnrAToB: Double
    /// Mean PSNR (dB) of the network's B-to-A mapping against the A images.
    public var psnrBToA: Double
    /// Mean PSNR of the starting point on the same crops: the base mapping (residual
    /// architecture) or the identity (paper).
    public var basePSNRAToB: Double
    /// The same for B to A.
    public var basePSNRBToA: Double

    /// Creates a result.
    public init(step: Int, pairCount: Int, psnrAToB: Double, psnrBToA: Double, basePSNRAToB: Double, basePSNRBToA: Double) {
        self.step = step
        self.pairCount = pairCount
        self.psnrAToB = psnrAToB
        self.psnrBToA = psnrBToA
        self.basePSNRAToB = basePSNRAToB
        self.basePSNRBToA = basePSNRBToA
    }
}

/// What a ``Trainer`` reports while it runs.
public struct TrainingProgress: Sendable {
    /// Steps done.
    public var step: Int
    /// Steps of the whole run.
    public var totalSteps: Int
    /// The loss terms of the latest step.
    public var losses: LossTerms
    /// The learning rate of the latest step.
    public var learningRate: Float
    /// Training throughput of this session in steps per second.
    public var stepsPerSecond: Double
    /// Training throughput in patches per second (unpaired patches of both cameras plus both
    /// images of each anchor pair).
    public var patchesPerSecond: Double
    /// Seconds spent training (all sessions of a resumed run).
    public var elapsedSeconds: Double
    /// Estimated seconds to the end at the current throughput.
    public var remainingSeconds: Double
    /// The checkpoint written at this step, if any.
    public var checkpoint: URL?
    /// The validation run at this step, if any.
    public var validation: ValidationResult?
}

/// Trains a ``Raw2RawNetwork`` on ``TrainingData`` with checkpoints, validation and resumption.
///
/// ```swift
/// let data = try TrainingData(layout: DatasetLayout(root: dir), cameraA: "iphone-x", cameraB: "galaxy-s9")
/// let trainer = try Trainer(configuration: .default, data: data, modelDirectory: out, resume: true)
/// let record = try trainer.run { p in print(p.step, p.losses.total) }
/// ```
///
/// Every step draws a batch of unpaired patches of each camera and of anchor pairs (random
/// positions and flips), evaluates the weighted losses, back-propagates and takes one Adam step.
/// Checkpoints (weights, optimizer moments, sampler state, step) are written every
/// ``TrainingConfiguration/checkpointInterval`` steps; a trainer created with `resume: true`
/// continues from the newest one, and produces exactly the losses of a run that was never
/// interrupted (same seed, same data, same machine). A NaN or infinite loss or gradient stops
/// the run with ``TrainingError/nonFiniteLoss(step:terms:lastCheckpoint:)`` or
/// ``TrainingError/nonFiniteGradient(step:parameter:terms:lastCheckpoint:)`` before any
/// parameter changes; checkpoints on disk are left as they were.
public final class Trainer {
    /// The run's configuration.
    public let configuration: TrainingConfiguration
    /// The data.
    public let data: TrainingData
    /// The model folder: checkpoints go to `checkpoints/`, the final model to `model.json` and `model.safetensors`.
    public let modelDirectory: URL
    /// The network being trained.
    public let network: Raw2RawNetwork
    /// Optimizer steps done.
    public private(set) var step: Int
    /// The loss terms of the latest step.
    public private(set) var lastLosses: LossTerms?
    /// The latest validation.
    public private(set) var lastValidation: ValidationResult?
    /// The newest checkpoint written or resumed from.
    public private(set) var lastCheckpoint: URL?
    /// Notes about the run (resumed from where, checkpoints skipped as unreadable, schedule changes).
    public private(set) var notes: [String] = []

    let updater: ParameterUpdater<Adam>
    let sampler: PatchSampler
    private var secondsBefore: Double = 0
    private var sessionSeconds: Double = 0
    private var sessionSteps = 0
    private var validationSet: [(a: PackedImage, b: PackedImage, thumbA: Tensor, thumbB: Tensor)]?
    private var basePSNR: (ab: Double, ba: Double)?
    /// Per anchor pair, the exposure gain of its target in each direction (``ModelConfiguration/alignsAnchorExposure``).
    private(set) var anchorGains: DirectionPair<[Double]>?
    /// Called after each checkpoint file is written (tests simulate crashes with it).
    var checkpointFault: ((String) throws(TrainingError) -> Void)?

    /// Prepares a run: fits the base mappings on the anchor pairs and initialises the network,
    /// or, with `resume`, restores the newest readable checkpoint of `modelDirectory` (a fresh
    /// run starts when there is none).
    /// - Throws: ``TrainingError`` for an invalid configuration, unreadable data, a base mapping
    ///   that cannot be fitted, or a checkpoint made with another configuration or data.
    public init(configuration: TrainingConfiguration, data: TrainingData, modelDirectory: URL, resume: Bool = false) throws(TrainingError) {
        let problems = configuration.problems()
        guard problems.isEmpty else { throw .invalidConfiguration(problems) }
        self.configuration = configuration
        self.data = data
        self.modelDirectory = modelDirectory
        let adam = Adam(beta1: configuration.beta1, beta2: configuration.beta2, epsilon: configuration.epsilon)
        updater = ParameterUpdater(optimizer: adam, learningRate: configuration.learningRate,
                                   schedule: configuration.schedule.rawTensorSchedule(totalSteps: configuration.steps))
        let c = configuration
        var restored: (url: URL, state: CheckpointState, weights: SafeTensors, optimizer: SafeTensors)?
        if resume {
            CheckpointStore.removeLeftovers(in: modelDirectory)
            var skipped: [String] = []
            for candidate in CheckpointStore.list(in: modelDirectory) {
                do {
                    let r = try CheckpointStore.read(candidate.url)
                    restored = (candidate.url, r.state, r.weights, r.optimizer)
                    break
                } catch {
                    skipped.append(error.description)
                }
            }
            notes += skipped.map { "skipped an unreadable checkpoint: \($0)" }
            if restored == nil { notes.append("no checkpoint to resume from in \(modelDirectory.path): starting a new run") }
        }
        if let r = restored {
            if let diff = r.state.data.difference(from: data.fingerprint) {
                throw .incompatibleCheckpoint(path: r.url.path, reason: "it was trained on other data: \(diff)")
            }
            let changed = Self.changedKeys(r.state.configuration, configuration)
            if !changed.isEmpty {
                throw .incompatibleCheckpoint(path: r.url.path, reason: "the configuration differs in: \(changed.joined(separator: ", "))")
            }
            if r.state.configuration.steps != configuration.steps {
                notes.append("the run length changed from \(r.state.configuration.steps) to \(configuration.steps) steps; "
                             + "with a decaying schedule the rest of the run differs from an uninterrupted one")
            }
            let bases = DirectionPair(aToB: r.state.baseMappingAToB, bToA: r.state.baseMappingBToA).unwrapped()
            network = Raw2RawNetwork(configuration: c.model, cameraA: data.cameraA, cameraB: data.cameraB,
                                     baseMappings: bases, seed: c.seed)
            network.targetExposures = DirectionPair(aToB: r.state.exposureAToB, bToA: r.state.exposureBToA)
            if let ab = r.state.anchorGainsAToB, let ba = r.state.anchorGainsBToA {
                guard ab.count == data.anchors.count && ba.count == data.anchors.count else {
                    throw .incompatibleCheckpoint(path: r.url.path, reason: "it holds \(ab.count) anchor gains for \(data.anchors.count) anchor pairs")
                }
                anchorGains = DirectionPair(aToB: ab, bToA: ba)
            } else if c.model.alignsAnchorExposure {
                throw .incompatibleCheckpoint(path: r.url.path, reason: "it has no anchor exposure gains, which alignsAnchorExposure needs")
            }
            do {
                try network.loadParameters(r.weights.tensors, strict: true, source: r.url.appendingPathComponent(CheckpointStore.weightsFile).path)
                try updater.restore(from: r.optimizer, for: network, source: r.url.appendingPathComponent(CheckpointStore.optimizerFile).path)
            } catch {
                throw .checkpoint(path: error.path, reason: error.description)
            }
            guard updater.step == r.state.step else {
                throw .checkpoint(path: r.url.path, reason: "the optimizer state is at step \(updater.step), the checkpoint at \(r.state.step)")
            }
            sampler = PatchSampler(unpairedA: data.unpairedA, unpairedB: data.unpairedB, anchors: data.anchors,
                                   patchSize: c.patchSize, thumbnailSize: c.model.thumbnailSize, flips: c.flips,
                                   residentImages: c.residentImages, refreshInterval: c.poolRefreshInterval,
                                   generator: SeededGenerator(seed: c.seed).derived(stream: 1))
            guard r.state.sampler.residentA.allSatisfy({ $0 < data.unpairedA.count })
                    && r.state.sampler.residentB.allSatisfy({ $0 < data.unpairedB.count })
                    && r.state.sampler.residentAnchors.allSatisfy({ $0 < data.anchors.count }) else {
                throw .incompatibleCheckpoint(path: r.url.path, reason: "its sampler state does not fit the dataset")
            }
            sampler.restore(r.state.sampler)
            step = r.state.step
            lastLosses = r.state.losses
            lastValidation = r.state.validation
            lastCheckpoint = r.url
            secondsBefore = r.state.seconds
            notes.append("resumed from \(r.url.path) at step \(step)")
        } else {
            var bases: DirectionPair<ColorMapping>?
            var selectedExposures: DirectionPair<TargetExposure?>?
            let kinds = c.model.baseMapping.candidateKinds
            let validated = c.model.architecture == .residual && c.model.baseMapping == .anchorValidated
            let needsAnchors = c.model.architecture == .residual && (!kinds.isEmpty || validated || c.model.predictsTargetExposure)
            let anchors = needsAnchors ? try Self.subsampledAnchors(data.anchors, pixelsPerPair: c.baseFitPixelsPerPair) : ([], [])
            if validated {
                let selected = try Self.selectBases(configuration: c.model, data: data, anchors: anchors,
                                                    pixelsPerImage: c.baseFitPixelsPerPair, seed: c.seed)
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
            network = Raw2RawNetwork(configuration: c.model, cameraA: data.cameraA, cameraB: data.cameraB,
                                     baseMappings: bases, seed: c.seed)
            if let selectedExposures {
                network.targetExposures = selectedExposures
            } else if c.model.predictsTargetExposure {
                let exposures = try Self.fitTargetExposures(network: network, data: data, anchors: anchors,
                                                            pixelsPerImage: c.baseFitPixelsPerPair)
                network.targetExposures = exposures
                notes.append("target exposure A to B: " + (exposures.aToB?.description ?? "none (no usable meter)"))
                notes.append("target exposure B to A: " + (exposures.bToA?.description ?? "none (no usable meter)"))
            }
            sampler = PatchSampler(unpairedA: data.unpairedA, unpairedB: data.unpairedB, anchors: data.anchors,
                                   patchSize: c.patchSize, thumbnailSize: c.model.thumbnailSize, flips: c.flips,
                                   residentImages: c.residentImages, refreshInterval: c.poolRefreshInterval,
                                   generator: SeededGenerator(seed: c.seed).derived(stream: 1))
            step = 0
        }
    }

    /// The top-level configuration keys that differ, ignoring those that do not change the
    /// computation (run length, checkpoint and validation settings).
    static func changedKeys(_ a: TrainingConfiguration, _ b: TrainingConfiguration) -> [String] {
        func neutral(_ c: TrainingConfiguration) -> TrainingConfiguration {
            var c = c
            c.steps = 0
            c.checkpointInterval = 0
            c.keepCheckpoints = 1
            c.validationInterval = 0
            c.validationPairs = 0
            c.validationCrop = 0
            c.preset = .default
            return c
        }
        let na = neutral(a), nb = neutral(b)
        guard na != nb else { return [] }
        let ja = (try? JSONSerialization.jsonObject(with: Raw2RawNetwork.encodeJSON(na))) as? [String: Any] ?? [:]
        let jb = (try? JSONSerialization.jsonObject(with: Raw2RawNetwork.encodeJSON(nb))) as? [String: Any] ?? [:]
        let keys = Set(ja.keys).union(jb.keys).sorted()
        let diff = keys.filter { k in
            let ea = ja[k].map { (try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys, .fragmentsAllowed])) ?? Data() }
            let eb = jb[k].map { (try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys, .fragmentsAllowed])) ?? Data() }
            return ea != eb
        }
        return diff.isEmpty ? ["(values)"] : diff
    }

    /// Pixels per anchor pair in the cross-validation folds of ``ModelConfiguration/BaseMapping-swift.enum/crossValidated``.
    static let crossValidationPixelsPerPair = 16_384

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
        precondition(!kinds.isEmpty, "at least one candidate kind is needed")
        let sources = anchors.a, targets = anchors.b
        let options = FitOptions(seed: seed)
        func fit(_ kind: ColorMapping.Kind, _ s: [PackedImage], _ t: [PackedImage], iterations: Int = 20) throws(CalibrationError)
            -> (mapping: ColorMapping, gains: [Double]) {
            if aligningExposure {
                let f = try ColorMapping.fitAligningExposure(kind, sources: s, targets: t, options: options, maximumIterations: iterations)
                return (f.mapping, f.gains)
            }
            return (try ColorMapping.fit(kind, sources: s, targets: t, options: options), [Double](repeating: 1, count: s.count))
        }
        func direction(_ s: [PackedImage], _ t: [PackedImage], _ d: MappingDirection) throws(TrainingError)
            -> (mapping: ColorMapping, gains: [Double], note: String?) {
            var kind = kinds.contains(.rootPolynomial2) ? .rootPolynomial2 : kinds[0]
            var note: String?
            if kinds.count > 1 && s.count >= 3 {
                let small = (s.map { $0.evenSubsample(maxPixels: crossValidationPixelsPerPair) },
                             t.map { $0.evenSubsample(maxPixels: crossValidationPixelsPerPair) })
                var scores: [(kind: ColorMapping.Kind, error: Double)] = []
                for k in kinds {
                    var total = 0.0, folds = 0
                    for i in s.indices {
                        let rest = s.indices.filter { $0 != i }
                        guard let m = try? fit(k, rest.map { small.0[$0] }, rest.map { small.1[$0] }, iterations: 5).mapping,
                              let angle = ImageMetrics(prediction: m.apply(to: small.0[i]), reference: small.1[i],
                                                       options: MetricOptions(computesSSIM: false)).angularError?.mean
                        else { continue }
                        total += angle
                        folds += 1
                    }
                    if folds == s.count { scores.append((k, total / Double(folds))) }
                }
                if let best = scores.min(by: { $0.error < $1.error }) {
                    kind = best.kind
                    note = "base mapping \(d.phrase): \(best.kind) chosen by leave-one-pair-out mean angular error ("
                        + scores.map { "\($0.kind) \(String(format: "%.3f", $0.error))°" }.joined(separator: ", ") + ")"
                }
            }
            do {
                let f = try fit(kind, s, t)
                return (f.mapping, f.gains, note)
            } catch {
                throw .baseMapping(direction: d, kind: kind, error: error)
            }
        }
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
    /// ``ModelConfiguration/BaseMapping-swift.enum/anchorValidated`` (see ``BaseCandidate``): the
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

    /// Patches one step processes: unpaired patches of both cameras and both images of each anchor pair.
    public var patchesPerStep: Int { 2 * configuration.unpairedBatchSize + 2 * configuration.anchorBatchSize }

    /// The learning rate of the next step.
    public var learningRate: Float { updater.currentLearningRate }

    /// Does one optimizer step and returns its (unweighted) loss terms.
    /// - Throws: ``TrainingError/nonFiniteLoss(step:terms:lastCheckpoint:)`` or
    ///   ``TrainingError/nonFiniteGradient(step:parameter:terms:lastCheckpoint:)`` (nothing is
    ///   updated), or a data error.
    @discardableResult
    public func trainStep() throws(TrainingError) -> LossTerms {
        let start = Date()
        let batch = try sampler.batch(step: step, unpaired: configuration.unpairedBatchSize,
                                      anchorCount: configuration.anchorBatchSize)
        network.zeroGradients()
        let gains = anchorGains.map { $0.map { $0.map(Float.init) } }
        let (total, terms) = network.losses(batch, weights: configuration.lossWeights, kind: configuration.loss, anchorGains: gains)
        guard terms.isFinite else {
            throw .nonFiniteLoss(step: step + 1, terms: terms.named, lastCheckpoint: lastCheckpoint?.path)
        }
        total.backward()
        let parameters = network.namedParameters()
        for (name, p) in parameters {
            guard let g = p.gradient else { continue }
            let finite = g.withUnsafeBufferPointer { $0.allSatisfy(\.isFinite) }
            if !finite {
                throw .nonFiniteGradient(step: step + 1, parameter: name, terms: terms.named, lastCheckpoint: lastCheckpoint?.path)
            }
        }
        updater.update(parameters)
        step += 1
        lastLosses = terms
        sessionSeconds += Date().timeIntervalSince(start)
        sessionSteps += 1
        return terms
    }

    /// Runs until ``TrainingConfiguration/steps`` steps are done, validating and writing
    /// checkpoints on schedule, then writes the final checkpoint and the model folder.
    /// - Parameter progress: called after every step.
    /// - Returns: the record stored in `model.json`.
    @discardableResult
    public func run(progress: ((TrainingProgress) -> Void)? = nil) throws(TrainingError) -> TrainingRecord {
        let c = configuration
        while step < c.steps {
            let lr = learningRate
            let terms = try trainStep()
            var checkpoint: URL?, validation: ValidationResult?
            if c.validationInterval > 0 && (step % c.validationInterval == 0 || step == c.steps) {
                validation = try validate()
            }
            if (c.checkpointInterval > 0 && step % c.checkpointInterval == 0) || step == c.steps {
                checkpoint = try writeCheckpoint()
            }
            if let progress {
                let sps = sessionSeconds > 0 ? Double(sessionSteps) / sessionSeconds : 0
                progress(TrainingProgress(
                    step: step, totalSteps: c.steps, losses: terms, learningRate: lr, stepsPerSecond: sps,
                    patchesPerSecond: sps * Double(patchesPerStep), elapsedSeconds: secondsBefore + sessionSeconds,
                    remainingSeconds: sps > 0 ? Double(c.steps - step) / sps : 0, checkpoint: checkpoint, validation: validation))
            }
        }
        if lastCheckpoint == nil || CheckpointStore.list(in: modelDirectory).first?.step != step {
            try writeCheckpoint()
        }
        let record = trainingRecord
        do { try network.save(to: modelDirectory, training: record) } catch { throw .model(error) }
        return record
    }

    /// The record of the run so far.
    public var trainingRecord: TrainingRecord {
        TrainingRecord(configuration: configuration, steps: step, finalLosses: lastLosses, validation: lastValidation,
                       seconds: secondsBefore + sessionSeconds)
    }

    /// Writes a checkpoint of the current state (atomically) and returns its folder.
    /// - Throws: ``TrainingError/checkpoint(path:reason:)``, ``TrainingError/model(_:)``, or
    ///   ``TrainingError/nonFiniteWeight(step:parameter:lastCheckpoint:)`` if a weight is not finite
    ///   (the previous checkpoint is kept).
    @discardableResult
    public func writeCheckpoint() throws(TrainingError) -> URL {
        for (name, p) in network.namedParameters() where !p.value.withUnsafeBufferPointer({ $0.allSatisfy(\.isFinite) }) {
            throw .nonFiniteWeight(step: step, parameter: name, lastCheckpoint: lastCheckpoint?.path)
        }
        let state = CheckpointState(
            format: CheckpointState.formatTag, version: 1, step: step, configuration: configuration,
            data: data.fingerprint, baseMappingAToB: network.baseMappings.aToB, baseMappingBToA: network.baseMappings.bToA,
            anchorGainsAToB: anchorGains?.aToB, anchorGainsBToA: anchorGains?.bToA,
            exposureAToB: network.targetExposures.aToB, exposureBToA: network.targetExposures.bToA,
            sampler: sampler.state, losses: lastLosses, validation: lastValidation, seconds: secondsBefore + sessionSeconds)
        let url = try CheckpointStore.write(state: state, weights: network.weightArchive(), optimizer: updater.stateArchive(),
                                            in: modelDirectory, keep: configuration.keepCheckpoints, fault: checkpointFault)
        lastCheckpoint = url
        return url
    }

    /// Validates on up to ``TrainingConfiguration/validationPairs`` held-out pairs (centre crops of
    /// at most ``TrainingConfiguration/validationCrop`` pixels, per-image context from the whole
    /// image); `nil` without validation data.
    @discardableResult
    public func validate() throws(TrainingError) -> ValidationResult? {
        guard let pairs = data.validation, pairs.count > 0, configuration.validationPairs > 0 else { return nil }
        if validationSet == nil {
            var set: [(a: PackedImage, b: PackedImage, thumbA: Tensor, thumbB: Tensor)] = []
            let t = configuration.model.thumbnailSize, m = configuration.model.sizeMultiple
            for i in 0..<min(pairs.count, configuration.validationPairs) {
                let pair: (a: PackedImage, b: PackedImage)
                do { pair = try pairs.pair(at: i) } catch { throw .dataset(error) }
                guard pair.a.height >= m && pair.a.width >= m else { continue }
                set.append((pair.a.centerCrop(maxSide: configuration.validationCrop, multiple: m),
                            pair.b.centerCrop(maxSide: configuration.validationCrop, multiple: m),
                            Tensor(shape: [1, 4, t, t], values: pair.a.thumbnail(size: t)),
                            Tensor(shape: [1, 4, t, t], values: pair.b.thumbnail(size: t))))
            }
            validationSet = set
        }
        guard let set = validationSet, !set.isEmpty else { return nil }
        let options = MetricOptions(computesSSIM: false)
        if basePSNR == nil {
            var ab = 0.0, ba = 0.0
            for v in set {
                let ya = network.base(from: .a).mapImage(v.a), yb = network.base(from: .b).mapImage(v.b)
                ab += ImageMetrics(prediction: ya, reference: v.b, options: options).psnr
                ba += ImageMetrics(prediction: yb, reference: v.a, options: options).psnr
            }
            basePSNR = (ab / Double(set.count), ba / Double(set.count))
        }
        var ab = 0.0, ba = 0.0
        for v in set {
            let ya = network.mapCrop(v.a, thumbnail: v.thumbA, from: .a)
            let yb = network.mapCrop(v.b, thumbnail: v.thumbB, from: .b)
            ab += ImageMetrics(prediction: ya, reference: v.b, options: options).psnr
            ba += ImageMetrics(prediction: yb, reference: v.a, options: options).psnr
        }
        let result = ValidationResult(step: step, pairCount: set.count, psnrAToB: ab / Double(set.count),
                                      psnrBToA: ba / Double(set.count), basePSNRAToB: basePSNR!.ab, basePSNRBToA: basePSNR!.ba)
        lastValidation = result
        return result
    }
}

extension ScheduleConfiguration {
    /// The RawTensor schedule for a run of `totalSteps` steps.
    func rawTensorSchedule(totalSteps: Int) -> RawTensor.LearningRateSchedule {
        switch kind {
        case .constant: return RawTensor.LearningRateSchedule(decay: .constant, warmupSteps: warmupSteps)
        case .cosine: return .cosine(totalSteps: max(1, totalSteps), minimumFactor: minimumFactor, warmupSteps: warmupSteps)
        }
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

extension BaseMapping {
    /// Applies the mapping to a whole packed image, clipped to [0, 1] unless `clipped` is false (validation baseline).
    func mapImage(_ image: PackedImage, clipped: Bool = true) -> PackedImage {
        let x = Tensor(channelsLast: image.values, batch: 1, height: image.height, width: image.width, channels: 4)
        let values = apply(x).value.channelsLastScalars()
        let y = clipped ? Numerics.clipUnit(values) : values
        return PackedImage(height: image.height, width: image.width, values: y)
    }
}

extension Raw2RawNetwork {
    /// Maps an image in one piece (its sides multiples of the pooling factor) with the per-image
    /// correction of a given whole-image thumbnail; clipped to [0, 1].
    func mapCrop(_ image: PackedImage, thumbnail: Tensor, from source: CameraSide) -> PackedImage {
        let x = Tensor(channelsLast: image.values, batch: 1, height: image.height, width: image.width, channels: 4)
        let correction = configuration.architecture == .residual ? imageCorrection(thumbnail: thumbnail, from: source) : nil
        let y = withoutGradient {
            map(Variable(x), features: mappingFeatures(Variable(x), camera: source), correction: correction.map { Variable($0) }, from: source).value
        }
        let values = Numerics.clipUnit(y.channelsLastScalars())
        return PackedImage(height: image.height, width: image.width, values: values)
    }
}
