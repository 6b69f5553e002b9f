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
    /// Mean PSNR of the starting point on the same crops: the least-squares base mapping with
    /// its target-exposure step and clipping (residual architecture), or the identity (paper).
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
/// ``MonitoringConfiguration/checkpointInterval`` steps; a trainer created with `resume: true`
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
    public internal(set) var step: Int
    /// The loss terms of the latest step.
    public internal(set) var lastLosses: LossTerms?
    /// The latest validation.
    public internal(set) var lastValidation: ValidationResult?
    /// The newest checkpoint written or resumed from.
    public internal(set) var lastCheckpoint: URL?
    /// Notes about the run (resumed from where, damaged checkpoints skipped, schedule changes).
    public internal(set) var notes: [String] = []

    let updater: ParameterUpdater<Adam>
    let sampler: PatchSampler
    var secondsBefore: Double = 0
    var sessionSeconds: Double = 0
    var sessionSteps = 0
    var validationSet: [(a: PackedImage, b: PackedImage, thumbA: Tensor, thumbB: Tensor)]?
    var basePSNR: (ab: Double, ba: Double)?
    /// Per anchor pair, the exposure gain of its target in each direction (``ModelConfiguration/alignsAnchorExposure``).
    var anchorGains: DirectionPair<[Double]>?
    /// The learning curve so far, rewritten into the model folder after every validation of ``run(progress:)``.
    public internal(set) var trainingLog = TrainingLog()
    /// The summed losses and step count since the latest log entry.
    var logLoss: (sum: Double, steps: Int) = (0, 0)
    /// Called after each checkpoint file is written (tests simulate crashes with it).
    var checkpointFault: ((String) throws(TrainingError) -> Void)?

    /// Prepares a run: fits the base mappings on the anchor pairs and initialises the network,
    /// or, with `resume`, restores the newest intact checkpoint of `modelDirectory` (a fresh
    /// run starts when there is none).
    ///
    /// A resumed run keeps the folder's ``TrainingLog`` up to the checkpoint's step; a fresh run
    /// removes the log of an earlier run in the folder.
    ///
    /// Resuming verifies each checkpoint's files against its `checksums.sha256`; when the newest
    /// is damaged it falls back to the previous intact one and says so in ``notes``.
    /// - Throws: ``TrainingError`` for an invalid configuration, unreadable data, a base mapping
    ///   that cannot be fitted, a checkpoint made with another configuration or data, or
    ///   ``TrainingError/noIntactCheckpoint(folder:problems:)`` when every checkpoint is damaged.
    public init(configuration: TrainingConfiguration, data: TrainingData, modelDirectory: URL, resume: Bool = false) throws(TrainingError) {
        let problems = configuration.problems()
        guard problems.isEmpty else { throw .invalidConfiguration(problems) }
        self.configuration = configuration
        self.data = data
        self.modelDirectory = modelDirectory
        let adam = Adam(beta1: configuration.optimization.beta1, beta2: configuration.optimization.beta2, epsilon: configuration.optimization.epsilon)
        updater = ParameterUpdater(optimizer: adam, learningRate: configuration.optimization.learningRate,
                                   schedule: configuration.optimization.schedule.rawTensorSchedule(totalSteps: configuration.optimization.steps))
        let c = configuration
        var notes: [String] = []
        let checkpoint = resume ? try Self.newestIntactCheckpoint(in: modelDirectory, notes: &notes) : nil
        let start = if let checkpoint {
            try Self.restoredStart(from: checkpoint, configuration: c, data: data, updater: updater, notes: &notes)
        } else {
            try Self.freshStart(configuration: c, data: data, notes: &notes)
        }
        network = start.network
        anchorGains = start.anchorGains
        sampler = PatchSampler(unpairedA: data.unpairedA, unpairedB: data.unpairedB, anchors: data.anchors,
                               patchSize: c.sampling.patchSize, thumbnailSize: c.model.thumbnailSize, flips: c.sampling.flips,
                               residentImages: c.sampling.residentImages, refreshInterval: c.sampling.poolRefreshInterval,
                               gainAugmentation: c.sampling.gainAugmentation, anchorMixing: c.sampling.anchorMixing,
                               anchorTiling: c.sampling.anchorTiling,
                               generator: SeededGenerator(seed: c.seed).derived(stream: 1))
        step = 0
        self.notes = notes
        if let checkpoint { try resumeRunState(from: checkpoint) }
        trainingLog = Self.startingLog(in: modelDirectory, resumedStep: checkpoint == nil ? nil : step, notes: &self.notes)
    }
}

extension Trainer {
    /// Where a run starts: its network (least-squares parts fitted or restored) and anchor exposure gains.
    struct StartingPoint {
        var network: Raw2RawNetwork
        var anchorGains: DirectionPair<[Double]>?
    }
}
