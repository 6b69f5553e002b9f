import Calibration
import Foundation
import RawSupport
import RawIO
import RawTensor

/// The training loop: single steps and whole runs.
extension Trainer {
    /// Patches one step processes: unpaired patches of both cameras and both images of each anchor pair.
    public var patchesPerStep: Int { 2 * configuration.sampling.unpairedBatchSize + 2 * configuration.sampling.anchorBatchSize }

    /// The learning rate of the next step.
    public var learningRate: Float { updater.currentLearningRate }

    /// Does one optimizer step and returns its (unweighted) loss terms.
    /// - Throws: ``TrainingError/nonFiniteLoss(step:terms:lastCheckpoint:)`` or
    ///   ``TrainingError/nonFiniteGradient(step:parameter:terms:lastCheckpoint:)`` (nothing is
    ///   updated), or a data error.
    @discardableResult
    public func trainStep() throws(TrainingError) -> LossTerms {
        let start = Date()
        let batch = try sampler.batch(step: step, unpaired: configuration.sampling.unpairedBatchSize,
                                      anchorCount: configuration.sampling.anchorBatchSize)
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

    /// Runs until ``OptimizationConfiguration/steps`` steps are done, validating and writing
    /// checkpoints on schedule, then writes the final checkpoint and the model folder.
    ///
    /// After each validation the run appends an entry to ``trainingLog`` and rewrites
    /// ``TrainingLog/fileName`` in the model folder.
    ///
    /// The run honours task cancellation: before each step (and before the final checkpoint and
    /// model) it checks `Task.isCancelled` and, if so, stops with
    /// ``TrainingError/cancelled(step:lastCheckpoint:)``, writing nothing more; the newest
    /// checkpoint stays intact, so a trainer created with `resume: true` continues from it.
    /// - Parameter progress: called after every step.
    /// - Returns: the record stored in `model.json`.
    /// - Throws: ``TrainingError``, among them ``TrainingError/cancelled(step:lastCheckpoint:)``.
    @discardableResult
    public func run(progress: ((TrainingProgress) -> Void)? = nil) throws(TrainingError) -> TrainingRecord {
        let c = configuration
        while step < c.optimization.steps {
            try checkCancellation()
            let lr = learningRate
            let terms = try trainStep()
            accumulateLogLoss(terms)
            var checkpoint: URL?, validation: ValidationResult?
            if c.monitoring.validationInterval > 0 && (step % c.monitoring.validationInterval == 0 || step == c.optimization.steps) {
                validation = try validate()
                if let validation { try appendToLog(validation) }
            }
            if (c.monitoring.checkpointInterval > 0 && step % c.monitoring.checkpointInterval == 0) || step == c.optimization.steps {
                checkpoint = try writeCheckpoint()
            }
            if let progress {
                let sps = sessionSeconds > 0 ? Double(sessionSteps) / sessionSeconds : 0
                progress(TrainingProgress(
                    step: step, totalSteps: c.optimization.steps, losses: terms, learningRate: lr, stepsPerSecond: sps,
                    patchesPerSecond: sps * Double(patchesPerStep), elapsedSeconds: secondsBefore + sessionSeconds,
                    remainingSeconds: sps > 0 ? Double(c.optimization.steps - step) / sps : 0, checkpoint: checkpoint, validation: validation))
            }
        }
        try checkCancellation()
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

    /// Throws ``TrainingError/cancelled(step:lastCheckpoint:)`` when the current task is cancelled.
    func checkCancellation() throws(TrainingError) {
        if Task.isCancelled { throw .cancelled(step: step, lastCheckpoint: lastCheckpoint?.path) }
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
